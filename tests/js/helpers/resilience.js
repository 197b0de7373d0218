// Shared helpers for the resilience suite (tests/js/resilience-*.test.js): a simulator with fast
// retries, a host for `migrate` that counts what it sends, an in-memory journal, the control plane,
// and the invariants of "never lose a customer" read from GET /__sim/state.
import http from "node:http";
import fs from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startSimulator, Simulator } from "../../../js/sim/index.js";
import { createHandler, match } from "../../../js/sim/server.js";
import { ctl, simState, memoryJournal } from "./sim.js";
export { ctl, simState, memoryJournal };

export { startSimulator };

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../../js/cli/main.js", import.meta.url));

/** Retry settings that keep fault tests fast but still bounded (same shape as the config file). */
export const FAST_RETRY = {
  baseDelayMs: 50, rateLimitDelayMs: 100, maxDelayMs: 2000, assetsFloorMs: 100, maxAttempts: 8, maxTotalWaitMs: 60000,
};

/** The simulator's own config plus fast retries and a short visibility poll. */
export function fastConfig(sim, extra = {}) {
  // Single mode: the fault matrix's invariants count the per-customer migrate route.
  return { ...sim.config(), retry: { ...FAST_RETRY }, migrate: { mode: "single", pollTimeoutMs: 5000 }, ...extra };
}


export const setFaults = (sim, rules, seed) => ctl(sim, "POST", "faults", { rules, ...(seed === undefined ? {} : { seed }) });
export const clearFaults = (sim) => ctl(sim, "DELETE", "faults");
export const setRateLimit = (sim, body) => ctl(sim, "POST", "ratelimit", body);
export const clearRateLimit = (sim) => ctl(sim, "DELETE", "ratelimit");


const MIGRATE_RE = /\/migrate-to-atlassian-account-user\/([^/?]+)/;

/**
 * A host for `migrate`: fetch with Basic auth from sim.credentials (only to the simulator's origin),
 * a journal, and counters: requests, transport errors, and every migrate request per qm id with its
 * answer (`resends` = migrate requests answered "is not a local customer", i.e. sent for a customer
 * that was already migrated — the blind resend the design forbids).
 */
