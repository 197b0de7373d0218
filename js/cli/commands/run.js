// portal-migrate run: build the request from the arguments, run exactly that, print, write the
// reports. Other unfinished jobs in the journal are listed (with the commands that resume or discard
// them), never run, unless --resume-others asks for the old behaviour: finish them first.
import { parseArgs } from "../args.js";
import { readConfigFile, checkConfig, secretsFromEnv } from "../config.js";
import { readCustomersRows } from "../csv.js";
import { UsageError, EXIT } from "../errors.js";
import { realHost } from "../host.js";
import { openJournal, defaultJournalPath } from "../journal.js";
import { runJob, unfinishedJobs, sameJob, writeReports, exitCode, unfinishedLine, onInterrupt, jobsDocument, stoppedShort, discardRows } from "../job.js";
import { otherJobsText, jobJson, resumeCommand } from "../joblist.js";
import { createOutput } from "../output.js";
import { createProgress } from "../progress.js";
import { OUTPUT_OPTIONS, progressMode, deadline } from "../options.js";
import { planJob, jobId } from "../../core/node.js";

export const spec = {
  name: "run",
  summary: "migrate the selected customers",
  usage: "--config FILE [sources] [options]",
  about: "Migrates the selected customers, then writes each new account id back to Assets, adds the groups and grants the company's Confluence space. A re-run never migrates anyone twice. Only what is asked runs: other unfinished jobs in the journal are listed on stderr, each with the commands that resume or discard it (portal-migrate jobs lists them too), unless --resume-others finishes them first.",
  groups: { sources: `sources (repeatable; without any, the config's "companies")` },
  options: {
    ...OUTPUT_OPTIONS,
    company: { type: "list", arg: "KEY", group: "sources", help: "customers of a company (Assets customerQuery)" },
    customer: { type: "list", arg: "ID_OR_EMAIL", group: "sources", help: "a portal account id (qm:...), account id or email" },
    "customers-file": { type: "list", arg: "CSV", group: "sources", help: "ids from a UTF-8 CSV column customer, email, accountId or portalAccountId (else the first column), and an optional space column (that customer's Confluence space); the first line is the header" },
    issue: { type: "string", arg: "KEY", group: "sources", help: "the issue's reporter; the issue gets a summary comment" },
    aql: { type: "string", arg: "QUERY", group: "sources", help: "customer objects selected by an AQL query" },
    "portal-customers": { type: "bool", group: "sources", help: "every portal-only customer (optionally of one --email-domain)" },
    "email-domain": { type: "string", arg: "D", group: "sources", help: "with --portal-customers: only this email domain" },
    "dry-run": { type: "bool", help: "report what would happen; writes nothing" },
    "job-id": { type: "string", arg: "ID", help: "name the job (default: derived from the request)" },
    "resume-others": { type: "bool", help: "first finish the journal's other unfinished jobs, oldest first (default: only list them)" },
  },
  exits: [[0, "done"], [1, "a customer failed, or an error"], [2, "bad usage, config or secrets, or credentials Atlassian refuses"], [3, "unfinished (resume it), or running in another process"], [130, "interrupted (resume it)"]],
  examples: [
    "portal-migrate run --config portal-migrate.json --company ACME --dry-run --report plan.json",
    "portal-migrate run --config portal-migrate.json --customers-file list.csv --json > result.json",
    "portal-migrate run --config portal-migrate.json --company GLOBEX --resume-others",
  ],
};

