// Product fetch by surface (js/forge/product.js) and the egress budget (js/forge/egress.js): which
// call goes where, with which credentials, and how many external calls a customer costs, counted
// on the simulator.
import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../js/core/forge.js";
import { startSimulator } from "../../js/sim/index.js";
import { createProductFetch, productPath, splitUrl } from "../../js/forge/product.js";
import { createEgressBudget, budgetFor } from "../../js/forge/egress.js";
import { createHandlers } from "../../js/forge/handlers.js";
import { fakePlatform, forgeContext, adminAccountId, TOKEN } from "./helpers/forge.js";

let sim;
before(async () => {
  sim = await startSimulator({ seed: 11 });
});
after(async () => {
  await sim?.close();
});
beforeEach(() => sim.reset());

const URLS = { siteUrl: "https://acme.atlassian.net", adminUrl: "https://admin.atlassian.com", apiUrl: "https://api.atlassian.com" };

/** A recording fake of the three ways out. */
function recorder() {
  const calls = [];
  const answer = (what) => async (pathOrUrl, init) => {
    calls.push({ what, target: pathOrUrl, init });
    return new Response("{}", { status: 200, headers: { "x-what": what } });
  };
  return {
    calls,
    product: { requestJira: answer("requestJira"), requestConfluence: answer("requestConfluence") },
    adminFetch: async (req) => {
      calls.push({ what: "egress", target: req.url, init: req });
      return { status: 200, headers: {}, body: "{}" };
    },
  };
}

describe("routing by surface", () => {
  test("jira, confluence and assets go as the app with the core's exact path; only admin leaves over egress", async () => {
    const r = recorder();
    const fetch = createProductFetch({ product: r.product, urls: URLS, adminFetch: r.adminFetch });
    const ws = "7cf3c256-32b9-4409-93fb-64afebede10d";
    await fetch({ surface: "jira", method: "GET", url: "https://acme.atlassian.net/rest/api/3/user?accountId=qm%3Aab%3Acd", headers: { authorization: "Basic leak", accept: "application/json" } });
    await fetch({ surface: "confluence", method: "POST", url: "https://acme.atlassian.net/wiki/rest/api/space/AC%20ME/permission", headers: {}, body: "{}" });
    await fetch({ surface: "assets", method: "POST", url: `https://api.atlassian.com/jsm/assets/workspace/${ws}/v1/object/aql?startAt=0&maxResults=50`, headers: {}, body: "{}" });
    await fetch({ surface: "assets", method: "GET", url: `https://api.atlassian.com/ex/jira/a08ff49b-6f77-4632-a16c-43069c43a8c3/jsm/assets/workspace/${ws}/v1/object/88`, headers: {} });
    await fetch({ surface: "admin", method: "PUT", url: "https://admin.atlassian.com/gateway/api/ex/jira/c/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user/bulk-migrate-to-atlassian-account", headers: {}, body: "{}" });
    assert.deepEqual(r.calls.map((c) => [c.what, c.target]), [
      ["requestJira", "/rest/api/3/user?accountId=qm%3Aab%3Acd"],
      ["requestConfluence", "/wiki/rest/api/space/AC%20ME/permission"],
      ["requestJira", `/jsm/assets/workspace/${ws}/v1/object/aql?startAt=0&maxResults=50`],
      ["requestJira", `/jsm/assets/workspace/${ws}/v1/object/88`],
      ["egress", "https://admin.atlassian.com/gateway/api/ex/jira/c/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user/bulk-migrate-to-atlassian-account"],
    ]);
    const first = r.calls[0].init;
    assert.deepEqual(first.headers, { accept: "application/json" }, "no Authorization reaches product fetch");
    assert.equal(first.redirect, "manual");
    assert.ok(first.signal instanceof AbortSignal, "product calls time out");
    assert.deepEqual(fetch.stats, { product: 4, external: 1, bySurface: { jira: 1, confluence: 1, assets: 2, admin: 1 } });
  });

  test("a product call to another origin, outside its surface's prefix, or with dot segments is refused", () => {
    const bad = [
      ["jira", "https://evil.atlassian.net/rest/api/3/myself"],
      ["jira", "https://acme.atlassian.net/secure/admin"],
      ["jira", "https://acme.atlassian.net/rest/api/3/../../wiki/x"],
      ["jira", "https://acme.atlassian.net/rest/api/3/%2e%2e/x"],
      ["confluence", "https://acme.atlassian.net/cgraphql"],
      ["assets", "https://acme.atlassian.net/jsm/assets/workspace/w/v1/object/1"],
      ["assets", "https://api.atlassian.com/admin/v1/orgs"],
      ["jira", "not a url"],
    ];
    for (const [surface, url] of bad) assert.throws(() => productPath(surface, url, URLS), (e) => e.code === "BAD_URL", `${surface} ${url}`);
    assert.equal(productPath("jira", "HTTPS://ACME.atlassian.net/rest/api/3/myself", URLS), "/rest/api/3/myself");
    assert.deepEqual(splitUrl("https://acme.atlassian.net?x=1"), { origin: "https://acme.atlassian.net", rest: "/?x=1" });
  });

  test("admin calls to another origin and unknown surfaces are refused before anything is sent", async () => {
    const r = recorder();
    const fetch = createProductFetch({ product: r.product, urls: URLS, adminFetch: r.adminFetch });
    await assert.rejects(fetch({ surface: "admin", method: "GET", url: "https://api.atlassian.com/admin/v1/orgs" }), (e) => e.code === "BAD_URL");
    await assert.rejects(fetch({ surface: "graph", method: "GET", url: "https://acme.atlassian.net/rest/x" }), (e) => e.code === "BAD_SURFACE");
    assert.equal(r.calls.length, 0);
  });
});

