// `doctor`: read-only checks of a config against the site. Through the core's `doctor` export and the
// CLI (`portal-migrate doctor --config F`): a good config passes every check (exit 0); each broken
// config fails the check that names the problem, with its fix (exit 1); nothing is ever written.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import core from "../../js/core/node.js";
import {
  startSim, pipelineConfig, ctl, simState, makeHost, memoryJournal, routeCount, tempDir, writeConfig, runCli,
} from "./helpers/pipeline.js";

const CHECKS = [
  "site reachable", "credentials valid", "Assets workspace", "customer query valid", "attribute portalAccountAttribute",
  "attribute emailAttribute", "attribute companyAttribute", "groups resolved", "may add group members", "Confluence space visible", "admin gateway reachable",
];
const WRITES = ["PUT migrateCustomer", "PUT bulkMigrate", "PUT updateObject", "POST addGroupMember", "POST addSpacePermission", "POST cgraphql", "POST addComment"];

let sim;
let tmp;
before(async () => { sim = await startSim(); tmp = tempDir(); });
after(async () => { tmp.cleanup(); await sim.close(); });
beforeEach(() => ctl(sim, "POST", "reset", {}));

async function doctor(config, options) {
  assert.equal(typeof core.doctor, "function", "the core exports doctor");
  return core.doctor(config, makeHost(sim, options));
}

const failing = (checks) => checks.filter((c) => !c.ok).map((c) => ({ name: c.name, detail: c.detail, fix: c.fix }));

async function assertNothingWritten() {
  const state = await simState(sim);
  for (const r of WRITES) assert.equal(routeCount(state, r), 0, `doctor sent ${r}`);
  assert.equal(state.migrations.length, 0);
}

test("doctor export: the simulator's config passes every check, read-only", async () => {
  const journal = memoryJournal();
  const before = await simState(sim);
  const result = await doctor(pipelineConfig(sim), { journal });
  assert.equal(result.ok, true, JSON.stringify(failing(result.checks)));
  assert.deepEqual(result.checks.map((c) => c.name), CHECKS);
  assert.ok(result.checks.every((c) => c.ok && typeof c.detail === "string" && c.fix === undefined));
  const byName = Object.fromEntries(result.checks.map((c) => [c.name, c.detail]));
  assert.equal(byName["site reachable"], `${sim.url} (cloudId ${before.cloudId})`);
  assert.equal(byName["Assets workspace"], before.workspaceId);
  assert.equal(byName["groups resolved"], before.groups.find((g) => g.name === "portal-migrated").groupId);
  assert.equal(byName["Confluence space visible"], "ACME (company ACME)");
  await assertNothingWritten();
  assert.equal(journal.entries.size, 0, "doctor wrote to the journal");
});

test("doctor export: a good config without a companies list passes too (companies come from --company)", async () => {
  const config = pipelineConfig(sim);
  delete config.companies;
  const result = await doctor(config);
  assert.deepEqual(failing(result.checks), []);
  assert.equal(result.ok, true);
});

test("CLI doctor: a good config prints every check with ✔ and exits 0", async () => {
  const r = await runCli(sim, ["doctor", "--config", writeConfig(tmp, pipelineConfig(sim), "good.json")]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.map((l) => l.replace(/ — .*$/, "")), CHECKS.map((c) => `✔ ${c}`));
  await assertNothingWritten();
});

