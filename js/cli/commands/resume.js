// portal-migrate resume [ID]: finish one unfinished job of a journal with its stored request. Without
// an ID: the journal's only unfinished job; with several, they are listed and one must be named (or
// --all finishes them all, oldest first), so a resume never runs a job nobody meant.
import { parseArgs } from "../args.js";
import { checkConfig, secretsFromEnv } from "../config.js";
import { UsageError, EXIT } from "../errors.js";
import { realHost } from "../host.js";
import { openJournal } from "../journal.js";
import { runJob, unfinishedJobs, writeReports, exitCode, unfinishedLine, onInterrupt, jobsDocument, stoppedShort, discardRows } from "../job.js";
import { locateJournal, journalExists, requireJob, otherJobsText, jobLine, jobJson, resumeCommand, resumeAllCommand } from "../joblist.js";
import { createOutput } from "../output.js";
import { createProgress } from "../progress.js";
import { OUTPUT_OPTIONS, progressMode, deadline } from "../options.js";

export const spec = {
  name: "resume",
  summary: "finish an unfinished job of a journal: portal-migrate resume ID",
  usage: "[ID] (--journal FILE | --config FILE) [options]",
  about: "Finishes the unfinished job ID with the request it was started with, without migrating anyone twice. Without an ID: the journal's only unfinished job; when there are several, they are listed (see also portal-migrate jobs) and nothing runs until one is named, or --all finishes every one, oldest first. The config stored in the journal is used unless --config is given.",
  options: {
    ...OUTPUT_OPTIONS,
    journal: { ...OUTPUT_OPTIONS.journal, group: "required", help: "the journal named by the resume hint (or give --config for its default journal)" },
    config: { ...OUTPUT_OPTIONS.config, group: undefined, help: "the config file (default: the one stored in the journal)" },
    all: { type: "bool", help: "without an ID: finish every unfinished job, oldest first" },
  },
  exits: [
    [0, "done (or nothing to resume)"], [1, "a customer failed, the job had failed or was discarded, or an error"],
    [2, "bad usage, config or secrets, or credentials Atlassian refuses; no such job; several unfinished jobs and no ID"],
    [3, "still unfinished, or running in another process"], [130, "interrupted"],
  ],
  examples: [
    "portal-migrate resume job-0fa0fec9b700b9ab --config portal-migrate.json --report report.json",
    "portal-migrate resume --journal ~/.portal-migrate/acme.atlassian.net/journal.jsonl --all",
  ],
};