describe("the egress budget", () => {
  test("Forge's numbers: 100 per started minute of the declared timeout, 100 without one", () => {
    assert.equal(budgetFor(undefined), 100);
    assert.equal(budgetFor(55), 100);
    assert.equal(budgetFor(90), 200);
    assert.equal(budgetFor(900), 1500);
  });

  test("calls are paced to 100 per started minute and stop at the budget", async () => {
    const clock = { t: 0 };
    const b = createEgressBudget({ timeoutSeconds: 120, now: () => clock.t, sleep: async (ms) => { clock.t += ms; } });
    for (let i = 0; i < 100; i++) await b.take();
    assert.equal(clock.t, 0, "the first minute's 100 go at once");
    await b.take();
    assert.ok(clock.t >= 60_000 && clock.t < 61_000, `the 101st waits for minute 2 (t=${clock.t})`);
    for (let i = 0; i < 99; i++) await b.take();
    assert.equal(b.used, 200);
    await assert.rejects(b.take(), (e) => e.code === "EGRESS_BUDGET" && e.retryable === true);
  });

  test("the chunk deadline leaves a reserve for customers in flight; a one-minute budget sets none", () => {
    const b = createEgressBudget({ timeoutSeconds: 900, now: () => 1_000, sleep: async () => {}, reserve: 13 });
    assert.equal(b.deadlineMs(), 1_000 + ((1500 - 13) / 100 - 1) * 60_000);
    assert.ok(b.deadlineMs() - 1_000 > 600_000, "with 900 s the 10-minute chunk time decides");
    assert.equal(createEgressBudget({ now: () => 0, sleep: async () => {} }).deadlineMs(), Infinity);
  });
});

describe("external calls per customer, counted on the simulator", () => {
  /** Runs one company job to the end through the handlers; returns the simulator's counts. */
  async function run(company, migrate) {
    const config = { ...sim.config(), ...(migrate ? { migrate } : {}) };
    const platform = fakePlatform(sim, { env: { PORTAL_MIGRATE_CONFIG: JSON.stringify(config) } });
    const h = createHandlers({ platform, core, log: () => {} });
    const out = await h.webTrigger({
      method: "POST", userPath: "", queryParameters: {},
      headers: { "content-type": ["application/json"], authorization: [`Bearer ${TOKEN}`] },
      body: JSON.stringify({ request: { companies: [company] }, mode: "inline" }),
    }, forgeContext(sim, { accountId: adminAccountId(sim) }));
    assert.equal(out.statusCode, 200, out.body);
    const report = JSON.parse(out.body).report;
    const calls = sim.state().calls.bySurface;
    const external = platform.requests.filter((r) => r.kind === "external").length;
    const product = platform.requests.filter((r) => r.kind === "product").length;
    return { migrated: report.totals.migrated, calls, external, product, total: Object.values(calls).reduce((a, b) => a + b, 0) };
  }

  test("single mode: 1 external call per migrated customer (the migrate PUT), the rest is product fetch", async () => {
    const r = await run("ACME", { mode: "single" });
    assert.equal(r.migrated, 29);
    assert.equal(r.external, r.calls.admin, "every admin call, and only those, went over egress");
    assert.equal(r.external, 29);
    assert.equal(r.product, r.calls.jira + r.calls.assets + r.calls.confluence);
    // Before product fetch every call went over egress: the whole total per customer (5.3 then;
    // about 4.2 since account checks are batched), now 1.
    assert.ok(r.total / r.migrated > 3, `before: ${(r.total / r.migrated).toFixed(2)} external calls per customer`);
  });

  test("bulk mode: 1 external call per batch", async () => {
    const r = await run("ACME", { mode: "bulk", batchSize: 100 });
    assert.equal(r.migrated, 29);
    assert.equal(r.external, 1);
    assert.equal(r.calls.admin, 1);
  });
});

describe("the consumer's chunk ends at the earlier of time and egress budget", () => {
  async function firstChunk(consumerTimeoutSeconds) {
    const platform = fakePlatform(sim, { tick: 2_000 });
    const h = createHandlers({ platform, core, log: () => {}, budgets: { chunk: 600_000, consumerTimeoutSeconds } });
    const context = forgeContext(sim, { accountId: adminAccountId(sim) });
    const queued = await h.automationAction({ companies: "ACME" }, context);
    assert.equal(queued.status, "queued", JSON.stringify(queued));
    const msg = platform.pushes.shift();
    return h.queueConsumer({ body: msg.body }, context);
  }

  test("a 120 s function (budget 200) stops starting customers well before a 900 s one", async () => {
    const small = await firstChunk(120);
    assert.equal(small.status, "continued", JSON.stringify(small));
    assert.ok(small.unfinished > 0);
    sim.reset();
    const big = await firstChunk(900);
    assert.equal(big.status, "done", JSON.stringify(big));
  });
});
