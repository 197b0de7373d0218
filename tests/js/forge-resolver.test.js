// The admin page's resolver (js/forge/resolver.js) run the way Forge runs it: @forge/resolver's
// definitions handler, called with an invoke payload and the function context, on the fake
// platform and a real simulator.
import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../js/core/forge.js";
import { startSimulator } from "../../js/sim/index.js";
import { createResolver } from "../../js/forge/resolver.js";
import { createHandlers } from "../../js/forge/handlers.js";
import { CONFIG_KEY, SECRET_KEYS } from "../../js/forge/settings.js";
import { fakePlatform, forgeContext, adminAccountId, invoker } from "./helpers/forge.js";

let sim;
before(async () => {
  sim = await startSimulator({ seed: 11 });
});
after(async () => {
  await sim?.close();
});
beforeEach(() => sim.reset());

/** A platform with nothing configured: no variables, empty KVS (a fresh installation). */
function freshPlatform(opts = {}) {
  return fakePlatform(sim, { env: { PORTAL_MIGRATE_CONFIG: "", ATLASSIAN_EMAIL: "", ATLASSIAN_API_TOKEN: "", PORTAL_MIGRATE_TRIGGER_STATUS: "" }, ...opts });
}

function resolverFor(platform) {
  const context = { ...forgeContext(sim), accountId: adminAccountId(sim), cloudId: sim.state().cloudId, siteUrl: sim.url };
  return invoker(createResolver({ platform, core }), context);
}

async function configured(platform) {
  const call = resolverFor(platform);
  assert.equal((await call("saveConfig", { config: sim.config() })).ok, true);
  assert.equal((await call("saveSecrets", { email: sim.credentials.email, apiToken: sim.credentials.apiToken })).ok, true);
  return call;
}

describe("settings", () => {
  test("a fresh installation has no config and no secrets", async () => {
    const call = resolverFor(freshPlatform());
    const s = await call("getSettings");
    assert.equal(s.ok, true);
    assert.equal(s.config, null);
    assert.equal(s.configSource, null);
    assert.deepEqual({ email: s.secrets.email, apiToken: s.secrets.apiToken }, { email: false, apiToken: false });
  });

  test("an invalid config is refused with the JSON path of the error; nothing is stored", async () => {
    const platform = freshPlatform();
    const call = resolverFor(platform);
    const config = sim.config();
    let out = await call("saveConfig", { config: { ...config, assets: { ...config.assets, customerQuery: "objectType = Customer AND Company = {compnay}" } } });
    assert.equal(out.ok, false);
    assert.equal(out.error.code, "CONFIG");
    assert.equal(out.error.path, "$.assets.customerQuery");
    assert.match(out.error.message, /\{company\} placeholder/);
    out = await call("saveConfig", { config: { ...config, sitUrl: config.siteUrl } });
    assert.equal(out.error.path, "$.sitUrl");
    out = await call("saveConfig", { config: { ...config, confluence: { mode: "graphql" } } });
    assert.equal(out.error.path, "$.confluence.mode", "Forge rule: no internal graphql");
    out = await call("saveConfig", { config: "nope" });
    assert.equal(out.error.path, "$");
    assert.equal(platform.store.has(CONFIG_KEY), false);
    out = await call("saveConfig", { config });
    assert.equal(out.ok, true);
    assert.deepEqual(platform.store.get(CONFIG_KEY), config);
    assert.equal((await call("getSettings")).configSource, "kvs");
  });

  test("secrets go to secret storage and are never read back to the page", async () => {
    const platform = freshPlatform();
    const call = resolverFor(platform);
    const out = await call("saveSecrets", { email: "admin@acme.example", apiToken: "tok-123456" });
    assert.deepEqual(out, { ok: true, secrets: { email: true, apiToken: true } });
    assert.equal(platform.secretStore.get(SECRET_KEYS.apiToken), "tok-123456");
    assert.ok(![...platform.store.values()].some((v) => JSON.stringify(v).includes("tok-123456")), "not in plain KVS");
    const s = await call("getSettings");
    assert.doesNotMatch(JSON.stringify(s), /tok-123456|admin@acme/);
    assert.equal(s.secrets.apiToken, true);
    // a blank field keeps what is stored
    await call("saveSecrets", { email: "", apiToken: "" });
    assert.equal(platform.secretStore.get(SECRET_KEYS.apiToken), "tok-123456");
    assert.equal((await call("saveSecrets", { apiToken: "two words" })).error.code, "CONFIG");
  });

  test("trigger status and the action's allowed groups", async () => {
    const platform = freshPlatform();
    const call = resolverFor(platform);
    const out = await call("saveHostSettings", { triggerStatus: " Converted ", actionAllowedGroups: "jsm-operators, confluence-guests" });
    assert.deepEqual({ t: out.triggerStatus, g: out.actionAllowedGroups }, { t: "Converted", g: ["jsm-operators", "confluence-guests"] });
    assert.equal((await call("saveHostSettings", { actionAllowedGroups: 5 })).ok, false);
  });
});

