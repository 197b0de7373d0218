// Complete pipeline, both migrate modes: single (one PUT per customer) and bulk (batches of
// migrate.batchSize through the bulk endpoint, new accounts found by email). On two identical tenants
// both must converge to the same end state: every customer migrated once, written back, grouped and
// granted, and the same report, whatever the mode. A re-run in either mode migrates nothing.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { migrate } from "../../js/core/node.js";
import {
  startSim, pipelineConfig, simState, makeHost, portalObjects, customerObjects, routeCount, assertPipelineDone,
  companySpace, userById, groupMembers, ALL_DONE, ALL_SKIPPED, describeRows,
} from "./helpers/pipeline.js";

const COMPANIES = ["ACME", "GLOBEX", "INITECH"];
const LINKED = 38; // demo: 39 Assets customers, one without a portal account
const BATCH = 7;

const sims = [];
after(() => Promise.all(sims.map((s) => s.close())));

/** One job on a fresh demo tenant; returns what the tests compare. */
async function runMode(mode) {
  const sim = await startSim();
  sims.push(sim);
  const before = await simState(sim);
  const config = pipelineConfig(sim, { migrate: { mode, batchSize: BATCH }, confluence: { permissions: ["create/page"] } });
  const host = makeHost(sim);
  const result = await migrate({ companies: COMPANIES }, config, host);
  const after = await simState(sim);
  return { sim, before, after, config, host, result };
}

/**
 * The end state in terms that do not depend on generated ids: per customer email, whether its Assets
 * object names an Atlassian account with that email, group membership, and its space permissions.
 */
function endState(state) {
  const out = {};
  for (const o of customerObjects(state)) {
    const id = o.attributes["Portal Account"];
    const user = id ? userById(state, id) : null;
    const perms = {};
    for (const s of state.spaces) {
      const p = s.permissions.filter((x) => x.subject.identifier === id).map((x) => `${x.operation.key}/${x.operation.target}`);
      if (p.length) perms[s.key] = p;
    }
    out[o.attributes.Email] = {
      company: o.attributes.Company,
      account: user ? `${user.accountType}:${user.emailAddress}` : id,
      inGroup: groupMembers(state).includes(id),
      perms,
    };
  }
  const customersLeft = state.users.filter((u) => u.accountType === "customer").map((u) => u.emailAddress).sort();
  return { customers: out, customersLeft, migrations: state.migrations.length, comments: Object.values(state.comments).flat().length };
}

/** Report rows without generated ids. */
const rows = (report) => report.customers.map((c) => ({
  email: c.email, company: c.company, source: c.source, status: c.status, steps: c.steps, failedStep: c.failedStep, error: c.error,
}));

let single;
let bulk;

test("single mode: one migrate call per customer, every customer fully set up", async () => {
  single = await runMode("single");
  const { result, before, after } = single;
  assert.equal(result.continuation, null);
  assert.deepEqual(result.report.totals, { customers: LINKED + 1, migrated: LINKED, alreadyMigrated: 0, failed: 0, skipped: 1, planned: 0, unfinished: 0 }, describeRows(result.report));
  assert.equal(routeCount(after, "PUT migrateCustomer"), LINKED);
  assert.equal(routeCount(after, "PUT bulkMigrate"), 0);
  assert.equal(result.report.stats.migrateCalls, LINKED);
  for (const company of COMPANIES) {
    for (const o of portalObjects(before, company)) {
      assertPipelineDone(after, o, { space: companySpace(before, company), permissions: ["read/space", "create/page"] });
    }
  }
  for (const c of result.report.customers) assert.deepEqual(c.steps, c.status === "skipped" ? ALL_SKIPPED : ALL_DONE, c.email);
});

