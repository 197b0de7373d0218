// Shared helpers for the complete-pipeline suite (tests/js/pipeline-*.test.js): a simulator per test,
// a config with fast retries, a recording host for `migrate`, an in-memory journal, the CLI run as a
// child process (asynchronously: the simulator lives in this process), the control plane, and readers
// of GET /__sim/state that turn it into the facts the tests assert (who was migrated, what Assets
// holds, group members, space permissions, comments).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { startSimulator } from "../../../js/sim/index.js";
import { ctl, simState, memoryJournal } from "./sim.js";
export { ctl, simState, memoryJournal };

export { startSimulator };

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = path.join(ROOT, "js/cli/main.js");
export const TARGET_GROUP = "portal-migrated";
export const STEP_NAMES = ["check", "migrate", "writeBack", "groups", "space"];

/** Steps of a customer this job migrated and fully finished (space `done` or `skipped`). */
export const ALL_DONE = { check: "done", migrate: "done", writeBack: "done", groups: "done", space: "done" };
/** Steps of a customer found already migrated and already fully set up. */
export const ALL_ALREADY = { check: "done", migrate: "already", writeBack: "already", groups: "already", space: "already" };
/** Steps of an Assets object without a portal account. */
export const ALL_SKIPPED = { check: "skipped", migrate: "skipped", writeBack: "skipped", groups: "skipped", space: "skipped" };

/** Retries that keep tests quick but bounded (the config file's shape). */
export const FAST_RETRY = {
  baseDelayMs: 50, rateLimitDelayMs: 100, maxDelayMs: 2000, assetsFloorMs: 100, maxAttempts: 6, maxTotalWaitMs: 20000,
};

/** A demo simulator on a free port. */
export function startSim(options = {}) {
  return startSimulator({ port: 0, seed: 1, quiet: true, ...options });
}

/**
 * The simulator's config plus fast retries and a short poll; `extra.migrate`, `extra.confluence`,
 * `extra.comment` and `extra.assets` are merged into the defaults, everything else replaces.
 */
export function pipelineConfig(sim, extra = {}) {
  const base = sim.config();
  const { migrate = {}, confluence, comment, assets = {}, ...rest } = extra;
  // Single mode unless a test asks for bulk: these suites count the per-customer migrate route.
  const out = { ...base, retry: { ...FAST_RETRY }, migrate: { mode: "single", pollTimeoutMs: 5000, ...migrate }, ...rest };
  out.assets = { ...base.assets, ...assets };
  if (confluence !== undefined) out.confluence = { ...(base.confluence ?? {}), ...confluence };
  if (comment !== undefined) out.comment = comment;
  return out;
}




/**
 * A host for `migrate` / `doctor`: fetch with Basic auth (only to the simulator), a journal, and a log
 * of every request `{surface, method, path, query, body, status, response}` (body parsed when JSON).
 */
