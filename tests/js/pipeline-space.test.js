// Complete pipeline, Confluence space grants: read/space first, then the configured extra permissions;
// a re-run treats "already exists" as success and grants nothing new; a guest who already has another
// space fails (that customer only, step "space", the error naming the other space); new accounts that
// are guests get the company space assigned; the internal GraphQL mode grants read access too.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { migrate } from "../../js/core/node.js";
import {
  startSim, pipelineConfig, ctl, simState, makeHost, memoryJournal, portalObjects, migrationsOf, routeCount,
  assertPipelineDone, permissionsOf, spacesOf, space, groupMembers, objectById, rowOf, describeRows, ALL_DONE,
  ALL_ALREADY,
} from "./helpers/pipeline.js";

const EXTRA = { confluence: { permissions: ["create/page"] } };
const GRAPHQL = { confluence: { permissions: [], mode: "graphql" } };
const GUEST_ERROR = /Cannot grant space permission: guest already has a space assigned: (\w+)/;

let sim;
before(async () => { sim = await startSim(); });
after(() => sim.close());
beforeEach(() => ctl(sim, "POST", "reset", {}));

test("rest mode: read/space is granted first, then create/page, in the company's space only", async () => {
  const before = await simState(sim);
  const host = makeHost(sim);
  const { report } = await migrate({ companies: ["GLOBEX"] }, pipelineConfig(sim, EXTRA), host);
  assert.equal(report.totals.migrated, 5, describeRows(report));
  const after = await simState(sim);
  for (const o of portalObjects(before, "GLOBEX")) {
    const account = assertPipelineDone(after, o, { space: "GLX", permissions: ["read/space", "create/page"] });
    // The requests for this account: read/space, then create/page, both to GLX, both answered 200.
    const grants = host.requests.filter((r) => r.surface === "confluence" && r.body?.subject?.identifier === account);
    assert.deepEqual(grants.map((r) => [r.method, r.path, `${r.body.operation.key}/${r.body.operation.target}`, r.body.subject.type, r.status]), [
      ["POST", "/wiki/rest/api/space/GLX/permission", "read/space", "user", 200],
      ["POST", "/wiki/rest/api/space/GLX/permission", "create/page", "user", 200],
    ]);
  }
  // Only GLX changed: the site admin's own two permissions plus two per customer.
  assert.equal(space(after, "GLX").permissions.length, 2 + 10);
  assert.deepEqual(space(after, "ACME").permissions, space(before, "ACME").permissions);
  assert.deepEqual(space(after, "INI").permissions, space(before, "INI").permissions);
});

test("re-run with a fresh journal: the space's permissions are read first, so no grant is sent and nothing changes", async () => {
  const config = pipelineConfig(sim, EXTRA);
  await migrate({ companies: ["GLOBEX"] }, config, makeHost(sim));
  const first = await simState(sim);
  const host = makeHost(sim); // a new journal: the core must look at the site, not its notes
  const { report } = await migrate({ companies: ["GLOBEX"] }, config, host);
  assert.deepEqual(report.totals, { customers: 5, migrated: 0, alreadyMigrated: 5, failed: 0, skipped: 0, planned: 0, unfinished: 0 }, describeRows(report));
  for (const c of report.customers) {
    assert.equal(c.status, "already_migrated");
    assert.deepEqual(c.steps, ALL_ALREADY, c.email);
    assert.equal(c.error, null);
  }
  const second = await simState(sim);
  assert.deepEqual(second.spaces, first.spaces, "a re-run must not add or remove any permission");
  assert.equal(second.migrations.length, 5);
  // It read the space and its permissions once (v2), and sent no grant: every one was held already.
  const confluence = host.requests.filter((r) => r.surface === "confluence");
  assert.deepEqual(confluence.map((r) => r.method), confluence.map(() => "GET"), JSON.stringify(confluence.map((r) => r.path)));
  assert.ok(confluence.some((r) => /\/wiki\/api\/v2\/spaces\/[^/]+\/permissions$/.test(r.path)), "the permissions were read");
  assert.ok(confluence.length <= 3, `read once per job, not per customer (${confluence.length} requests)`);
  assert.equal(routeCount(second, "PUT migrateCustomer"), 5, "no second migrate");
});

test("re-run with the same journal: no migrate, no write-back; group and space writes only meet 'already' answers", async () => {
  const config = pipelineConfig(sim, EXTRA);
  const journal = memoryJournal();
  await migrate({ companies: ["GLOBEX"] }, config, makeHost(sim, { journal }));
  const first = await simState(sim);
  const host = makeHost(sim, { journal });
  const { report } = await migrate({ companies: ["GLOBEX"] }, config, host);
  for (const c of report.customers) {
    assert.equal(c.status, "already_migrated", c.email);
    assert.deepEqual(c.steps, ALL_ALREADY, c.email);
  }
  const second = await simState(sim);
  for (const r of ["PUT migrateCustomer", "PUT bulkMigrate", "PUT updateObject", "POST cgraphql", "POST addComment"]) {
    assert.equal(routeCount(second, r), routeCount(first, r), r);
  }
  // (The Assets objects now hold the new account ids, so the job re-checks those accounts on the site.)
  const writes = host.requests.filter((r) => r.method === "POST" && (r.surface === "confluence" || r.path === "/rest/api/3/group/user"));
  assert.ok(writes.every((r) => r.status === 400), writes.map((r) => `${r.path} ${r.status}`).join("\n"));
  assert.deepEqual(second.spaces, first.spaces);
  assert.deepEqual(second.groups, first.groups);
});