test(`bulk mode, batchSize ${BATCH}: ceil(${LINKED}/${BATCH}) bulk calls of at most ${BATCH} ids, no single migrate`, async () => {
  bulk = await runMode("bulk");
  const { result, before, after, host } = bulk;
  assert.equal(result.continuation, null);
  assert.deepEqual(result.report.totals, { customers: LINKED + 1, migrated: LINKED, alreadyMigrated: 0, failed: 0, skipped: 1, planned: 0, unfinished: 0 }, describeRows(result.report));
  const calls = Math.ceil(LINKED / BATCH);
  assert.equal(routeCount(after, "PUT bulkMigrate"), calls);
  assert.equal(routeCount(after, "PUT migrateCustomer"), 0);
  assert.equal(result.report.stats.migrateCalls, calls);
  // What was sent: every portal-only customer exactly once, in batches of at most BATCH.
  const sent = host.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/bulk-migrate-to-atlassian-account"));
  assert.equal(sent.length, calls);
  assert.ok(sent.every((r) => r.surface === "admin"));
  const sizes = sent.map((r) => r.body.customerAccountIds.length);
  assert.deepEqual(sizes, [...Array(calls - 1).fill(BATCH), LINKED - BATCH * (calls - 1)]);
  const ids = sent.flatMap((r) => r.body.customerAccountIds).sort();
  const expected = COMPANIES.flatMap((c) => portalObjects(before, c)).map((o) => o.attributes["Portal Account"]).sort();
  assert.deepEqual(ids, expected);
  for (const company of COMPANIES) {
    for (const o of portalObjects(before, company)) {
      assertPipelineDone(after, o, { space: companySpace(before, company), permissions: ["read/space", "create/page"] });
    }
  }
  for (const c of result.report.customers) assert.deepEqual(c.steps, c.status === "skipped" ? ALL_SKIPPED : ALL_DONE, c.email);
});

test("single and bulk converge to the same end state and the same report", () => {
  assert.ok(single && bulk, "needs both mode runs");
  assert.deepEqual(endState(bulk.after), endState(single.after));
  assert.deepEqual(rows(bulk.result.report), rows(single.result.report));
  // Both tenants started identical.
  assert.deepEqual(endState(bulk.before), endState(single.before));
  assert.equal(endState(single.after).customersLeft.join(","), "former.customer@acme.example");
});

test("a re-run in bulk mode migrates nothing and changes nothing", async () => {
  assert.ok(bulk, "needs the bulk run");
  const { sim, config, after: first } = bulk;
  const { report } = await migrate({ companies: COMPANIES }, config, makeHost(sim));
  assert.deepEqual(report.totals, { customers: LINKED + 1, migrated: 0, alreadyMigrated: LINKED, failed: 0, skipped: 1, planned: 0, unfinished: 0 }, describeRows(report));
  assert.equal(report.stats.migrateCalls, 0);
  const second = await simState(sim);
  assert.equal(routeCount(second, "PUT bulkMigrate"), routeCount(first, "PUT bulkMigrate"));
  assert.equal(second.migrations.length, LINKED);
  assert.deepEqual(endState(second), endState(first));
  for (const c of report.customers.filter((x) => x.status !== "skipped")) {
    assert.deepEqual(c.steps, { check: "done", migrate: "already", writeBack: "already", groups: "already", space: "already" }, c.email);
  }
});

test("bulk mode with a dry run plans every customer and sends no bulk call", async () => {
  const sim = await startSim();
  sims.push(sim);
  const { report } = await migrate({ companies: ["GLOBEX"], dryRun: true }, pipelineConfig(sim, { migrate: { mode: "bulk", batchSize: 2 } }), makeHost(sim));
  assert.equal(report.totals.planned, 5);
  for (const c of report.customers) {
    assert.deepEqual(c.steps, { check: "done", migrate: "planned", writeBack: "planned", groups: "planned", space: "planned" });
  }
  const after = await simState(sim);
  assert.equal(routeCount(after, "PUT bulkMigrate"), 0);
  assert.equal(after.migrations.length, 0);
  for (const r of ["PUT updateObject", "POST addGroupMember", "POST addSpacePermission"]) assert.equal(routeCount(after, r), 0, r);
});

for (const mode of ["single", "bulk"]) {
  test(`${mode} mode waits for new accounts that are not yet visible to groups and Confluence`, async () => {
    const sim = await startSim({ propagationDelayMs: 400 });
    sims.push(sim);
    const before = await simState(sim);
    const { report } = await migrate({ companies: ["GLOBEX"] }, pipelineConfig(sim, { migrate: { mode, batchSize: 2 } }), makeHost(sim));
    assert.deepEqual(report.totals, { customers: 5, migrated: 5, alreadyMigrated: 0, failed: 0, skipped: 0, planned: 0, unfinished: 0 }, describeRows(report));
    const after = await simState(sim);
    for (const o of portalObjects(before, "GLOBEX")) assertPipelineDone(after, o, { space: "GLX" });
    for (const c of report.customers) assert.deepEqual(c.steps, ALL_DONE, c.email);
  });
}