export function makeHost(sim, { journal = memoryJournal(), credentials = sim.credentials } = {}) {
  const auth = "Basic " + Buffer.from(`${credentials.email}:${credentials.apiToken}`).toString("base64");
  const origin = new URL(sim.url).origin;
  const requests = [];
  return {
    journal,
    requests,
    fetch: async ({ surface, method, url, headers = {}, body }) => {
      const u = new URL(url);
      if (u.origin !== origin) throw Object.assign(new Error(`test host refuses ${u.origin}`), { code: "REFUSED" });
      let parsed = body ?? null;
      try { parsed = body ? JSON.parse(body) : null; } catch { /* keep text */ }
      const entry = { surface, method, path: u.pathname, query: u.search, body: parsed, status: null, response: null };
      requests.push(entry);
      const res = await fetch(url, {
        method, headers: { ...headers, authorization: auth }, body: body ?? undefined, redirect: "manual",
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      entry.status = res.status;
      entry.response = text;
      return { status: res.status, headers: Object.fromEntries(res.headers), body: text };
    },
  };
}

// --- the CLI -----------------------------------------------------------------------------------------

/** A temporary directory, removed by the returned `cleanup`. */
export function tempDir(prefix = "pm-pipeline-") {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `config` as JSON into `dir` and returns its path. */
export function writeConfig(tmp, config, name = "config.json") {
  const f = tmp.file(name);
  writeFileSync(f, JSON.stringify(config, null, 2));
  return f;
}

/**
 * Runs `node js/cli/main.js ...args` without blocking this process (the simulator answers from here).
 * Credentials come from the simulator unless `env` overrides them; journals default into `stateDir`.
 */
export function runCli(sim, args, { env = {}, stateDir, timeoutMs = 45_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME,
        ATLASSIAN_EMAIL: sim.credentials.email, ATLASSIAN_API_TOKEN: sim.credentials.apiToken,
        ...(stateDir ? { PORTAL_MIGRATE_STATE_DIR: stateDir } : {}),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`CLI ${args.join(" ")} timed out\n${stdout}\n${stderr}`)); }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** RFC 4180 rows: the CLI's own reader (its tests pin the format; the core's writer is tested in Rust). */
export { parseCsv } from "../../../js/cli/csv.js";

// --- reading the simulator's state -------------------------------------------------------------------

/** Customer objects of a company (in Assets order). */
export function customerObjects(state, company) {
  return state.assets.objects.filter((o) => o.objectType === "Customer" && (company === undefined || o.attributes.Company === company));
}

/** Customer objects of a company that hold a portal-only account (the ones a job migrates). */
export function portalObjects(state, company) {
  const portal = new Set(state.users.filter((u) => u.accountType === "customer").map((u) => u.accountId));
  return customerObjects(state, company).filter((o) => portal.has(o.attributes["Portal Account"]));
}

export const objectById = (state, id) => state.assets.objects.find((o) => o.id === id);
export const userById = (state, id) => state.users.find((u) => u.accountId === id) ?? null;
export const migrationsOf = (state, qm) => state.migrations.filter((m) => m.qmId === qm);
export const groupMembers = (state, name = TARGET_GROUP) => state.groups.find((g) => g.name === name)?.members ?? [];
export const space = (state, key) => state.spaces.find((s) => s.key === key);
export const routeCount = (state, route) => state.calls.byRoute[route] ?? 0;

/** A user's permissions in a space, as "key/target" in the order they were granted. */
export function permissionsOf(state, spaceKey, accountId) {
  return space(state, spaceKey).permissions
    .filter((p) => p.subject.type === "user" && p.subject.identifier === accountId)
    .map((p) => `${p.operation.key}/${p.operation.target}`);
}

/** Every space where the user has any permission. */
export function spacesOf(state, accountId) {
  return state.spaces.filter((s) => s.permissions.some((p) => p.subject.identifier === accountId)).map((s) => s.key);
}

/** The space of a company, from its Assets object. */
export function companySpace(state, company) {
  return state.assets.objects.find((o) => o.objectType === "Company" && o.attributes.Key === company)?.attributes["Confluence Space"] ?? null;
}

/**
 * Asserts the whole pipeline happened for one customer object (taken from the state BEFORE the job):
 * migrated exactly once to an Atlassian account with its email, that account written back into
 * "Portal Account", a member of the target group, and (when `space` is given) holding exactly
 * `permissions` there and nothing in any other space. Returns the new account id.
 */
export function assertPipelineDone(after, object, { space: spaceKey = null, permissions = ["read/space"] } = {}) {
  const qm = object.attributes["Portal Account"];
  const email = object.attributes.Email;
  const list = migrationsOf(after, qm);
  assert.equal(list.length, 1, `${email} (${qm}) migrated ${list.length} times`);
  const account = list[0].accountId;
  assert.equal(list[0].email, email);
  const user = userById(after, account);
  assert.ok(user, `${email}: new account ${account} missing`);
  assert.equal(user.accountType, "atlassian", `${email}: ${account} is not an Atlassian account`);
  assert.equal(user.emailAddress, email);
  assert.equal(userById(after, qm), null, `${email}: portal-only ${qm} still exists`);
  assert.equal(objectById(after, object.id).attributes["Portal Account"], account, `${email}: Assets object ${object.id} not written back`);
  assert.ok(groupMembers(after).includes(account), `${email}: ${account} not in ${TARGET_GROUP}`);
  if (spaceKey) {
    assert.deepEqual(permissionsOf(after, spaceKey, account), permissions, `${email}: permissions in ${spaceKey}`);
    assert.deepEqual(spacesOf(after, account), [spaceKey], `${email}: spaces`);
  } else {
    assert.deepEqual(spacesOf(after, account), [], `${email}: should have no space`);
  }
  return account;
}

/** Asserts a customer object was left alone: still portal-only, Assets unchanged, no migration. */
export function assertUntouched(after, object) {
  const qm = object.attributes["Portal Account"];
  assert.equal(migrationsOf(after, qm).length, 0, `${object.attributes.Email} was migrated`);
  assert.equal(userById(after, qm)?.accountType, "customer", `${object.attributes.Email} is no longer portal-only`);
  assert.equal(objectById(after, object.id).attributes["Portal Account"], qm);
}

/** The report row of an email (exactly one). */
export function rowOf(report, email) {
  const rows = report.customers.filter((c) => c.email === email);
  assert.equal(rows.length, 1, `${rows.length} report rows for ${email}`);
  return rows[0];
}

/** The report row of a portal account id (exactly one). */
export function rowByPortal(report, qm) {
  const rows = report.customers.filter((c) => c.portalAccountId === qm);
  assert.equal(rows.length, 1, `${rows.length} report rows for ${qm}`);
  return rows[0];
}

/** Comment paragraphs as plain text lines. */
export function commentLines(comment) {
  return comment.body.content.map((p) => (p.content ?? []).map((t) => t.text ?? "").join(""));
}

/** A short one-line view of report rows, for assertion messages. */
export function describeRows(report) {
  return report.customers.map((c) => `${c.source} ${c.email} ${c.status} ${c.failedStep ?? ""} ${c.error ?? ""}`).join("\n");
}