test("a guest who already has another space: that customer fails at space naming the space, the rest of the job is fine", async () => {
  const before = await simState(sim);
  const objects = portalObjects(before, "GLOBEX");
  const guest = objects[1];
  const email = guest.attributes.Email;
  // An Atlassian account already holds the customer's email and is a guest assigned to ACME, so the
  // migration links to it and the GLX grant must be refused.
  const { accountId } = await ctl(sim, "POST", "users", { email, displayName: "Guest With A Space" });
  await ctl(sim, "POST", "users/guest", { accountId, space: "ACME" });
  const { report } = await migrate({ companies: ["GLOBEX"] }, pipelineConfig(sim, EXTRA), makeHost(sim));
  assert.deepEqual(report.totals, { customers: 5, migrated: 4, alreadyMigrated: 0, failed: 1, skipped: 0, planned: 0, unfinished: 0 }, describeRows(report));
  const row = rowOf(report, email);
  assert.equal(row.status, "failed");
  assert.equal(row.failedStep, "space");
  assert.equal(row.retryable, false);
  assert.equal(row.accountId, accountId);
  assert.deepEqual(row.steps, { ...ALL_DONE, space: "failed" });
  assert.match(row.error, /^This customer is a Confluence guest .*\(Atlassian: confluence\.grant \(confluence\): HTTP 400: /);
  assert.equal(GUEST_ERROR.exec(row.error)?.[1], "ACME", row.error);

  const after = await simState(sim);
  // The earlier steps did happen for the guest: migrated (linked), written back, grouped; no space.
  assert.deepEqual(migrationsOf(after, guest.attributes["Portal Account"]).map((m) => [m.accountId, m.linked]), [[accountId, true]]);
  assert.equal(objectById(after, guest.id).attributes["Portal Account"], accountId);
  assert.ok(groupMembers(after).includes(accountId));
  assert.deepEqual(spacesOf(after, accountId), []);
  assert.deepEqual(after.guests.find((g) => g.accountId === accountId), { accountId, email, space: "ACME" });
  for (const o of objects.filter((x) => x !== guest)) {
    assertPipelineDone(after, o, { space: "GLX", permissions: ["read/space", "create/page"] });
    assert.equal(rowOf(report, o.attributes.Email).status, "migrated");
  }
  // The refusal is permanent: one grant attempt, no retries.
  assert.equal(report.stats.retries, 0);
  assert.equal(routeCount(after, "POST addSpacePermission"), 1 + 4 * 2);
});

test("the guest failure message states the reason once", async () => {
  const before = await simState(sim);
  const email = portalObjects(before, "GLOBEX")[1].attributes.Email;
  const { accountId } = await ctl(sim, "POST", "users", { email });
  await ctl(sim, "POST", "users/guest", { accountId, space: "ACME" });
  const { report } = await migrate({ companies: ["GLOBEX"] }, pipelineConfig(sim), makeHost(sim));
  const { error } = rowOf(report, email);
  assert.equal(error.split("guest already has a space assigned").length - 1, 1, error);
});

test("a customer migrated earlier who became a guest of another space: the company job fails only that customer", async () => {
  const before = await simState(sim);
  const objects = portalObjects(before, "INITECH");
  const target = objects[2];
  const email = target.attributes.Email;
  // First migrated on its own without its company (so no space), then made a guest assigned to GLX.
  const first = await migrate({ customers: [email] }, pipelineConfig(sim, { assets: { companyAttribute: undefined } }), makeHost(sim));
  const account = first.report.customers[0].accountId;
  assert.equal(first.report.customers[0].status, "migrated");
  await ctl(sim, "POST", "users/guest", { accountId: account, space: "GLX" });
  const { report } = await migrate({ companies: ["INITECH"] }, pipelineConfig(sim), makeHost(sim));
  assert.deepEqual(report.totals, { customers: 4, migrated: 3, alreadyMigrated: 0, failed: 1, skipped: 0, planned: 0, unfinished: 0 }, describeRows(report));
  const row = rowOf(report, email);
  assert.deepEqual({ status: row.status, failedStep: row.failedStep, account: row.accountId, steps: row.steps },
    { status: "failed", failedStep: "space", account, steps: { check: "done", migrate: "already", writeBack: "already", groups: "already", space: "failed" } });
  assert.equal(GUEST_ERROR.exec(row.error)?.[1], "GLX", row.error);
  const after = await simState(sim);
  assert.equal(migrationsOf(after, target.attributes["Portal Account"]).length, 1);
  assert.deepEqual(spacesOf(after, account), []);
  for (const o of objects.filter((x) => x !== target)) assertPipelineDone(after, o, { space: "INI" });
});

test("new accounts that are guests without a space get the company space assigned", async () => {
  await ctl(sim, "POST", "settings", { migrateAsGuest: true });
  const before = await simState(sim);
  const { report } = await migrate({ companies: ["GLOBEX"] }, pipelineConfig(sim, EXTRA), makeHost(sim));
  assert.equal(report.totals.migrated, 5, describeRows(report));
  const after = await simState(sim);
  const accounts = portalObjects(before, "GLOBEX").map((o) => assertPipelineDone(after, o, { space: "GLX", permissions: ["read/space", "create/page"] }));
  assert.deepEqual(after.guests.map((g) => [g.accountId, g.space]).sort(), accounts.map((a) => [a, "GLX"]).sort());
});

test("graphql mode: read access through /cgraphql UpdateSpacePermissionsPrincipals, no v1 grant; a re-run adds nothing", async () => {
  const before = await simState(sim);
  const config = pipelineConfig(sim, GRAPHQL);
  const host = makeHost(sim);
  const { report } = await migrate({ companies: ["INITECH"] }, config, host);
  assert.equal(report.totals.migrated, 4, describeRows(report));
  for (const c of report.customers) assert.deepEqual(c.steps, ALL_DONE, c.email);
  const after = await simState(sim);
  assert.equal(routeCount(after, "POST addSpacePermission"), 0);
  assert.equal(routeCount(after, "POST cgraphql"), 4);
  for (const o of portalObjects(before, "INITECH")) {
    const account = assertPipelineDone(after, o, { space: "INI", permissions: ["read/space"] });
    const sent = host.requests.filter((r) => r.path === "/cgraphql" && r.body?.[0]?.variables?.subjectPermissionDeltasList?.[0]?.subjectKeyInput?.subjectId === account);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].method, "POST");
    assert.equal(sent[0].body[0].operationName, "UpdateSpacePermissionsPrincipals");
    assert.equal(sent[0].body[0].variables.spaceKey, "INI");
    assert.deepEqual(sent[0].body[0].variables.subjectPermissionDeltasList[0].permissionsToAdd, ["VIEW_SPACE"]);
    assert.equal(sent[0].status, 200);
  }
  const again = await migrate({ companies: ["INITECH"] }, config, makeHost(sim));
  assert.equal(again.report.totals.alreadyMigrated, 4, describeRows(again.report));
  // GraphQL answers success for an existing permission, so the step cannot tell "already": only the state can.
  for (const c of again.report.customers) assert.ok(["already", "done"].includes(c.steps.space), c.steps.space);
  const second = await simState(sim);
  assert.deepEqual(second.spaces, after.spaces);
  assert.equal(second.migrations.length, 4);
});