export async function resume(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, spec.options, { command: "resume", positional: 1 });
  const [id] = opts._;
  if (id !== undefined && opts.all) throw new UsageError("give a job ID or --all, not both");
  let { journalPath, config } = locateJournal(opts, "resume");
  const mode = progressMode(opts);
  const out = createOutput({ json: opts.json, noColor: opts.noColor, stdout, stderr });
  const locate = { config: opts.config, journal: opts.journal };
  const keep = { ...locate, report: opts.report, reportCsv: opts.reportCsv };

  if (!journalExists(journalPath)) {
    // Nothing was ever run with this journal; a typo must not create one.
    if (id !== undefined) throw new UsageError(`no job ${id}: there is no journal ${journalPath}`);
    out.print(`nothing to resume: there is no journal ${journalPath}\n`);
    out.document(jobsDocument("resume", [], { journalPath, keep, exitCode: EXIT.ok }));
    return EXIT.ok;
  }
  const journal = openJournal(journalPath);
  const results = [];
  let reports = {};
  let code = EXIT.ok;
  let otherJobs = [];
  let stopWatching = () => {};
  try {
    const unfinished = await unfinishedJobs(journal);
    let jobs;
    if (id !== undefined) {
      const job = await requireJob(journal, id, journalPath);
      if (job.status === "done" && job.counts.open > 0) {
        // Done, but with customers a re-run can fix (a failed step left them open): its request
        // again checks them anew, which is what finishing this job means.
        out.note(`job ${job.jobId} is done with ${job.counts.open} open customer${job.counts.open === 1 ? "" : "s"}; running its request again\n`);
      } else if (job.status !== "unfinished") {
        return nothingToResume(job, { out, journalPath, keep });
      }
      jobs = [job];
    } else if (opts.all || unfinished.length <= 1) {
      jobs = unfinished;
    } else {
      // Several: name one. Listed on stderr whatever the output mode (this is a refusal).
      const message = `${unfinished.length} unfinished jobs in journal ${journalPath}; name the one to resume (or give --all to finish them all, oldest first)`;
      stderr.write(`portal-migrate: ${message}:\n${unfinished.map((j) => jobLine(j, locate)).join("")}`);
      out.document({ command: "resume", error: { code: "USAGE", message }, unfinishedJobs: unfinished.map((j) => jobJson(j, locate)), exitCode: EXIT.usage });
      return EXIT.usage;
    }
    if (jobs.length === 0) {
      out.print("nothing to resume\n");
    } else {
      if (!config) {
        const stored = await journal.get("cli/config");
        if (!stored) throw new UsageError(`journal ${journalPath} holds no config; give --config FILE`);
        config = JSON.parse(stored);
      }
      const urls = checkConfig(config);
      const credentials = secretsFromEnv();
      const chosen = new Set(jobs.map((j) => j.jobId));
      out.note(otherJobsText(unfinished.filter((j) => !chosen.has(j.jobId)), locate, { how: resumeAllCommand(locate), when: " too" }));
      let current = jobs[0].jobId;
      stopWatching = onInterrupt(journalPath, out, "resume", () => resumeCommand(current, keep));
      const host = realHost({ urls, credentials, journal });
      const jobOut = { progress: createProgress(mode, stderr), quiet: opts.quiet, out };
      const deadlineMs = deadline(opts);
      for (const job of jobs) {
        out.note(`resuming job ${job.jobId}\n`);
        current = job.jobId;
        const request = { ...job.request };
        if (deadlineMs !== undefined) request.deadlineMs = deadlineMs;
        if (opts.concurrency !== undefined) request.concurrency = opts.concurrency;
        const r = await runJob(request, config, host, jobOut, opts);
        results.push(r);
        if (stoppedShort(r)) break;
      }
      const last = results.at(-1);
      reports = writeReports(last, opts);
      if (last.continuation) out.print(out.style.yellow(unfinishedLine(last, keep)));
      code = exitCode(results);
    }
    const ran = new Set(results.map((r) => r.jobId));
    otherJobs = (await unfinishedJobs(journal)).filter((j) => !ran.has(j.jobId)).map((j) => jobJson(j, locate));
  } finally {
    discardRows(results);
    stopWatching();
    journal.close();
  }
  out.document(jobsDocument("resume", results, { journalPath, keep, reports, exitCode: code, otherJobs }));
  return code;
}

/** `resume ID` of a job that is not unfinished: done is fine (0); failed or discarded is not (1). */
function nothingToResume(job, { out, journalPath, keep }) {
  const why = {
    done: `job ${job.jobId} is already done; nothing to resume`,
    failed: `job ${job.jobId} failed before it changed anything (${job.error ?? "no reason recorded"}); nothing to resume: fix the cause and run its request again`,
    discarded: `job ${job.jobId} was discarded; nothing to resume (running its request again starts it anew)`,
  }[job.status] ?? `job ${job.jobId} is ${job.status}; nothing to resume`;
  const code = job.status === "done" ? EXIT.ok : EXIT.failed;
  if (code === EXIT.ok) out.print(`${why}\n`);
  else out.note(`portal-migrate: ${why}\n`);
  out.document({ ...jobsDocument("resume", [], { journalPath, keep, exitCode: code }), jobId: job.jobId, status: job.status });
  return code;
}
