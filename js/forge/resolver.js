// The admin page's resolver (jira:adminPage, Custom UI; js/forge/ui/admin). The page calls these
// through @forge/bridge invoke(name, payload); @forge/resolver's define pattern routes them
// (https://developer.atlassian.com/platform/forge/runtime-reference/forge-resolver/).
//
//   getSettings                      config, its source, host settings, "set / not set" of secrets
//   saveConfig {config}              validated (core validateConfig + Forge rules), then stored
//   saveSecrets {email?, apiToken?}  KVS secret storage; never read back to the page
//   saveHostSettings {triggerStatus?, actionAllowedGroups?}
//   doctor {company?}                the core's checklist, plus the Forge-only checks
//   dryRun {company}                 the plan: per customer, what each step would do
//   startJob {companies?|customers?|issueKey?}   runs small jobs inline, queues big ones
//   listJobs                         the core's job list joined with the host's job records
//   jobCsv {jobId}                   the job's report as CSV (the core's reportCsv)
//
// Every call first checks that the viewer holds Administer Jira (access.js). Answers are
// { ok: true, ... } or { ok: false, error: { code, message, path? } }: a thrown error reaches the
// page only as a generic message. Payloads stay far below the invoke limits (500 KB request,
// 5 MB response: https://developer.atlassian.com/platform/forge/platform-quotas-and-limits/#invocation-limits).
import { describeError, isJobId, isPlainObject } from "../core/edge.js";
import { readStatus, recordKey } from "../core/jobs.js";
import { SITE_ADMINS, callerIsAdmin } from "./access.js";
import { forgeHost } from "./host.js";
import { kvsJournal } from "./journal.js";
import { createSettings } from "./settings.js";

/** Resolvers run under the general 25 s limit: inline work stops well before it. */
export const RESOLVER_BUDGETS = Object.freeze({ dryRun: 15_000, startInline: 12_000, fetchTimeout: 10_000 });
const MAX_CSV_CHARS = 4 * 1024 * 1024;
const MAX_JOBS_LISTED = 100;

function fail(code, message, extra = {}) {
  return { ok: false, error: { code, message, ...extra } };
}

function failure(err) {
  const { body } = describeError(err);
  return { ok: false, error: body.error };
}

/** The sources a request names, for the job list ("company:ACME", "issue:SUP-1", ...). */
export function sourcesOf(request) {
  const r = request ?? {};
  const out = [];
  for (const c of r.companies ?? []) out.push(`company:${c}`);
  if (r.customers?.length) out.push(`customers:${r.customers.length}`);
  if (r.issueKey) out.push(`issue:${r.issueKey}`);
  if (r.aql) out.push("aql");
  if (r.portalCustomers) out.push("portal directory");
  return out.length ? out : ["config companies"];
}

function listOf(v) {
  if (v === undefined || v === null || v === "") return [];
  if (Array.isArray(v)) return v.filter((x) => typeof x === "string" && x.trim()).map((x) => x.trim());
  if (typeof v === "string") return v.split(/[\s,;]+/).filter(Boolean);
  return null;
}