test("graphql mode: a guest with another space fails at space (errors on a 200 answer), the rest is fine", async () => {
  const before = await simState(sim);
  const objects = portalObjects(before, "INITECH");
  const email = objects[0].attributes.Email;
  const { accountId } = await ctl(sim, "POST", "users", { email });
  await ctl(sim, "POST", "users/guest", { accountId, space: "GLX" });
  const { report } = await migrate({ companies: ["INITECH"] }, pipelineConfig(sim, GRAPHQL), makeHost(sim));
  assert.equal(report.totals.failed, 1, describeRows(report));
  assert.equal(report.totals.migrated, 3);
  const row = rowOf(report, email);
  assert.equal(row.failedStep, "space");
  assert.equal(row.retryable, false);
  assert.match(row.error, /^This customer is a Confluence guest .*\(Atlassian: confluence\.grantGraphql \(confluence\): HTTP 200: /);
  assert.equal(GUEST_ERROR.exec(row.error)?.[1], "GLX", row.error);
  const after = await simState(sim);
  assert.deepEqual(spacesOf(after, accountId), []);
  for (const o of objects.slice(1)) assertPipelineDone(after, o, { space: "INI" });
});

test("graphql mode with extra permissions is a config error naming the path (it grants VIEW_SPACE only)", async () => {
  const config = pipelineConfig(sim, { confluence: { permissions: ["create/page"], mode: "graphql" } });
  await assert.rejects(migrate({ companies: ["INITECH"] }, config, makeHost(sim)), (err) => {
    assert.equal(err.code, "CONFIG");
    assert.equal(err.path, "$.confluence.permissions");
    assert.equal(err.message, 'config $.confluence.permissions: graphql mode grants the guest VIEW_SPACE only; extra permissions need mode "rest"');
    return true;
  });
});
