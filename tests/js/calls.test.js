// Requests per customer, counted by the simulator (GET /__sim/state `calls.byRoute`): a job of 300
// customers (migrate + write-back + one group, no Confluence) costs at most 3.1 requests per customer,
// discovery and checks included, in both migrate modes; checks are batched (no GET user per customer)
// and bulk mode asks each email once. A property of call counts, not of timing.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { migrate } from "../../js/core/node.js";
import { startSim, pipelineConfig, makeHost, simState } from "./helpers/pipeline.js";

const SCENARIO = { companies: 5, customersPerCompany: 60 };
const CUSTOMERS = 300;
const BOUND = 3.1;

const sims = [];
after(() => Promise.all(sims.map((s) => s.close())));

/** The simulator's config without a Confluence space: the three steps per customer. */
function noConfluence(sim, migrateOptions) {
  const config = pipelineConfig(sim, { migrate: migrateOptions });
  const { companyQuery, spaceKeyAttribute, ...assets } = config.assets;
  delete config.confluence;
  return { ...config, assets };
}

async function run(mode, profile = "default") {
  const sim = await startSim({ seed: 42, scenario: SCENARIO, profile });
  sims.push(sim);
  const config = noConfluence(sim, { mode, pollTimeoutMs: 20_000 });
  const result = await migrate({ companies: config.companies, concurrency: 16 }, config, makeHost(sim));
  const { calls } = await simState(sim);
  const total = Object.values(calls.byRoute).reduce((a, b) => a + b, 0);
  const t = result.report.totals;
  return { byRoute: calls.byRoute, total, done: t.migrated + t.alreadyMigrated, failed: t.failed };
}

const perCustomer = (r) => r.total / r.done;
const routes = (r) => JSON.stringify(r.byRoute);

for (const mode of ["single", "bulk"]) {
  test(`${mode} mode: at most ${BOUND} requests per customer, checks in bulk`, { timeout: 60_000 }, async () => {
    const r = await run(mode);
    assert.equal(r.done, CUSTOMERS, routes(r));
    assert.ok(perCustomer(r) <= BOUND, `${perCustomer(r).toFixed(3)} requests per customer: ${routes(r)}`);
    assert.equal(r.byRoute["GET getUser"] ?? 0, 0, `no account checked one by one: ${routes(r)}`);
    // 100 ids per bulk call: 3 for the checks, and in bulk mode 3 more watching the old ids.
    assert.equal(r.byRoute["GET bulkUsers"], mode === "bulk" ? 6 : 3, routes(r));
    assert.equal(r.byRoute["PUT updateObject"], CUSTOMERS);
    assert.equal(r.byRoute["POST addGroupMember"], CUSTOMERS);
    if (mode === "bulk") {
      assert.equal(r.byRoute["GET searchUsers"], CUSTOMERS, "each new account found by its email once");
      assert.equal(r.byRoute["PUT migrateCustomer"] ?? 0, 0);
    } else {
      assert.equal(r.byRoute["PUT migrateCustomer"], CUSTOMERS);
      assert.equal(r.byRoute["GET searchUsers"] ?? 0, 0, "the single answer names the new account");
    }
  });
}

test("strict profile, bulk mode (asynchronous, hidden emails, capped pages): no per-customer lookup of the old id", { timeout: 60_000 }, async () => {
  const r = await run("bulk", "strict");
  assert.equal(r.done, CUSTOMERS, routes(r));
  assert.equal(r.failed, 0);
  assert.equal(r.byRoute["GET getUser"] ?? 0, 0, routes(r));
  // Each email is asked at least once, and again only while its new account is not visible yet.
  assert.ok(r.byRoute["GET searchUsers"] >= CUSTOMERS, routes(r));
});
