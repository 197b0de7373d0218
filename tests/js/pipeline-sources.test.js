// Complete pipeline, customer sources: a company key, explicit portal ids and emails, a --customers-file
// CSV (through the CLI), the reporter of an issue, a custom AQL query, the portal-only directory with an
// email-domain filter, and one customer named by two sources. Each test checks the report rows AND the
// simulator's state: who was migrated (exactly once), what Assets holds, group members, space grants.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { migrate } from "../../js/core/node.js";
import {
  startSim, pipelineConfig, ctl, simState, makeHost, customerObjects, portalObjects, migrationsOf, userById,
  objectById, routeCount, assertPipelineDone, assertUntouched, rowOf, rowByPortal, describeRows, tempDir, writeConfig, runCli,
  ALL_DONE, ALL_SKIPPED, permissionsOf, space, companySpace,
} from "./helpers/pipeline.js";


let sim;
before(async () => { sim = await startSim(); });
after(() => sim.close());
beforeEach(() => ctl(sim, "POST", "reset", {}));

test("company key: every GLOBEX customer migrated, written back, grouped and granted GLX", async () => {
  const before = await simState(sim);
  const objects = portalObjects(before, "GLOBEX");
  assert.equal(objects.length, 5);
  const { report, continuation } = await migrate({ companies: ["GLOBEX"] }, pipelineConfig(sim), makeHost(sim));
  assert.equal(continuation, null);
  assert.deepEqual(report.totals, { customers: 5, migrated: 5, alreadyMigrated: 0, failed: 0, skipped: 0, planned: 0, unfinished: 0 });
  const after = await simState(sim);
  assert.equal(after.migrations.length, 5);
  for (const o of objects) {
    const account = assertPipelineDone(after, o, { space: "GLX" });
    const row = rowOf(report, o.attributes.Email);
    assert.deepEqual(
      { source: row.source, status: row.status, steps: row.steps, company: row.company, portal: row.portalAccountId, account: row.accountId, asset: row.assetObjectId, failedStep: row.failedStep, error: row.error },
      { source: "company:GLOBEX", status: "migrated", steps: ALL_DONE, company: "GLOBEX", portal: o.attributes["Portal Account"], account, asset: o.id, failedStep: null, error: null },
    );
  }
  // Nobody outside GLOBEX was touched.
  for (const o of [...portalObjects(before, "ACME"), ...portalObjects(before, "INITECH")]) assertUntouched(after, o);
});

test("explicit customers: portal ids and emails are migrated and their Assets objects found and written back", async () => {
  const before = await simState(sim);
  const [a, b, c, d] = portalObjects(before, "INITECH");
  const unknownQm = "qm:00000000-0000-0000-0000-000000000000:000000000000000000000000";
  const customers = [a.attributes["Portal Account"], b.attributes["Portal Account"], c.attributes.Email, d.attributes.Email.toUpperCase(),
    "nobody@example.invalid", unknownQm];
  const { report } = await migrate({ customers }, pipelineConfig(sim), makeHost(sim));
  assert.equal(report.totals.migrated, 4, describeRows(report));
  assert.equal(report.totals.failed, 2, describeRows(report));
  const after = await simState(sim);
  assert.equal(after.migrations.length, 4);
  for (const o of [a, b, c, d]) {
    // Its Assets object names its company (assets.companyAttribute), so it gets that company's space.
    const account = assertPipelineDone(after, o, { space: companySpace(before, o.attributes.Company) });
    // The row carries the email as given (d was given in upper case).
    const row = rowByPortal(report, o.attributes["Portal Account"]);
    assert.equal(row.email.toLowerCase(), o.attributes.Email);
    assert.equal(row.status, "migrated");
    assert.deepEqual(row.steps, ALL_DONE);
    assert.equal(row.accountId, account);
    assert.equal(row.portalAccountId, o.attributes["Portal Account"]);
    assert.equal(row.assetObjectId, o.id, `${o.attributes.Email}: Assets object not located`);
    assert.equal(row.company, "INITECH");
  }
  assert.equal(rowOf(report, a.attributes.Email).source, `customer:${a.attributes["Portal Account"]}`);
  assert.equal(rowOf(report, c.attributes.Email).source, `customer:${c.attributes.Email}`);
  assert.equal(rowByPortal(report, d.attributes["Portal Account"]).source, `customer:${d.attributes.Email.toUpperCase()}`);

  const nobody = report.customers.find((r) => r.source === "customer:nobody@example.invalid");
  assert.deepEqual(
    { status: nobody.status, failedStep: nobody.failedStep, error: nobody.error, steps: nobody.steps },
    {
      status: "failed", failedStep: "check", error: "request: no portal-only customer or Atlassian account has the email nobody@example.invalid",
      steps: { check: "failed", migrate: "pending", writeBack: "pending", groups: "pending", space: "pending" },
    },
  );
  const unknown = report.customers.find((r) => r.source === `customer:${unknownQm}`);
  assert.equal(unknown.status, "failed");
  assert.equal(unknown.failedStep, "check");
  assert.equal(unknown.error, `No Jira account has this id. Fix: check the id given (a portal-only id starts with qm:) or the value held in assets.portalAccountAttribute. (Atlassian: users.get (jira): HTTP 404: account ${unknownQm} not found)`);
  assert.equal(routeCount(after, "PUT migrateCustomer"), 4, "no migrate call for customers that failed the check");
});

