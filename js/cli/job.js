// Running jobs for run/resume/demo: call the core, show progress, print the table and summary, write
// the report files, and turn the results into an exit code.
import { writeFileSync } from "node:fs";
import core, { migrate } from "../core/node.js";
import { EXIT, UsageError } from "./errors.js";
import { renderTable } from "./table.js";

/** Runs one request; prints the table (unless quiet) and the summary line. */
export async function runJob(request, config, host, { progress, quiet = false, stdout = process.stdout }) {
  let result;
  try {
    result = await migrate(request, config, { ...host, progress: (e) => progress.event(e) });
  } finally {
    progress.end();
  }
  if (!quiet) stdout.write(renderTable(result.report));
  stdout.write(result.summary + "\n");
  return result;
}

/** Jobs the journal holds that never finished (oldest first). Unreadable records are the core's to report. */
export async function unfinishedJobs(journal) {
  const jobs = [];
  for (const [, text] of await journal.list("job/")) {
    let job;
    try { job = JSON.parse(text); } catch { continue; }
    if (job && job.finished === false && job.request && typeof job.request === "object") jobs.push(job);
  }
  return jobs.sort((a, b) => (a.startedMs ?? 0) - (b.startedMs ?? 0));
}

/**
 * Whether a stored job is the job `request` would run. The core derives the id from the request
 * without its run options; compare the same way (or by id when one was given).
 */
export function sameJob(job, request) {
  if (request.jobId) return request.jobId === job.jobId;
  return canonical(job.request) === canonical(request);
}

function canonical(request) {
  const r = { ...request };
  for (const k of ["jobId", "dryRun", "deadlineMs", "concurrency"]) delete r[k];
  for (const k of ["companies", "customers"]) if (Array.isArray(r[k])) r[k] = [...r[k]].sort();
  return JSON.stringify(clean(r));
}

/** Drops nulls and empty arrays, sorts keys: serde skips them, the CLI never sets them. */
function clean(v) {
  if (Array.isArray(v)) return v.map(clean);
  if (!v || typeof v !== "object") return v;
  const out = {};
  for (const k of Object.keys(v).sort()) {
    if (v[k] === null || v[k] === undefined || (Array.isArray(v[k]) && v[k].length === 0)) continue;
    out[k] = clean(v[k]);
  }
  return out;
}

export function writeReports(result, { report, reportCsv }) {
  if (report) write(report, JSON.stringify(result.report, null, 2) + "\n");
  if (reportCsv) write(reportCsv, core.reportCsv(result.report));
}

function write(file, text) {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${e.code ?? e.message}`);
  }
}

/** 3 when any job is unfinished, else 1 when any customer failed, else 0. */
export function exitCode(results) {
  if (results.some((r) => r.continuation)) return EXIT.unfinished;
  if (results.some((r) => r.report.totals.failed > 0)) return EXIT.failed;
  return EXIT.ok;
}

export function unfinishedLine(result, journalPath) {
  const left = result.report.totals.unfinished;
  return `unfinished: ${left} customer${left === 1 ? "" : "s"} left; run: portal-migrate resume --journal ${journalPath}\n`;
}

/** Ctrl-C: the journal is durable after every put, so stopping anywhere is safe. */
export function onInterrupt(journalPath) {
  const stop = (signal) => {
    process.stderr.write(`\nportal-migrate: interrupted (${signal}); nothing is lost: run: portal-migrate resume --journal ${journalPath}\n`);
    process.exit(EXIT.interrupted);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