export function createResolver({ platform, core, log = () => {}, budgets = {} }) {
  const B = { ...RESOLVER_BUDGETS, ...budgets };
  const settings = createSettings({ platform, core });
  const journal = kvsJournal(platform.kvs);
  const resolver = new platform.Resolver();

  const hostFor = (context, needToken) =>
    forgeHost({ platform, core, settings, context, needToken, fetchTimeoutMs: B.fetchTimeout, log });

  /** define() with the admin check and the { ok, error } envelope around every function. */
  function define(name, fn) {
    resolver.define(name, async (req) => {
      try {
        if (!(await callerIsAdmin({ productAsUser: platform.productAsUser }))) {
          return fail("FORBIDDEN", "only Jira administrators can use the portal-migrate admin page");
        }
        const payload = isPlainObject(req?.payload) ? req.payload : {};
        return { ok: true, ...(await fn(payload, req?.context ?? {})) };
      } catch (err) {
        log("warn", `resolver ${name} failed`, { code: err?.code, message: err?.message });
        return failure(err);
      }
    });
  }

  define("getSettings", async () => {
    const { config, source } = await settings.readConfig().catch((err) => ({ config: null, source: null, error: err }));
    const { status } = await settings.credentials();
    return {
      config,
      configSource: source,
      triggerStatus: await settings.triggerStatus(),
      actionAllowedGroups: await settings.allowedGroups(),
      secrets: { email: status.email !== null, apiToken: status.apiToken !== null, source: status },
    };
  });

  define("saveConfig", async ({ config }) => {
    const urls = await settings.saveConfig(config);
    return { urls };
  });

  define("saveSecrets", async ({ email, apiToken }) => {
    const status = await settings.saveSecrets({ email, apiToken });
    return { secrets: { email: status.email !== null, apiToken: status.apiToken !== null } };
  });

  define("saveHostSettings", async ({ triggerStatus, actionAllowedGroups }) => {
    await settings.saveHostSettings({ triggerStatus, actionAllowedGroups: actionAllowedGroups === undefined ? undefined : listOf(actionAllowedGroups) });
    return { triggerStatus: await settings.triggerStatus(), actionAllowedGroups: await settings.allowedGroups() };
  });

  define("doctor", async ({ company }, context) => {
    const { config, host, urls } = await hostFor(context, false);
    const report = await core.doctor(config, host, company ? { company: String(company) } : {});
    const checks = [...report.checks, ...(await forgeChecks({ config, urls }))];
    return { ok: checks.every((c) => c.ok), checks };
  });

  define("dryRun", async ({ company }, context) => {
    if (typeof company !== "string" || !company.trim()) return fail("BAD_INPUT", "give a company key");
    const { config, host } = await hostFor(context, false);
    const result = await core.migrate({ companies: [company.trim()], dryRun: true, deadlineMs: platform.now() + B.dryRun }, config, host);
    const customers = result.report.customers.map((c) => ({
      email: c.email, portalAccountId: c.portalAccountId, accountId: c.accountId, status: c.status, steps: c.steps, error: c.error,
    }));
    return { jobId: result.jobId, totals: result.report.totals, customers, more: result.continuation !== null };
  });

  define("startJob", async ({ companies, customers, issueKey }, context) => {
    const request = {};
    const c = listOf(companies);
    const u = listOf(customers);
    if (c === null || u === null) return fail("BAD_INPUT", "companies and customers are lists of text");
    if (c.length) request.companies = c;
    if (u.length) request.customers = u;
    if (typeof issueKey === "string" && issueKey.trim()) request.issueKey = issueKey.trim();
    if (!Object.keys(request).length) return fail("BAD_INPUT", "give companies, customers or an issue key");
    const { jobs } = await hostFor(context, true);
    const { report, ...out } = await jobs.start(request, { mode: "auto", inlineMs: B.startInline });
    return { job: out };
  });

  define("listJobs", async () => {
    const listed = await core.listJobs(journal, {});
    const jobs = [];
    for (const j of listed.slice(-MAX_JOBS_LISTED)) {
      const text = await journal.get(recordKey(j.jobId));
      const rec = text ? JSON.parse(text) : null;
      jobs.push({
        jobId: j.jobId,
        state: rec?.state ?? (j.finished ? "done" : "unfinished"),
        finished: j.finished,
        dryRun: j.request?.dryRun === true,
        sources: sourcesOf(j.request),
        totals: rec?.report?.totals ?? null,
        startedMs: j.startedMs ?? rec?.createdMs ?? null,
        updatedMs: rec?.updatedMs ?? null,
        chunks: rec?.chunks ?? 0,
        error: rec?.error ?? null,
      });
    }
    jobs.sort((a, b) => (b.startedMs ?? 0) - (a.startedMs ?? 0));
    return { jobs };
  });

  define("jobCsv", async ({ jobId }) => {
    if (!isJobId(jobId)) return fail("BAD_JOB_ID", "not a job id");
    const status = await readStatus(core, journal, jobId);
    if (!status?.report) return fail("NOT_FOUND", "this job has no report yet");
    const csv = core.reportCsv(status.report);
    if (csv.length > MAX_CSV_CHARS) return fail("TOO_LARGE", "the report is too large to download here; read it through the web trigger");
    return { filename: `${jobId}.csv`, csv };
  });

  /**
   * Checks only the Forge host needs. Adding group members takes site administration, which the
   * app user lacks unless an admin adds it to site-admins (POST /rest/api/3/group/user "Permissions
   * required: Site administration"; community.developer.atlassian.com/t/92540: 403 for asApp()).
   */
  async function forgeChecks({ config }) {
    const checks = [];
    const { status } = await settings.credentials();
    checks.push({
      name: "admin token stored",
      ok: status.email !== null && status.apiToken !== null,
      detail: status.apiToken === "kvs" ? "in this site's secret storage" : status.apiToken === "variable" ? "from the app's environment variables (shared by every site)" : "not set",
      fix: "enter the org admin's email and API token under Secrets",
    });
    if ((config.groups ?? []).length) {
      const res = await platform.product.requestJira("/rest/api/3/myself?expand=groups", { method: "GET", headers: { accept: "application/json" } });
      const me = res.status === 200 ? JSON.parse(await res.text()) : null;
      const inAdmins = (me?.groups?.items ?? []).some((g) => g?.name === SITE_ADMINS);
      checks.push({
        name: "app may add group members",
        ok: inAdmins,
        detail: me ? (inAdmins ? `the app user is in ${SITE_ADMINS}` : `the app user (${me.accountId}) is not in ${SITE_ADMINS}`) : `HTTP ${res.status}`,
        fix: `add the app's user to ${SITE_ADMINS} in admin.atlassian.com, or leave "groups" empty`,
      });
    }
    return checks;
  }

  return resolver.getDefinitions();
}
