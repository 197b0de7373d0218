// portal-migrate resume: run every unfinished job in the journal with its stored request.
import { parseArgs } from "../args.js";
import { readConfigFile, checkConfig, secretsFromEnv } from "../config.js";
import { UsageError, EXIT } from "../errors.js";
import { realHost } from "../host.js";
import { openJournal, defaultJournalPath } from "../journal.js";
import { runJob, unfinishedJobs, writeReports, exitCode, unfinishedLine, onInterrupt } from "../job.js";
import { createProgress } from "../progress.js";
import { OUTPUT_OPTIONS, progressMode, deadline } from "../options.js";

export async function resume(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, OUTPUT_OPTIONS);
  let config = opts.config ? readConfigFile(opts.config) : null;
  let journalPath = opts.journal;
  if (!journalPath) {
    if (!config) throw new UsageError("resume needs --journal FILE (or --config FILE for its default journal)");
    journalPath = defaultJournalPath(checkConfig(config).siteUrl);
  }
  const mode = progressMode(opts);
  const journal = openJournal(journalPath);
  try {
    const jobs = await unfinishedJobs(journal);
    if (jobs.length === 0) {
      stdout.write("nothing to resume\n");
      return EXIT.ok;
    }
    if (!config) {
      const stored = await journal.get("cli/config");
      if (!stored) throw new UsageError(`journal ${journalPath} holds no config; give --config FILE`);
      config = JSON.parse(stored);
    }
    const urls = checkConfig(config);
    const credentials = secretsFromEnv();
    onInterrupt(journalPath);
    const host = realHost({ urls, credentials, journal });
    const out = { progress: createProgress(mode, stderr), quiet: opts.quiet, stdout };
    const deadlineMs = deadline(opts);
    const results = [];
    for (const job of jobs) {
      stderr.write(`resuming job ${job.jobId}\n`);
      const request = { ...job.request };
      if (deadlineMs !== undefined) request.deadlineMs = deadlineMs;
      if (opts.concurrency !== undefined) request.concurrency = opts.concurrency;
      const r = await runJob(request, config, host, out);
      results.push(r);
      if (r.continuation) {
        writeReports(r, opts);
        stdout.write(unfinishedLine(r, journal.path));
        return EXIT.unfinished;
      }
    }
    writeReports(results.at(-1), opts);
    return exitCode(results);
  } finally {
    journal.close();
  }
}
