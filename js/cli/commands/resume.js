// portal-migrate resume: run every unfinished job in the journal with its stored request.
import { parseArgs } from "../args.js";
import { readConfigFile, checkConfig, secretsFromEnv } from "../config.js";
import { UsageError, EXIT } from "../errors.js";
import { realHost } from "../host.js";
import { openJournal, defaultJournalPath } from "../journal.js";
import { runJob, unfinishedJobs, writeReports, exitCode, unfinishedLine, onInterrupt, jobsDocument } from "../job.js";
import { createOutput } from "../output.js";
import { createProgress } from "../progress.js";
import { OUTPUT_OPTIONS, progressMode, deadline } from "../options.js";

export const spec = {
  name: "resume",
  summary: "finish the unfinished job(s) in a journal",
  usage: "--journal FILE [--config FILE] [options]",
  about: "Finishes every unfinished job in the journal with the request it was started with, oldest first, without migrating anyone twice. The config stored in the journal is used unless --config is given.",
  options: {
    ...OUTPUT_OPTIONS,
    journal: { ...OUTPUT_OPTIONS.journal, group: "required", help: "the journal named by the resume hint (or give --config for its default journal)" },
    config: { ...OUTPUT_OPTIONS.config, group: undefined, help: "the config file (default: the one stored in the journal)" },
  },
  exits: [[0, "done (or nothing to resume)"], [1, "a customer failed"], [2, "bad usage, config or secrets"], [3, "still unfinished"], [130, "interrupted"]],
};

export async function resume(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, spec.options, { command: "resume" });
  let config = opts.config ? readConfigFile(opts.config) : null;
  let journalPath = opts.journal;
  if (!journalPath) {
    if (!config) throw new UsageError("resume needs --journal FILE (or --config FILE for its default journal)");
    journalPath = defaultJournalPath(checkConfig(config).siteUrl);
  }
  const mode = progressMode(opts);
  const out = createOutput({ json: opts.json, noColor: opts.noColor, stdout, stderr });
  const journal = openJournal(journalPath);
  const results = [];
  let reports = {};
  let code = EXIT.ok;
  let stopWatching = () => {};
  try {
    const jobs = await unfinishedJobs(journal);
    if (jobs.length === 0) out.print("nothing to resume\n");
    else {
      if (!config) {
        const stored = await journal.get("cli/config");
        if (!stored) throw new UsageError(`journal ${journalPath} holds no config; give --config FILE`);
        config = JSON.parse(stored);
      }
      const urls = checkConfig(config);
      const credentials = secretsFromEnv();
      stopWatching = onInterrupt(journalPath, out, "resume");
      const host = realHost({ urls, credentials, journal });
      const jobOut = { progress: createProgress(mode, stderr), quiet: opts.quiet, out };
      const deadlineMs = deadline(opts);
      for (const job of jobs) {
        out.note(`resuming job ${job.jobId}\n`);
        const request = { ...job.request };
        if (deadlineMs !== undefined) request.deadlineMs = deadlineMs;
        if (opts.concurrency !== undefined) request.concurrency = opts.concurrency;
        const r = await runJob(request, config, host, jobOut);
        results.push(r);
        if (r.continuation) break;
      }
      reports = writeReports(results.at(-1), opts);
      if (results.at(-1).continuation) out.print(out.style.yellow(unfinishedLine(results.at(-1), journal.path)));
      code = exitCode(results);
    }
  } finally {
    stopWatching();
    journal.close();
  }
  out.document(jobsDocument("resume", results, { journalPath, reports, exitCode: code }));
  return code;
}