export function makeHost(sim, { journal = memoryJournal(), timeoutMs = 20_000 } = {}) {
  const auth = "Basic " + Buffer.from(`${sim.credentials.email}:${sim.credentials.apiToken}`).toString("base64");
  const origin = new URL(sim.url).origin;
  const counters = { requests: 0, transportErrors: 0, migrateRequests: 0, resends: 0, resendIds: [] };
  const host = {
    journal,
    counters,
    fetch: async ({ method, url, headers = {}, body }) => {
      counters.requests++;
      const u = new URL(url);
      if (u.origin !== origin) throw Object.assign(new Error(`test host refuses ${u.origin}`), { code: "REFUSED" });
      const m = MIGRATE_RE.exec(u.pathname);
      if (m) counters.migrateRequests++;
      let res;
      try {
        res = await fetch(url, {
          method, headers: { ...headers, authorization: auth }, body: body ?? undefined, redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        counters.transportErrors++;
        const e = new Error(`${method} ${u.pathname}: ${err.cause?.message ?? err.message}`);
        e.code = err.cause?.code ?? (err.name === "TimeoutError" ? "TIMEOUT" : "FETCH");
        throw e;
      }
      const text = await res.text();
      if (m && res.status === 400 && /is not a local customer/.test(text)) {
        counters.resends++;
        counters.resendIds.push(decodeURIComponent(m[1]));
      }
      return { status: res.status, headers: Object.fromEntries(res.headers), body: text };
    },
  };
  return host;
}

/** Runs `migrate` and never throws: `{result}` or `{error}` (with the error's code and message). */
export async function runJob(migrate, request, config, host) {
  try {
    return { result: await migrate(request, config, host) };
  } catch (error) {
    return { error };
  }
}

/**
 * What must hold after the job, taken from the state BEFORE it: every Assets customer object of the
 * given companies whose "Portal Account" holds a portal-only (qm:) id, with its company's space.
 */
export function expectedCustomers(state, companies = state.companies) {
  const objects = state.assets.objects;
  const spaceOf = new Map(objects.filter((o) => o.objectType === "Company").map((o) => [o.attributes.Key, o.attributes["Confluence Space"] ?? null]));
  const portal = new Set(state.users.filter((u) => u.accountType === "customer").map((u) => u.accountId));
  const wanted = new Set(companies);
  return objects
    .filter((o) => o.objectType === "Customer" && wanted.has(o.attributes.Company))
    .filter((o) => typeof o.attributes["Portal Account"] === "string" && portal.has(o.attributes["Portal Account"]))
    .map((o) => ({
      qm: o.attributes["Portal Account"], objectId: o.id, company: o.attributes.Company,
      email: o.attributes.Email, space: spaceOf.get(o.attributes.Company) ?? null,
    }));
}

/**
 * Checks the invariants against a state dump. Returns counts and a list of human-readable problems
 * (empty when converged):
 * - duplicates: qm ids with more than one entry in state.migrations (migrated twice);
 * - notMigrated: expected customers with no migration;
 * - lostWriteBacks: migrated customers whose Assets "Portal Account" is not the new account id;
 * - missingMemberships: new accounts missing from the target group;
 * - missingGrants: new accounts without read/space on their company's space.
 */
export function checkInvariants(state, expected, { groupName = "portal-migrated" } = {}) {
  const byQm = new Map();
  for (const m of state.migrations) {
    if (!byQm.has(m.qmId)) byQm.set(m.qmId, []);
    byQm.get(m.qmId).push(m);
  }
  const objects = new Map(state.assets.objects.map((o) => [o.id, o]));
  const group = state.groups.find((g) => g.name === groupName);
  const members = new Set(group ? group.members : []);
  const grants = new Map(state.spaces.map((s) => [s.key, new Set(s.permissions
    .filter((p) => p.subject.type === "user" && p.operation.key === "read" && p.operation.target === "space")
    .map((p) => p.subject.identifier))]));
  const out = { customers: expected.length, migrated: 0, duplicates: 0, notMigrated: 0, lostWriteBacks: 0, missingMemberships: 0, missingGrants: 0, problems: [] };
  for (const [qm, list] of byQm) {
    if (list.length > 1) {
      out.duplicates++;
      out.problems.push(`${qm} migrated ${list.length} times`);
    }
  }
  if (!group) out.problems.push(`no group ${groupName}`);
  for (const c of expected) {
    const list = byQm.get(c.qm);
    if (!list) {
      out.notMigrated++;
      out.problems.push(`${c.company} ${c.email} (${c.qm}) not migrated`);
      continue;
    }
    out.migrated++;
    const account = list[0].accountId;
    const value = objects.get(c.objectId)?.attributes["Portal Account"];
    if (value !== account) {
      out.lostWriteBacks++;
      out.problems.push(`${c.company} ${c.email}: Assets object ${c.objectId} "Portal Account" is ${JSON.stringify(value)}, not ${account}`);
    }
    if (!members.has(account)) {
      out.missingMemberships++;
      out.problems.push(`${c.company} ${c.email}: ${account} not in ${groupName}`);
    }
    if (c.space && !grants.get(c.space)?.has(account)) {
      out.missingGrants++;
      out.problems.push(`${c.company} ${c.email}: ${account} has no read/space on ${c.space}`);
    }
  }
  return out;
}

/** Failed customers of a report, each as "company email: step: error". */
export function failures(report) {
  return report.customers.filter((c) => c.status === "failed")
    .map((c) => `${c.company ?? "-"} ${c.email ?? c.portalAccountId}: ${c.failedStep}: ${c.error}`);
}

const STEPS = new Set(["check", "migrate", "writeBack", "groups", "space"]);
const SURFACE_IN_ERROR = /\((jira|assets|admin|confluence)\)/;

/** A failure is "clear" when it names the step, the Atlassian surface, and says whether a re-run helps. */
export function unclearFailures(report) {
  return report.customers.filter((c) => c.status === "failed")
    .filter((c) => !STEPS.has(c.failedStep) || !SURFACE_IN_ERROR.test(c.error ?? "") || typeof c.retryable !== "boolean")
    .map((c) => `${c.email}: failedStep=${c.failedStep} retryable=${c.retryable} error=${c.error}`);
}

/** A compact fixed-width table for console output. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((v) => String(v)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((v, i) => v.padEnd(widths[i])).join(" | ");
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("-|-"), ...cells.slice(1).map(line)].join("\n");
}

/** Sums the numeric values of an object ({"429": 3, "500": 2} → 5). */
export const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

/** mulberry32: a seeded generator for kill points and scenario choices in tests. */
export function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The simulator on its own node:http server, with a hook on every API request (control-plane calls
 * excluded): `onRequest({n, label, req, res})` runs when request number n (1-based) arrives, before
 * the simulator reads or processes it; `label` is "METHOD routeName". Same API as startSimulator.
 */
export async function startHookedSimulator({ seed = 1, scenario = "demo", settings = {}, email = "demo@example.com", apiToken = "demo-token" } = {}) {
  const sim = new Simulator({ seed, scenario, email, apiToken, settings, quiet: true });
  const handler = createHandler(sim);
  const hooks = { onRequest: null, n: 0, labels: [] };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    if (!path.startsWith("/__sim")) {
      hooks.n++;
      let label;
      try { label = `${req.method} ${match(req.method, path.replace(/\/+$/, ""))?.route.name ?? "unmatched"}`; } catch { label = `${req.method} ?`; }
      hooks.labels.push(label);
      if (hooks.onRequest) hooks.onRequest({ n: hooks.n, label, req, res });
    }
    handler(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  sim.setBaseUrl(url);
  return {
    url, hooks, simulator: sim, credentials: { email, apiToken },
    config: () => sim.config(),
    state: () => sim.state(),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * Starts the CLI (`node js/cli/main.js ...args`) with the simulator's credentials in the environment
 * and PORTAL_MIGRATE_STATE_DIR in `stateDir`. Returns {child, done}: done resolves to
 * {code, signal, stdout, stderr, ms}. `timeoutMs` SIGKILLs a hung process (and marks it timedOut).
 */
export function spawnCli(args, { credentials, stateDir, timeoutMs = 30_000 }) {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: {
      ...process.env, ATLASSIAN_EMAIL: credentials.email, ATLASSIAN_API_TOKEN: credentials.apiToken,
      PORTAL_MIGRATE_STATE_DIR: stateDir, PORTAL_MIGRATE_TIMEOUT_MS: "10000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
  const done = new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
  return { child, done };
}

/** The CLI journal file (JSON lines {k, v}, last line per key wins) as a Map of parsed values. */
export function readJournalFile(file) {
  const map = new Map();
  if (!fs.existsSync(file)) return map;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    let rec;
    try { rec = JSON.parse(line); } catch { continue; } // a torn last line
    if (typeof rec.k !== "string") continue; // a claim line ({"c": key, ...}), not a record
    try { map.set(rec.k, JSON.parse(rec.v)); } catch { map.set(rec.k, rec.v); }
  }
  return map;
}