describe("doctor, dry run, jobs", () => {
  test("doctor passes every check against the simulator once config and secrets are saved", async () => {
    const call = await configured(freshPlatform());
    const out = await call("doctor", { company: "ACME" });
    assert.equal(out.ok, true, JSON.stringify(out.checks.filter((c) => !c.ok)));
    const names = out.checks.map((c) => c.name);
    for (const n of ["site reachable", "Assets workspace", "customer query valid", "admin gateway reachable", "admin token stored", "app may add group members"]) assert.ok(names.includes(n), n);
  });

  test("doctor without the token still runs and says what is missing", async () => {
    const platform = freshPlatform();
    const call = resolverFor(platform);
    await call("saveConfig", { config: sim.config() });
    const out = await call("doctor", {});
    assert.equal(out.ok, false);
    const failed = out.checks.filter((c) => !c.ok).map((c) => c.name);
    assert.ok(failed.includes("admin token stored"), failed.join(", "));
    assert.ok(failed.includes("admin gateway reachable"), failed.join(", "));
    assert.equal(sim.state().migrations.length, 0);
  });

  test("a dry run plans a company's customers and changes nothing", async () => {
    const call = await configured(freshPlatform());
    const out = await call("dryRun", { company: "ACME" });
    assert.equal(out.ok, true, JSON.stringify(out.error));
    assert.equal(out.totals.customers, 30);
    assert.equal(out.totals.planned, 29);
    const planned = out.customers.filter((c) => c.status === "planned");
    assert.ok(planned.every((c) => c.steps.migrate === "planned" && c.steps.writeBack === "planned"));
    const state = sim.state();
    assert.equal(state.migrations.length, 0);
    assert.equal(state.calls.bySurface.admin ?? 0, 0, "a plan makes no admin call");
  });

  test("a started job is listed with its counts and its CSV has one row per customer", async () => {
    const platform = freshPlatform();
    const call = await configured(platform);
    const started = await call("startJob", { companies: "GLOBEX" });
    assert.equal(started.ok, true, JSON.stringify(started));
    assert.equal(started.job.status, "queued");
    const h = createHandlers({ platform, core, log: () => {} });
    while (platform.pushes.length) await h.queueConsumer({ body: platform.pushes.shift().body }, forgeContext(sim));
    const list = await call("listJobs");
    const job = list.jobs.find((j) => j.jobId === started.job.jobId);
    assert.equal(job.state, "done");
    assert.deepEqual(job.sources, ["company:GLOBEX"]);
    assert.equal(job.totals.migrated, 5);
    assert.ok(job.startedMs > 0);
    const csv = await call("jobCsv", { jobId: job.jobId });
    const lines = csv.csv.trim().split("\n");
    assert.equal(lines[0], "portal_account_id,account_id,email,company,asset_object_id,status,failed_step,error,migrate,write_back,groups,space,space_key,retryable,next,notes");
    assert.equal(lines.length, 6);
    assert.ok(lines.slice(1).every((l) => l.includes(",GLOBEX,") && l.includes(",migrated,")));
    assert.equal((await call("jobCsv", { jobId: "../x" })).error.code, "BAD_JOB_ID");
    assert.equal((await call("startJob", {})).error.code, "BAD_INPUT");
  });
});

describe("the viewer check", () => {
  test("a viewer without Administer Jira gets FORBIDDEN for every call and changes nothing", async () => {
    const platform = freshPlatform({ viewerIsAdmin: false });
    const call = resolverFor(platform);
    for (const [name, payload] of [["getSettings", {}], ["saveConfig", { config: sim.config() }], ["saveSecrets", { apiToken: "x" }], ["startJob", { companies: "ACME" }], ["jobCsv", { jobId: "job-1" }]]) {
      const out = await call(name, payload);
      assert.deepEqual(out.error?.code, "FORBIDDEN", name);
    }
    assert.equal(platform.store.size, 0);
    assert.equal(platform.secretStore.size, 0);
    assert.ok(platform.requests.every((r) => r.kind === "user" && /mypermissions/.test(r.path)), "only the permission check was sent");
  });
});
