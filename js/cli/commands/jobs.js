// portal-migrate jobs [list] | jobs show ID | jobs discard ID: the journal's jobs as the core reads
// them (listJobs, getJob), and discarding one (discardJob; the core refuses while a customer of the
// job is between migrate and write-back). Listing and showing only read the journal (no lock, so
// they work while a run is going); discarding takes the journal's lock like a run.
import { parseArgs } from "../args.js";
import core from "../../core/node.js";
import { UsageError, EXIT } from "../errors.js";
import { openJournal } from "../journal.js";
import { createOutput } from "../output.js";
import { JSON_OPTION, COMMON_OPTIONS } from "../options.js";
import { closest } from "../suggest.js";
import {
  locateJournal, journalExists, requireJob, jobsTable, jobDetail, jobJson, resumeCommand, discardCommand, jobsCommand, sourcesText,
} from "../joblist.js";

const LOCATE = {
  journal: { type: "string", arg: "FILE", group: "required", help: "the journal (or give --config for its site's default journal)" },
  config: { type: "string", arg: "FILE", help: "the config file: finds the default journal of its site" },
};

const show = {
  name: "jobs show",
  summary: "one job: its status, counts, sources and stored request",
  usage: "ID (--journal FILE | --config FILE) [--json]",
  about: "Shows one job of the journal: its status (unfinished, done, failed, discarded), when it started, what it selects, its customer counts, the error it failed with, the request it was started with and, while unfinished, the commands that resume or discard it.",
  options: { ...LOCATE, ...JSON_OPTION, ...COMMON_OPTIONS },
  exits: [[0, "shown"], [2, "bad usage, or no such job"]],
};

const discard = {
  name: "jobs discard",
  summary: "drop an unfinished job, so that nothing offers to resume it",
  usage: "ID (--journal FILE | --config FILE) [--json]",
  about: "Marks the unfinished job ID discarded: no run or resume offers it again, and its customers are left as they are (running the same request again starts it anew). Refused (exit 1) while a customer of the job is between migrate and write-back, because its new account id is not in Assets yet: resume the job instead. A job that is already done, failed or discarded is left as it is (exit 0).",
  options: { ...LOCATE, ...JSON_OPTION, ...COMMON_OPTIONS },
  exits: [[0, "discarded (or already finished)"], [1, "refused: a customer is between migrate and write-back"], [2, "bad usage, no such job, or the journal is in use"]],
};

export const spec = {
  name: "jobs",
  summary: "list the journal's jobs; jobs show ID, jobs discard ID",
  usage: "[list | show ID | discard ID] (--journal FILE | --config FILE) [--all] [--json]",
  about: "Lists the jobs of a journal, oldest first: id, start time (UTC), status, the customers each has reached so far (seen, migrated, failed, open) and what it selects. Without --all only the unfinished ones, each a job to resume (portal-migrate resume ID) or discard (portal-migrate jobs discard ID). Every run is a job; the same request is the same job, so re-running a command continues or re-checks its job.",
  commands: [
    ["jobs [list]", "the unfinished jobs (--all: also done, failed and discarded)"],
    ["jobs show ID", show.summary],
    ["jobs discard ID", discard.summary],
  ],
  subcommands: { show, discard },
  options: {
    ...LOCATE,
    all: { type: "bool", help: "also the jobs that are done, failed or discarded" },
    ...JSON_OPTION,
    ...COMMON_OPTIONS,
  },
  exits: [[0, "listed"], [2, "bad usage"]],
  examples: [
    "portal-migrate jobs --config portal-migrate.json",
    "portal-migrate jobs show job-0fa0fec9b700b9ab --config portal-migrate.json",
    "portal-migrate jobs discard job-0fa0fec9b700b9ab --journal ~/.portal-migrate/acme.atlassian.net/journal.jsonl",
  ],
};

const SUBS = ["list", "show", "discard"];

export async function jobs(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  let sub = "list";
  let rest = argv;
  if (argv.length && !argv[0].startsWith("--")) {
    [sub, ...rest] = argv;
    if (!SUBS.includes(sub)) {
      const near = closest(sub, SUBS);
      throw new UsageError(`unknown jobs command ${JSON.stringify(sub)}${near ? `; did you mean "${near}"?` : ""} (see portal-migrate jobs --help)`);
    }
  }
  const subSpec = sub === "list" ? spec : spec.subcommands[sub];
  const opts = parseArgs(rest, subSpec.options, { command: subSpec.name, positional: sub === "list" ? 0 : 1 });
  const io = { stdout, stderr };
  if (sub === "list") return list(opts, io);
  const [id] = opts._;
  if (id === undefined) throw new UsageError(`${subSpec.name} needs a job ID (portal-migrate jobs lists them)`);
  return sub === "show" ? showJob(id, opts, io) : discardJob(id, opts, io);
}