test("CLI doctor: an unknown attribute name fails its check with a suggestion and the fix, exit 1", async () => {
  const config = pipelineConfig(sim, { assets: { portalAccountAttribute: "Portal Acount" } });
  const r = await runCli(sim, ["doctor", "--config", writeConfig(tmp, config, "attr.json")]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const i = lines.findIndex((l) => l.startsWith("✘"));
  assert.deepEqual(lines.slice(i, i + 2), [
    '✘ attribute portalAccountAttribute — config $.assets.portalAccountAttribute: no attribute "Portal Acount" on the object type (did you mean "Portal Account"?)',
    "  fix: use an attribute name or id of the customer object type",
  ]);
  assert.equal(lines.filter((l) => l.startsWith("✘")).length, 1, r.stdout);
  assert.equal(lines.filter((l) => l.startsWith("✔")).length, CHECKS.length - 1, r.stdout);
  await assertNothingWritten();
});

test("CLI doctor: an unknown group fails 'groups resolved' with the closest name and the fix, exit 1", async () => {
  const config = pipelineConfig(sim, { groups: ["portal-migrate"] });
  const r = await runCli(sim, ["doctor", "--config", writeConfig(tmp, config, "group.json")]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const failed = r.stdout.split("\n").filter((l) => l.startsWith("✘") || l.startsWith("  fix:"));
  assert.deepEqual(failed, [
    '✘ groups resolved — config $.groups[0]: no group with id or name "portal-migrate" (did you mean "portal-migrated"?)',
    "  fix: use a group id or exact name in groups",
  ]);
});

test("CLI doctor: wrong credentials fail 'credentials valid' and stop there, exit 1", async () => {
  const r = await runCli(sim, ["doctor", "--config", writeConfig(tmp, pipelineConfig(sim), "creds.json")], { env: { ATLASSIAN_API_TOKEN: "not-the-token" } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[0], /^✔ site reachable — /);
  assert.deepEqual(lines.slice(1), [
    "✘ credentials valid — users.myself (jira): HTTP 401: Client must be authenticated to access this resource.",
    "  fix: set ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN to an admin's email and a classic API token (https://id.atlassian.com/manage-profile/security/api-tokens)",
  ]);
});

test("CLI doctor: missing credentials are a usage error (exit 2) before any request", async () => {
  const r = await runCli(sim, ["doctor", "--config", writeConfig(tmp, pipelineConfig(sim), "nocreds.json")], { env: { ATLASSIAN_API_TOKEN: "" } });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "portal-migrate: missing ATLASSIAN_API_TOKEN (set it in the environment)\n");
  assert.equal(r.stdout, "");
  const state = await simState(sim);
  assert.deepEqual(state.calls.bySurface, {});
});

test("doctor export: a customer query naming an unknown attribute fails 'customer query valid' with the service's message", async () => {
  const config = pipelineConfig(sim, { assets: { customerQuery: 'objectType = "Customer" AND Firma = {company}' } });
  const result = await doctor(config);
  assert.equal(result.ok, false);
  assert.deepEqual(failing(result.checks), [{
    name: "customer query valid",
    detail: 'assets.search (assets): HTTP 400: AQL: the attribute "Firma" does not exist',
    fix: "fix the AQL in assets.customerQuery (attribute names must exist)",
  }]);
});

test("doctor export: a wrong space key attribute fails 'Confluence space visible' with the fix", async () => {
  const config = pipelineConfig(sim, { assets: { spaceKeyAttribute: "Confluence Spce" } });
  const result = await doctor(config);
  assert.equal(result.ok, false);
  assert.deepEqual(failing(result.checks), [{
    name: "Confluence space visible",
    detail: 'config $.assets.spaceKeyAttribute: no attribute "Confluence Spce" on the object type (did you mean "Confluence Space"?)',
    fix: "fix assets.companyQuery / assets.spaceKeyAttribute",
  }]);
});

test("CLI doctor: a config the core rejects is a usage error naming the JSON path (exit 2)", async () => {
  const config = pipelineConfig(sim, { confluence: { permissions: ["administer/page"] } });
  const r = await runCli(sim, ["doctor", "--config", writeConfig(tmp, config, "invalid.json")]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /^portal-migrate: config \$\.confluence\.permissions\[0\]: "administer\/page" is not a valid Confluence space permission; did you mean "administer\/space"\? \(valid: read\/space, .*\)\n$/);
});
