// Running jobs for run/resume/demo: call the core, show progress, print the table and summary, write
// the report files, describe the result for --json, and turn the results into an exit code.
import { writeFileSync } from "node:fs";
import core, { migrate } from "../core/node.js";
import { EXIT, UsageError } from "./errors.js";
import { renderTable } from "./table.js";
import { styleSummary } from "./color.js";
import { flushed } from "./output.js";
import { resumeCommand, isoTime } from "./joblist.js";
import { rowFiles } from "./rows.js";

/**
 * Runs one request; prints the table (unless quiet) and the summary line to `out` (output.js).
 * `files` ({report?, reportCsv?}): where writeReports will put this job's reports; rows stream there
 * as customers finish (rows.js).
 */
export async function runJob(request, config, host, { progress, quiet = false, out }, files = {}) {
  let result;
  const rows = rowFiles(files);
  try {
    result = await migrate(request, config, { ...host, rows: rows.host, progress: (e) => progress.event(e) });
  } catch (e) {
    rows.discard();
    throw e;
  } finally {
    progress.end();
  }
  Object.defineProperty(result, "rows", { value: rows, enumerable: false });
  if (result.busy) {
    // Another run holds the job's claim; nothing was done. The CLI's pid lock keeps other CLI
    // processes out of a journal, so this takes a host sharing the journal some other way.
    out.print(out.style.yellow(busyLine(result)));
    return result;
  }
  if (!quiet && result.report.omitted) {
    out.print(`${result.report.omitted} customers: too many to list here; ${files.report || files.reportCsv ? "every row is in the report files" : "--report FILE or --report-csv FILE writes every row (a re-run reports finished customers from the journal without calling Atlassian)"}\n`);
    for (const line of result.companyLines ?? []) out.print(line + "\n");
  } else if (!quiet) {
    out.print(renderTable(result.report));
    for (const line of result.companyLines ?? []) out.print(line + "\n");
  }
  out.print(styleSummary(out.style, result.summary, result.report.totals) + "\n");
  const { issue, commentError } = result.report;
  if (commentError) out.print(`comment: not posted on ${issue}: ${commentError}\n`);
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

/** Writes --report / --report-csv; returns the paths written ({json?, csv?}). */
export function writeReports(result, { report, reportCsv }) {
  if (result.report.omitted && result.rows) return result.rows.write(result.report, core.reportCsv(result.report));
  result.rows?.discard();
  const written = {};
  if (report) { write(report, JSON.stringify(result.report, null, 2) + "\n"); written.json = report; }
  if (reportCsv) { write(reportCsv, core.reportCsv(result.report)); written.csv = reportCsv; }
  return written;
}

function write(file, text) {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${e.code ?? e.message}`);
  }
}

/** Removes what the jobs' row files left behind (a job whose reports were not written). */
export function discardRows(results) {
  for (const r of results) r?.rows?.discard();
}

export function busyLine(result) {
  return `job ${result.jobId} is running in another process until ${isoTime(result.busy.expiresMs)}\n`;
}

/** Whether the job is not done: left for later (a deadline), or run by another process right now. */
export function stoppedShort(result) {
  return Boolean(result?.continuation || result?.busy);
}

/** 3 when any job is unfinished (or busy elsewhere), else 1 when any customer failed, else 0. */
export function exitCode(results) {
  if (results.some(stoppedShort)) return EXIT.unfinished;
  if (results.some((r) => r.report.totals.failed > 0)) return EXIT.failed;
  return EXIT.ok;
}

/** "unfinished: N customers left; run: portal-migrate resume ID ..." (`keep`: see resumeCommand). */
export function unfinishedLine(result, keep) {
  const left = result.report.totals.unfinished;
  return `unfinished: ${left} customer${left === 1 ? "" : "s"} left; run: ${resumeCommand(result.jobId, keep)}\n`;
}

/**
 * One job in a --json document of run and resume. `keep`: the options its resume command repeats
 * (resumeCommand), or a function of the job id giving them.
 */
export function jobEntry(result, keep) {
  if (typeof keep === "function") keep = keep(result.jobId);
  return {
    jobId: result.jobId,
    summary: result.summary,
    totals: result.report.totals,
    finished: !stoppedShort(result),
    resume: stoppedShort(result) ? resumeCommand(result.jobId, keep) : null,
    busy: result.busy ?? null,
  };
}

/**
 * The --json document of run and resume: the last job run (the requested one, or an earlier one that
 * stopped unfinished) at the top, every job run in `jobs`, the report files written, the exit code,
 * and the last job's full report.
 */
export function jobsDocument(command, results, { journalPath, keep, reports = {}, exitCode: code, otherJobs = [] }) {
  const last = results.at(-1);
  const top = last ? jobEntry(last, keep) : { jobId: null, summary: null, totals: null, finished: true, resume: null, busy: null };
  return {
    command, ...top, journal: journalPath, reports, exitCode: code,
    jobs: results.map((r) => jobEntry(r, keep)), otherJobs, report: last?.report ?? null,
  };
}

/**
 * Ctrl-C (SIGINT) or SIGTERM: the journal is durable after every put, so stopping anywhere is safe.
 * Says how to resume (`resume()`: the command for the job running at that moment), lets
 * stdout/stderr drain (bounded), then exits 130. Returns a function that removes the handlers (once
 * the job is over, a signal needs no advice). A second Ctrl-C while draining kills the process at
 * once (the handlers are `once`).
 */
export function onInterrupt(journalPath, out, command, resume) {
  const stop = async (signal) => {
    process.exitCode = EXIT.interrupted;
    const cmd = resume();
    out.note(`\nportal-migrate: interrupted (${signal}); nothing is lost: run: ${cmd}\n`);
    out.document({ command, interrupted: signal, journal: journalPath, resume: cmd, exitCode: EXIT.interrupted });
    await flushed([out.stdout, out.stderr]);
    process.exit(EXIT.interrupted);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  };
}