function setup(opts, command, io) {
  const { journalPath } = locateJournal(opts, command);
  const out = createOutput({ json: opts.json, noColor: opts.noColor, ...io });
  const locate = { config: opts.config, journal: opts.journal };
  return { journalPath, out, locate };
}

async function list(opts, io) {
  const { journalPath, out, locate } = setup(opts, "jobs", io);
  let all = [];
  if (journalExists(journalPath)) {
    const journal = openJournal(journalPath, { readOnly: true });
    try { all = await core.listJobs(journal, {}); } finally { journal.close(); }
  }
  const shown = opts.all ? all : all.filter((j) => j.status === "unfinished");
  const hidden = all.length - shown.length;
  if (!journalExists(journalPath)) out.print(`no jobs: there is no journal ${journalPath}\n`);
  else if (shown.length) out.print(jobsTable(shown));
  else out.print(opts.all ? `no jobs in journal ${journalPath}\n` : `no unfinished jobs in journal ${journalPath}\n`);
  if (shown.some((j) => j.status === "unfinished")) {
    out.print(`finish one: ${resumeCommand("ID", locate)}; or drop it: ${discardCommand("ID", locate)}\n`);
  }
  if (hidden > 0) out.print(`${hidden} more (done, failed or discarded): ${jobsCommand(["--all"], locate)}\n`);
  out.document({ command: "jobs", journal: journalPath, all: opts.all === true, jobs: shown.map((j) => jobJson(j, locate)), hidden, exitCode: EXIT.ok });
  return EXIT.ok;
}

async function readJob(id, journalPath) {
  if (!journalExists(journalPath)) throw new UsageError(`no job ${id}: there is no journal ${journalPath}`);
  const journal = openJournal(journalPath, { readOnly: true });
  try { return await requireJob(journal, id, journalPath); } finally { journal.close(); }
}

async function showJob(id, opts, io) {
  const { journalPath, out, locate } = setup(opts, "jobs show", io);
  const job = await readJob(id, journalPath);
  out.print(jobDetail(job, locate));
  out.document({ command: "jobs show", journal: journalPath, job: jobJson(job, locate), exitCode: EXIT.ok });
  return EXIT.ok;
}

async function discardJob(id, opts, io) {
  const { journalPath, out, locate } = setup(opts, "jobs discard", io);
  if (!journalExists(journalPath)) throw new UsageError(`no job ${id}: there is no journal ${journalPath}`);
  const journal = openJournal(journalPath);
  let job;
  try {
    const before = await requireJob(journal, id, journalPath);
    if (before.status !== "unfinished") {
      const was = { done: "is already done", failed: "already failed", discarded: "was already discarded" }[before.status] ?? `is ${before.status}`;
      out.print(`job ${id} ${was}; nothing to discard\n`);
      out.document({ command: "jobs discard", journal: journalPath, discarded: false, job: jobJson(before, locate), exitCode: EXIT.ok });
      return EXIT.ok;
    }
    try {
      job = await core.discardJob(journal, id, Date.now());
    } catch (e) {
      if (e?.code !== "REFUSED") throw e;
      // The core's refusal (a customer between migrate and write-back): exit 1 with its reason; the
      // command it names gets this journal's options.
      const bare = `portal-migrate resume ${id}`;
      let message = String(e.message).replace(/^refused: /, "");
      if (message.endsWith(bare)) message = message.slice(0, -bare.length) + resumeCommand(id, locate);
      out.note(`portal-migrate: ${message}\n`);
      out.document({ command: "jobs discard", journal: journalPath, error: { code: "REFUSED", message }, job: jobJson(before, locate), exitCode: EXIT.failed });
      return EXIT.failed;
    }
  } finally {
    journal.close();
  }
  const open = job.counts.open;
  out.print(`discarded job ${id} (${sourcesText(job)}): nothing will offer to resume it; its ${open} open customer${open === 1 ? " is" : "s are"} left as ${open === 1 ? "it is" : "they are"}\n`);
  out.document({ command: "jobs discard", journal: journalPath, discarded: true, job: jobJson(job, locate), exitCode: EXIT.ok });
  return EXIT.ok;
}