export async function run(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, spec.options, { command: "run" });
  if (!opts.config) throw new UsageError("run needs --config FILE (see portal-migrate run --help)");
  const config = readConfigFile(opts.config);
  const urls = checkConfig(config);
  const request = buildRequest(opts, config);
  const mode = progressMode(opts);
  const credentials = secretsFromEnv();
  const out = createOutput({ json: opts.json, noColor: opts.noColor, stdout, stderr });

  if (opts.resumeOthers && request.dryRun) throw new UsageError("--resume-others cannot be combined with --dry-run (a dry run finishes no job)");
  const journalPath = opts.journal ?? defaultJournalPath(urls.siteUrl);
  // What a printed command repeats: how this run found its journal, and its report files.
  const keep = { config: opts.config, journal: opts.journal, report: opts.report, reportCsv: opts.reportCsv };
  const locate = { config: opts.config, journal: opts.journal };
  const journal = openJournal(journalPath, { readOnly: request.dryRun === true });
  const results = [];
  let reports = {};
  let code;
  let otherJobs = [];
  const mine = jobId(request);
  let current = mine; // the job running now, for the Ctrl-C hint
  const resumeFor = (id) => (id === mine ? keep : locate);
  const stopWatching = onInterrupt(journalPath, out, "run", () => resumeCommand(current, resumeFor(current)));
  try {
    const host = realHost({ urls, credentials, journal });
    const jobOut = { progress: createProgress(mode, stderr), quiet: opts.quiet, out };
    if (!request.dryRun) await rememberConfig(journal, config);

    const others = (await unfinishedJobs(journal)).filter((j) => !sameJob(j, request));
    if (opts.resumeOthers) {
      for (const job of others) {
        out.note(`resuming unfinished job ${job.jobId} first\n`);
        current = job.jobId;
        const earlierRequest = { ...job.request };
        if (request.deadlineMs !== undefined) earlierRequest.deadlineMs = request.deadlineMs;
        const r = await runJob(earlierRequest, config, host, jobOut);
        results.push(r);
        if (stoppedShort(r)) break;
      }
    } else {
      // Listed, never run: a run does what it was asked. (A dry run cannot take --resume-others.)
      out.note(otherJobsText(others, locate, { how: request.dryRun ? "a run with --resume-others" : "--resume-others", when: " first" }));
    }
    if (!stoppedShort(results.at(-1))) {
      current = mine;
      const result = await runJob(request, config, host, jobOut, opts);
      results.push(result);
      reports = writeReports(result, opts);
    }
    const last = results.at(-1);
    if (last.continuation) out.print(out.style.yellow(unfinishedLine(last, resumeFor(last.jobId))));
    code = exitCode(results);
    otherJobs = (await unfinishedJobs(journal)).filter((j) => j.jobId !== mine).map((j) => jobJson(j, locate));
  } finally {
    discardRows(results);
    stopWatching();
    journal.close();
  }
  out.document(jobsDocument("run", results, { journalPath, keep: resumeFor, reports, exitCode: code, otherJobs }));
  return code;
}

export function buildRequest(opts, config) {
  const request = {};
  const customers = [...(opts.customer ?? [])];
  const spaces = {};
  for (const file of opts.customersFile ?? []) {
    const rows = readCustomersRows(file);
    customers.push(...rows.ids);
    Object.assign(spaces, rows.spaces);
  }
  if (opts.company) request.companies = opts.company;
  if (customers.length) request.customers = customers;
  if (Object.keys(spaces).length) request.customerSpaces = spaces;
  if (opts.issue !== undefined) request.issueKey = opts.issue;
  if (opts.aql !== undefined) request.aql = opts.aql;
  if (opts.emailDomain !== undefined && !opts.portalCustomers) throw new UsageError("--email-domain needs --portal-customers");
  if (opts.portalCustomers) request.portalCustomers = opts.emailDomain === undefined ? {} : { emailDomain: opts.emailDomain };
  if (opts.dryRun) request.dryRun = true;
  if (opts.jobId !== undefined) request.jobId = opts.jobId;
  if (opts.concurrency !== undefined) request.concurrency = opts.concurrency;
  const d = deadline(opts);
  if (d !== undefined) request.deadlineMs = d;
  // The core decides what the request selects (the config's companies when it names none); the
  // CLI only words the refusal in its own flags.
  if (!planJob(request, config, {}).selects) {
    throw new UsageError("no customers selected: give --company, --customer, --customers-file, --issue, --aql or --portal-customers (or companies in the config)");
  }
  return request;
}

/** So `resume --journal FILE` works without --config. Configs hold no secrets. */
async function rememberConfig(journal, config) {
  const text = JSON.stringify(config);
  if ((await journal.get("cli/config")) !== text) await journal.put("cli/config", text);
}
