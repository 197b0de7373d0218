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

/** Jobs the journal holds that never finished (oldest first), as the core reads them. */
export function unfinishedJobs(journal) {
  return core.listJobs(journal, { unfinished: true });
}

/** Whether a stored job is the job `request` would run: the core names jobs (`jobId` export). */
export function sameJob(job, request) {
  return core.jobId(request) === job.jobId;
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
