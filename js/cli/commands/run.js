// portal-migrate run: build the request from the arguments, finish any other unfinished job in the
// journal first, run, print, write the reports.
import { parseArgs } from "../args.js";
import { readConfigFile, checkConfig, secretsFromEnv } from "../config.js";
import { readCustomersFile } from "../csv.js";
import { UsageError, EXIT } from "../errors.js";
import { realHost } from "../host.js";
import { openJournal, defaultJournalPath } from "../journal.js";
import { runJob, unfinishedJobs, sameJob, writeReports, exitCode, unfinishedLine, onInterrupt } from "../job.js";
import { createProgress } from "../progress.js";
import { OUTPUT_OPTIONS, progressMode, deadline } from "../options.js";
import { planJob } from "../../core/node.js";

const SPEC = {
  ...OUTPUT_OPTIONS,
  company: "list",
  customer: "list",
  "customers-file": "list",
  issue: "string",
  aql: "string",
  "portal-customers": "bool",
  "email-domain": "string",
  "dry-run": "bool",
  "job-id": "string",
};

export async function run(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, SPEC);
  if (!opts.config) throw new UsageError("run needs --config FILE");
  const config = readConfigFile(opts.config);
  const urls = checkConfig(config);
  const request = buildRequest(opts, config);
  const mode = progressMode(opts);
  const credentials = secretsFromEnv();

  const journalPath = opts.journal ?? defaultJournalPath(urls.siteUrl);
  const journal = openJournal(journalPath, { readOnly: request.dryRun === true });
  try {
    onInterrupt(journalPath);
    const host = realHost({ urls, credentials, journal });
    const progress = createProgress(mode, stderr);
    const out = { progress, quiet: opts.quiet, stdout };
    if (!request.dryRun) await rememberConfig(journal, config);

    // A dry run only reads, so it finishes nobody's job.
    const earlier = request.dryRun ? [] : (await unfinishedJobs(journal)).filter((j) => !sameJob(j, request));
    const results = [];
    for (const job of earlier) {
      stderr.write(`resuming unfinished job ${job.jobId} first\n`);
      const earlierRequest = { ...job.request };
      if (request.deadlineMs !== undefined) earlierRequest.deadlineMs = request.deadlineMs;
      const r = await runJob(earlierRequest, config, host, out);
      results.push(r);
      if (r.continuation) {
        stdout.write(unfinishedLine(r, journal.path));
        return EXIT.unfinished;
      }
    }
    const result = await runJob(request, config, host, out);
    results.push(result);
    writeReports(result, opts);
    if (result.continuation) stdout.write(unfinishedLine(result, journal.path));
    return exitCode(results);
  } finally {
    journal.close();
  }
}

export function buildRequest(opts, config) {
  const request = {};
  const customers = [...(opts.customer ?? [])];
  for (const file of opts.customersFile ?? []) customers.push(...readCustomersFile(file));
  if (opts.company) request.companies = opts.company;
  if (customers.length) request.customers = customers;
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
