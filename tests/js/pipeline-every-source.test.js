// Company, and so space, for every source (issue 12): the issue flow migrates the reporter, writes
// back, adds the group, grants the space its Assets company names and comments once, with the Assets
// attributes by name and by id; sites without Assets get spaces from the email domain, a customers
// file's space column or the JSM organization; a customer no source names a space for is reported;
// mistakes are named before anything changes; the dry run shows its plan.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { migrate } from "../../js/core/node.js";
import {
  startSim, pipelineConfig, ctl, simState, makeHost, runCli, tempDir, writeConfig, assertPipelineDone, portalObjects,
  permissionsOf, groupMembers, describeRows, rowOf,
} from "./helpers/pipeline.js";

let sim;
before(async () => { sim = await startSim(); });
after(() => sim.close());
beforeEach(() => ctl(sim, "POST", "reset", {}));

/** The sim's seeded ids (js/sim/services/assets/store.js): Customer type 4, Company type 1. */
const BY_ID = {
  customerQuery: 'objectTypeId = 4 AND "Company" = {company}',
  portalAccountAttribute: "91", emailAttribute: "88", companyAttribute: "89",
  companyQuery: "objectTypeId = 1 AND Key = {company}", spaceKeyAttribute: "12",
};

/** The reporter of `issue` as the sim seeded it, with its Assets object. */
function reporterOf(state, issue) {
  const qm = state.issues.find((i) => i.key === issue).reporter;
  const object = state.assets.objects.find((o) => o.attributes["Portal Account"] === qm);
  return { qm, object };
}

for (const [name, assets] of [["by name", {}], ["by id", BY_ID]]) {
  test(`--issue alone, attributes ${name}: the reporter is migrated, written back, grouped, granted its company's space, and the issue gets one comment`, async () => {
    const before = await simState(sim);
    const { object } = reporterOf(before, "SUP-2"); // a GLOBEX customer (space GLX)
    const tmp = tempDir();
    try {
      const file = writeConfig(tmp, pipelineConfig(sim, { assets }));
      const r = await runCli(sim, ["run", "--config", file, "--issue", "SUP-2", "--journal", tmp.file("j.jsonl"), "--progress", "none", "--report", tmp.file("r.json")], { stateDir: tmp.dir });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const after = await simState(sim);
      assertPipelineDone(after, object, { space: "GLX" });
      assert.equal(after.comments["SUP-2"].length, 1, "one comment");
      assert.match(r.stdout, /^GLOBEX: 1 migrated$/m, r.stdout);
      const report = JSON.parse((await import("node:fs")).readFileSync(tmp.file("r.json"), "utf8"));
      assert.equal(report.customers[0].company, "GLOBEX");
      assert.equal(report.customers[0].space, "GLX");
      assert.deepEqual(report.byCompany.GLOBEX.migrated, 1);
      // Run again: nothing changes, no second comment.
      const again = await runCli(sim, ["run", "--config", file, "--issue", "SUP-2", "--journal", tmp.file("j.jsonl"), "--progress", "none"], { stateDir: tmp.dir });
      assert.equal(again.code, 0, again.stderr);
      const last = await simState(sim);
      assert.equal(last.comments["SUP-2"].length, 1);
      assert.deepEqual(last.spaces, after.spaces);
    } finally {
      tmp.cleanup();
    }
  });
}

test("no Assets: the space comes from confluence.spaceByEmailDomain; there is no write-back", async () => {
  const before = await simState(sim);
  const [o] = portalObjects(before, "INITECH");
  const email = o.attributes.Email;
  const config = pipelineConfig(sim, { confluence: { spaceByEmailDomain: { "initech.example": "INI" } } });
  delete config.assets;
  delete config.companies;
  const { report } = await migrate({ customers: [email] }, config, makeHost(sim));
  const row = rowOf(report, email);
  assert.equal(row.status, "migrated", describeRows(report));
  assert.deepEqual([row.steps.writeBack, row.steps.groups, row.steps.space], ["skipped", "done", "done"], JSON.stringify(row));
  assert.equal(row.space, "INI");
  const after = await simState(sim);
  assert.deepEqual(permissionsOf(after, "INI", row.accountId), ["read/space"]);
  assert.ok(groupMembers(after).includes(row.accountId));
  assert.equal(after.calls.bySurface.assets ?? 0, 0, "a config without assets never calls Assets");
});