test("--customers-file: the CLI migrates the ids and emails of the CSV's email column", async () => {
  const before = await simState(sim);
  const [a, b, c] = portalObjects(before, "GLOBEX");
  const tmp = tempDir();
  try {
    const config = writeConfig(tmp, pipelineConfig(sim));
    const csv = tmp.file("customers.csv");
    // The "email" column is picked over the first one; a quoted field and a blank line are fine.
    writeFileSync(csv, `name,email\r\n"Doe, Jane",${a.attributes.Email}\r\n\r\nx,"${b.attributes.Email}"\r\ny,${c.attributes["Portal Account"]}\r\n`);
    const r = await runCli(sim, ["run", "--config", config, "--customers-file", csv, "--journal", tmp.file("j.jsonl"), "--report", tmp.file("r.json"), "--quiet"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "summary: migrated=3 already_migrated=0 failed=0 skipped=0\n");
    const after = await simState(sim);
    assert.equal(after.migrations.length, 3);
    for (const o of [a, b, c]) assertPipelineDone(after, o, { space: companySpace(before, o.attributes.Company) });
    for (const o of portalObjects(before, "GLOBEX").slice(3)) assertUntouched(after, o);
  } finally {
    tmp.cleanup();
  }
});

test("issue reporter: SUP-1's portal-only reporter is migrated, its Assets object found by Portal Account and written back", async () => {
  const before = await simState(sim);
  const issue = before.issues.find((i) => i.key === "SUP-1");
  const object = customerObjects(before).find((o) => o.attributes["Portal Account"] === issue.reporter);
  assert.ok(object, "SUP-1's reporter has an Assets customer object");
  assert.equal(object.attributes.Company, "ACME");
  const { report } = await migrate({ issueKey: "SUP-1", customers: [] }, pipelineConfig(sim, { comment: { enabled: false, internal: true } }), makeHost(sim));
  assert.equal(report.customers.length, 1, describeRows(report));
  const after = await simState(sim);
  assert.equal(after.migrations.length, 1);
  const account = assertPipelineDone(after, object, { space: companySpace(before, object.attributes.Company) });
  const row = report.customers[0];
  assert.deepEqual(
    { source: row.source, status: row.status, steps: row.steps, email: row.email, portal: row.portalAccountId, account: row.accountId, asset: row.assetObjectId },
    { source: "issue:SUP-1", status: "migrated", steps: ALL_DONE, email: object.attributes.Email, portal: issue.reporter, account, asset: object.id },
  );
  // The issue keeps its reporter: now the new account.
  assert.equal(after.issues.find((i) => i.key === "SUP-1").reporter, account);
});

test("issue with reporter: false: the issue's reporter is not a customer of the job", async () => {
  const before = await simState(sim);
  const reporter = before.issues.find((i) => i.key === "SUP-1").reporter;
  const { report } = await migrate({ issueKey: "SUP-1", reporter: false, companies: ["INITECH"] },
    pipelineConfig(sim, { comment: { enabled: false, internal: true } }), makeHost(sim));
  assert.equal(report.totals.migrated, 4);
  const after = await simState(sim);
  assert.equal(migrationsOf(after, reporter).length, 0);
  assert.equal(userById(after, reporter)?.accountType, "customer");
});

test("custom AQL: exactly the objects the query selects are migrated", async () => {
  const before = await simState(sim);
  const aql = 'objectType = "Customer" AND Email endswith "@initech.example"';
  const objects = portalObjects(before, "INITECH");
  const { report } = await migrate({ aql }, pipelineConfig(sim), makeHost(sim));
  assert.equal(report.customers.length, 4, describeRows(report));
  const after = await simState(sim);
  assert.equal(after.migrations.length, 4);
  for (const o of objects) {
    const account = assertPipelineDone(after, o, { space: companySpace(before, o.attributes.Company) });
    const row = rowOf(report, o.attributes.Email);
    assert.deepEqual({ source: row.source, status: row.status, steps: row.steps, asset: row.assetObjectId, account: row.accountId },
      { source: "aql", status: "migrated", steps: ALL_DONE, asset: o.id, account });
  }
});

test("custom AQL: a query naming an unknown attribute fails the job with the service's message", async () => {
  await assert.rejects(
    migrate({ aql: 'objectType = "Customer" AND Emial = "x@y.example"' }, pipelineConfig(sim), makeHost(sim)),
    { code: "ATLASSIAN_API", message: 'assets.search (assets): HTTP 400: AQL: the attribute "Emial" does not exist' },
  );
  assert.equal((await simState(sim)).migrations.length, 0);
});

test("portal directory with emailDomain: only the customers of that domain are migrated", async () => {
  const before = await simState(sim);
  const gmail = customerObjects(before).filter((o) => o.attributes.Email.endsWith("@gmail.example"));
  assert.equal(gmail.length, 1);
  const { report } = await migrate({ portalCustomers: { emailDomain: "gmail.example" } }, pipelineConfig(sim), makeHost(sim));
  assert.equal(report.customers.length, 1, describeRows(report));
  const after = await simState(sim);
  assert.equal(after.migrations.length, 1);
  const account = assertPipelineDone(after, gmail[0], { space: companySpace(before, gmail[0].attributes.Company) });
  const row = report.customers[0];
  assert.deepEqual({ source: row.source, status: row.status, steps: row.steps, email: row.email, asset: row.assetObjectId, account: row.accountId },
    { source: "directory", status: "migrated", steps: ALL_DONE, email: gmail[0].attributes.Email, asset: gmail[0].id, account });
  for (const o of portalObjects(before).filter((x) => x !== gmail[0])) assertUntouched(after, o);
});

test("portal directory: the domain filter is exact, case-insensitive, and inactive customers are left alone", async () => {
  const before = await simState(sim);
  const acme = portalObjects(before).filter((o) => o.attributes.Email.endsWith("@acme.example"));
  assert.equal(acme.length, 28, "ACME: 30 customers, one without a portal account, one @contractor.example");
  const former = before.users.find((u) => u.emailAddress === "former.customer@acme.example");
  assert.equal(former.active, false);
  const { report } = await migrate({ portalCustomers: { emailDomain: "@ACME.example" } }, pipelineConfig(sim), makeHost(sim));
  assert.equal(report.totals.migrated, 28, describeRows(report));
  assert.equal(report.customers.length, 28);
  const after = await simState(sim);
  assert.equal(after.migrations.length, 28);
  for (const o of acme) assertPipelineDone(after, o, { space: companySpace(before, o.attributes.Company) });
  assert.equal(migrationsOf(after, former.accountId).length, 0, "the inactive former customer was migrated");
  const contractor = portalObjects(before, "ACME").find((o) => o.attributes.Email.endsWith("@contractor.example"));
  assertUntouched(after, contractor);
});

test("portal directory through the CLI: --portal-customers --email-domain; --email-domain alone is a usage error", async () => {
  const before = await simState(sim);
  const tmp = tempDir();
  try {
    const config = writeConfig(tmp, pipelineConfig(sim));
    const bad = await runCli(sim, ["run", "--config", config, "--email-domain", "gmail.example", "--journal", tmp.file("j.jsonl")]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "portal-migrate: --email-domain needs --portal-customers\n");
    assert.equal((await simState(sim)).migrations.length, 0);
    const r = await runCli(sim, ["run", "--config", config, "--portal-customers", "--email-domain", "gmail.example", "--journal", tmp.file("j.jsonl"), "--quiet"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "summary: migrated=1 already_migrated=0 failed=0 skipped=0\n");
    const after = await simState(sim);
    assert.deepEqual(after.migrations.map((m) => m.email), ["milan.nakamura@gmail.example"]);
    const milan = customerObjects(before).find((o) => o.attributes.Email === "milan.nakamura@gmail.example");
    assertPipelineDone(after, milan, { space: companySpace(before, milan.attributes.Company) });
  } finally {
    tmp.cleanup();
  }
});

test("a customer named by several sources is processed once: one migrate, one report row", async () => {
  const before = await simState(sim);
  const objects = portalObjects(before, "GLOBEX");
  const [a, b] = objects;
  const sup2 = before.issues.find((i) => i.key === "SUP-2");
  assert.equal(sup2.reporter, a.attributes["Portal Account"], "SUP-2 is reported by the first GLOBEX customer");
  // The company, the email, the portal id (in another case) and the issue all name GLOBEX customers.
  const request = {
    companies: ["GLOBEX"], customers: [a.attributes.Email, a.attributes["Portal Account"], b.attributes.Email.toUpperCase(), b.attributes["Portal Account"]],
    issueKey: "SUP-2", concurrency: 1,
  };
  const { report } = await migrate(request, pipelineConfig(sim, { comment: { enabled: false, internal: true } }), makeHost(sim));
  assert.equal(report.customers.length, 5, describeRows(report));
  assert.equal(report.totals.migrated, 5);
  const after = await simState(sim);
  assert.equal(routeCount(after, "PUT migrateCustomer"), 5);
  assert.equal(routeCount(after, "PUT updateObject"), 5);
  assert.equal(routeCount(after, "POST addGroupMember"), 5);
  for (const o of objects) {
    assertPipelineDone(after, o, { space: "GLX" });
    const row = rowOf(report, o.attributes.Email);
    assert.equal(row.company, "GLOBEX");
    assert.deepEqual(row.steps, ALL_DONE);
  }
});

test("a customer named by a company and by email keeps its company (and space) whichever source is checked first", async () => {
  const before = await simState(sim);
  const objects = portalObjects(before, "GLOBEX");
  const a = objects[0];
  // Slow GET /rest/api/3/user (the company item's check) so the email item's user search answers first.
  await ctl(sim, "POST", "faults", { rules: [{ path: "^/rest/api/3/user$", kind: "latency", latencyMs: 150 }] });
  const { report } = await migrate({ companies: ["GLOBEX"], customers: [a.attributes.Email], concurrency: 8 }, pipelineConfig(sim), makeHost(sim));
  assert.equal(report.customers.length, 5, describeRows(report));
  const row = rowOf(report, a.attributes.Email);
  const after = await simState(sim);
  assert.equal(migrationsOf(after, a.attributes["Portal Account"]).length, 1);
  assert.equal(row.company, "GLOBEX", `row: ${JSON.stringify(row)}`);
  assert.equal(row.steps.space, "done");
  assert.deepEqual(permissionsOf(after, "GLX", row.accountId), ["read/space"], `GLX permissions: ${JSON.stringify(space(after, "GLX").permissions)}`);
  assert.equal(objectById(after, a.id).attributes["Portal Account"], row.accountId);
});

// Sanity for the skip path used by the report tests: an object without a portal account is reported, not migrated.
test("company key: an Assets customer without a Portal Account is reported skipped with the reason", async () => {
  const before = await simState(sim);
  const empty = customerObjects(before, "ACME").find((o) => o.attributes["Portal Account"] === null);
  assert.ok(empty);
  const { report } = await migrate({ companies: ["ACME"] }, pipelineConfig(sim), makeHost(sim));
  assert.equal(report.totals.skipped, 1);
  assert.equal(report.totals.migrated, 29);
  const row = rowOf(report, empty.attributes.Email);
  assert.deepEqual(
    { status: row.status, steps: row.steps, error: row.error, portal: row.portalAccountId, account: row.accountId, asset: row.assetObjectId, company: row.company },
    { status: "skipped", steps: ALL_SKIPPED, error: `object ${empty.objectKey} has no value in "Portal Account"`, portal: null, account: null, asset: empty.id, company: "ACME" },
  );
  const after = await simState(sim);
  assert.equal(objectById(after, empty.id).attributes["Portal Account"], null);
  assert.equal(after.migrations.length, 29);
});
