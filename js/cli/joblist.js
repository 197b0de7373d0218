// The journal's jobs as the CLI shows them (run's list of other unfinished jobs, resume, jobs): the
// core reads and judges them (listJobs, getJob, discardJob); this file finds the journal a command
// means, words a job on one line or in a table, and builds the exact commands an admin can paste.
import { existsSync } from "node:fs";
import core from "../core/node.js";
import { readConfigFile, checkConfig } from "./config.js";
import { UsageError } from "./errors.js";
import { defaultJournalPath } from "./journal.js";
import { closest } from "./suggest.js";

/**
 * The journal a command means: --journal FILE, else the default journal of --config FILE's site.
 * Returns {journalPath, config (parsed, or null)}.
 */
export function locateJournal(opts, command) {
  const config = opts.config ? readConfigFile(opts.config) : null;
  if (opts.journal) return { journalPath: opts.journal, config };
  if (!config) throw new UsageError(`${command} needs --journal FILE (or --config FILE for its default journal)`);
  return { journalPath: defaultJournalPath(checkConfig(config).siteUrl), config };
}

/** Whether the journal file exists (a command that only reads never creates one). */
export function journalExists(journalPath) {
  return existsSync(journalPath);
}

/** The options that found the journal, as the user gave them, to repeat in a printed command. */
export function locateArgs({ config, journal } = {}) {
  const args = [];
  if (config) args.push("--config", config);
  if (journal) args.push("--journal", journal);
  return args;
}

/** `portal-migrate resume ID ...`: the locating options, then the report options when given. */
export function resumeCommand(jobId, keep = {}) {
  const args = ["resume", jobId, ...locateArgs(keep)];
  if (keep.report) args.push("--report", keep.report);
  if (keep.reportCsv) args.push("--report-csv", keep.reportCsv);
  return command(args);
}

/** `portal-migrate jobs discard ID ...`. */
export function discardCommand(jobId, keep = {}) {
  return command(["jobs", "discard", jobId, ...locateArgs(keep)]);
}

/** `portal-migrate jobs ...` (the listing, e.g. with --all). */
export function jobsCommand(extra, keep = {}) {
  return command(["jobs", ...extra, ...locateArgs(keep)]);
}

function command(args) {
  return ["portal-migrate", ...args.map(shellWord)].join(" ");
}

/** A word as one shell word (quoted only when it needs to be). */
export function shellWord(s) {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${String(s).replaceAll("'", `'\\''`)}'`;
}

/** Epoch ms as ISO 8601 UTC to the second: 2026-12-01T10:23:45Z. */
export function isoTime(ms) {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : "-";
}

export function sourcesText(job) {
  return job.sources?.length ? job.sources.join(", ") : "-";
}

/**
 * "1 open, 2 seen so far": the journal knows only the customers a job has reached, so an unfinished
 * job may have more to collect than it has seen.
 */
export function openText({ counts }) {
  if (!counts?.customers) return "no customer reached yet";
  return `${counts.open} open, ${counts.customers} seen so far`;
}

/**
 * One line per unfinished job, each with the exact commands that finish or drop it:
 *   job-0fa0fec9b700b9ab  started 2026-12-01T10:23:45Z  company:ACME  1 open, 2 seen so far
 *     resume: portal-migrate resume job-... --config c.json  discard: portal-migrate jobs discard job-... --config c.json
 * (on one line; wrapped here for reading).
 */
export function jobLine(job, keep) {
  return `  ${job.jobId}  started ${isoTime(job.startedMs)}  ${sourcesText(job)}  ${openText(job)}`
    + `  resume: ${resumeCommand(job.jobId, keep)}  discard: ${discardCommand(job.jobId, keep)}\n`;
}

/**
 * The heading and lines for unfinished jobs this command leaves alone; "" when there are none.
 * `how`: what would run them too, e.g. "--resume-others" and " first", or a resume --all command.
 */
export function otherJobsText(jobs, keep, { how, when = "" }) {
  if (!jobs.length) return "";
  const n = jobs.length;
  const head = n === 1
    ? `1 other unfinished job in this journal is not part of this run (${how} finishes it${when}):\n`
    : `${n} other unfinished jobs in this journal are not part of this run (${how} finishes them${when}):\n`;
  return head + jobs.map((j) => jobLine(j, keep)).join("");
}

/** `portal-migrate resume --all ...`. */
export function resumeAllCommand(keep = {}) {
  return command(["resume", "--all", ...locateArgs(keep)]);
}

/** A job summary for --json: the core's summary plus the start time and the commands that apply. */
export function jobJson(job, keep) {
  const open = job.status === "unfinished";
  return {
    ...job,
    started: isoTime(job.startedMs),
    resume: open ? resumeCommand(job.jobId, keep) : null,
    discard: open ? discardCommand(job.jobId, keep) : null,
  };
}

const HEAD = ["JOB", "STARTED", "STATUS", "CUSTOMERS", "MIGRATED", "FAILED", "OPEN", "SOURCES"];
const NUMERIC = new Set([3, 4, 5, 6]);

/** The `jobs` table: one row per job, counts right-aligned, sources last. */
export function jobsTable(jobs) {
  const rows = jobs.map((j) => [
    j.jobId, isoTime(j.startedMs), j.status,
    String(j.counts.customers), String(j.counts.migrated), String(j.counts.failed), String(j.counts.open),
    sourcesText(j),
  ]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((f, i) => (i === r.length - 1 ? f : NUMERIC.has(i) ? f.padStart(widths[i]) : f.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(HEAD), ...rows.map(line)].join("\n") + "\n";
}

/** `jobs show`: the summary, one field a line, then the request as JSON. */
export function jobDetail(job, keep) {
  const c = job.counts;
  const fields = [
    ["job", job.jobId],
    ["status", job.status],
    ["started", isoTime(job.startedMs)],
    ["sources", sourcesText(job)],
    ["customers", `${c.customers} seen, ${c.migrated} migrated, ${c.failed} failed, ${c.open} open`],
  ];
  if (job.error) fields.push(["error", job.error]);
  fields.push(["request", JSON.stringify(job.request)]);
  if (job.status === "unfinished") {
    fields.push(["resume", resumeCommand(job.jobId, keep)], ["discard", discardCommand(job.jobId, keep)]);
  }
  return fields.map(([k, v]) => `${k.padEnd(10)}${v}\n`).join("");
}

/** The job `jobId` of the journal, or a UsageError (exit 2) naming a near id when there is one. */
export async function requireJob(journal, jobId, journalPath) {
  const job = await core.getJob(journal, jobId);
  if (job) return job;
  const ids = (await core.listJobs(journal, {})).map((j) => j.jobId);
  const prefixed = ids.filter((id) => id.startsWith(jobId));
  const near = prefixed.length === 1 ? prefixed[0] : closest(jobId, ids);
  throw new UsageError(`no job ${jobId} in journal ${journalPath}${near ? `; did you mean ${near}?` : ""}`);
}