test("a customers file's space column wins over the company's space", async () => {
  const before = await simState(sim);
  const [o] = portalObjects(before, "GLOBEX");
  const tmp = tempDir();
  try {
    const csv = tmp.file("list.csv");
    writeFileSync(csv, `email,space\n${o.attributes.Email},INI\n`);
    const file = writeConfig(tmp, pipelineConfig(sim));
    const r = await runCli(sim, ["run", "--config", file, "--customers-file", csv, "--journal", tmp.file("j.jsonl"), "--progress", "none", "--json"], { stateDir: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const after = await simState(sim);
    const account = after.assets.objects.find((x) => x.id === o.id).attributes["Portal Account"];
    assert.deepEqual(permissionsOf(after, "INI", account), ["read/space"]);
    assert.deepEqual(permissionsOf(after, "GLX", account), [], "not the company's space");
  } finally {
    tmp.cleanup();
  }
});

test("the space of the customer's JSM organization (confluence.spaceByOrganization), asked by the new account or the portal id", async () => {
  const before = await simState(sim);
  const [o] = portalObjects(before, "GLOBEX");
  const org = before.organizations.find((x) => x.members.includes(o.attributes["Portal Account"]));
  assert.ok(org, "the seed puts customers in their company's organization");
  const config = pipelineConfig(sim, { confluence: { spaceByOrganization: { [org.name]: "INI" } } });
  delete config.assets.companyQuery;
  delete config.assets.spaceKeyAttribute;
  const { report } = await migrate({ customers: [o.attributes.Email] }, config, makeHost(sim));
  const row = report.customers[0];
  assert.equal(row.steps.space, "done", describeRows(report));
  assert.equal(row.space, "INI");
  const after = await simState(sim);
  assert.deepEqual(permissionsOf(after, "INI", row.accountId), ["read/space"]);
});

test("a customer no source names a space for is reported with why (not silently skipped)", async () => {
  const before = await simState(sim);
  const [o] = portalObjects(before, "GLOBEX");
  const config = pipelineConfig(sim, { confluence: { spaceByEmailDomain: { "acme.example": "ACME" } } });
  delete config.assets.companyQuery;
  delete config.assets.spaceKeyAttribute;
  const { report, companyLines } = await migrate({ customers: [o.attributes.Email] }, config, makeHost(sim));
  const row = report.customers[0];
  assert.equal(row.status, "migrated");
  assert.equal(row.steps.space, "skipped");
  assert.deepEqual(row.notes, ["no Confluence space: its email domain globex.example is not in confluence.spaceByEmailDomain"]);
  assert.deepEqual(companyLines, ["GLOBEX: 1 migrated"]);
});

test("the dry run lists each customer's plan: the migrate call, the write-back, the groups, the space and its permissions", async () => {
  const before = await simState(sim);
  const tmp = tempDir();
  try {
    const config = pipelineConfig(sim, { confluence: { permissions: ["create/page"] } });
    const file = writeConfig(tmp, config);
    const r = await runCli(sim, ["run", "--config", file, "--company", "GLOBEX", "--dry-run", "--journal", tmp.file("j.jsonl"), "--progress", "none", "--report", tmp.file("r.json")], { stateDir: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse((await import("node:fs")).readFileSync(tmp.file("r.json"), "utf8"));
    const o = portalObjects(before, "GLOBEX")[0];
    const row = report.customers.find((c) => c.assetObjectId === o.id);
    assert.deepEqual(row.plan, {
      migrate: "PUT …/migrate-to-atlassian-account-user/{id}",
      writeBack: { object: o.id, attribute: "Portal Account", value: "(the new account id)" },
      groups: config.groups,
      space: { key: "GLX", from: "company GLOBEX", permissions: ["read/space", "create/page"] },
    });
    assert.match(r.stdout, new RegExp(`write \\(the new account id\\) to "Portal Account" of object ${o.id}; add to group ${config.groups[0]}; grant read/space, create/page in space GLX \\(from company GLOBEX\\)`));
    assert.match(r.stdout, /^GLOBEX: 5 planned$/m);
    assert.deepEqual((await simState(sim)).migrations, [], "a dry run changes nothing");
  } finally {
    tmp.cleanup();
  }
});

test("mistakes are named before anything changes: an unknown company (with a close match) and an unknown issue exit 2", async () => {
  const tmp = tempDir();
  try {
    const file = writeConfig(tmp, pipelineConfig(sim));
    const run = (args) => runCli(sim, ["run", "--config", file, "--journal", tmp.file("j.jsonl"), "--progress", "none", ...args], { stateDir: tmp.dir });
    const company = await run(["--company", "GLOBX"]);
    assert.equal(company.code, 2, company.stderr);
    assert.equal(company.stderr, 'portal-migrate: request: no company "GLOBX": assets.customerQuery (objectType = "Customer" AND "Company" = "GLOBX") found no customer and assets.companyQuery no company object (did you mean "GLOBEX"?)\n');
    const issue = await run(["--issue", "SUP-404"]);
    assert.equal(issue.code, 2, issue.stderr);
    assert.match(issue.stderr, /^portal-migrate: request: issue SUP-404 does not exist, or the account cannot see it \(issues\.get: HTTP 404: .*\)\n$/);
    assert.deepEqual((await simState(sim)).migrations, []);
  } finally {
    tmp.cleanup();
  }
});
