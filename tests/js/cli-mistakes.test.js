// Mistakes named, before anything changes (issue 12): each ordinary mistake through the real CLI
// against the simulator, with its exit code and its exact message. Config mistakes (a mistyped key,
// a URL without https or with a path, an invalid Confluence permission, half of the company-space
// pair) exit 2 naming the JSON path and the fix; credentials Atlassian refuses at `run` exit 2 with
// doctor's fix; a customer's Atlassian error reads as a sentence and a fix next to Atlassian's own
// message (src/advice.rs).
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startSim, pipelineConfig, runCli, tempDir, writeConfig, ctl, simState, portalObjects, rowOf } from "./helpers/pipeline.js";

let sim;
let tmp;
before(async () => { sim = await startSim(); tmp = tempDir("pm-mistakes-"); });
after(async () => { tmp.cleanup(); await sim.close(); });
beforeEach(() => ctl(sim, "POST", "reset", {}));

// A journal of its own per run: the simulator is reset before each test, the journal would not be.
let runs = 0;
const run = (config, args = ["--company", "ACME"], opts = {}) =>
  runCli(sim, ["run", "--config", config, ...args], { stateDir: tmp.file(`state-${++runs}`), ...opts });

/** Nothing was sent that changes anything. */
async function assertNothingChanged() {
  const state = await simState(sim);
  assert.deepEqual(state.migrations, []);
}

// --- config --------------------------------------------------------------------------------------

/** The simulator's config with `edit` applied to a copy, written to its own file. */
function configWith(name, edit) {
  const c = structuredClone(pipelineConfig(sim));
  edit(c);
  return writeConfig(tmp, c, `${name}.json`);
}

const CONFIG_MISTAKES = [
  ["unknown top-level key", (c) => { c.asets = c.assets; delete c.assets; },
    'config $.asets: unknown key "asets"; did you mean "assets"?'],
  ["unknown nested key", (c) => { c.confluence = { permisions: ["create/page"] }; },
    'config $.confluence.permisions: unknown key "permisions"; did you mean "permissions"?'],
  ["unknown key with nothing close", (c) => { c.comment = { enabled: true, colour: "red" }; },
    'config $.comment.colour: unknown key "colour"; valid keys: enabled, internal'],
  ["site without a scheme", (c) => { c.siteUrl = "mysite.atlassian.net"; },
    'config $.siteUrl: must be an absolute http(s) URL; did you mean "https://mysite.atlassian.net"?'],
  ["site over plain http", (c) => { c.siteUrl = "http://mysite.atlassian.net"; },
    'config $.siteUrl: plain http is only allowed for literal loopback addresses (127.0.0.1, [::1], localhost); did you mean "https://mysite.atlassian.net"?'],
  ["site with a path", (c) => { c.siteUrl = "https://x.atlassian.net/jira/servicedesk"; },
    'config $.siteUrl: must be an origin only, without a path, query or fragment; did you mean "https://x.atlassian.net"?'],
  ["invalid Confluence permission", (c) => { c.confluence = { permissions: ["create/pages"] }; },
    'config $.confluence.permissions[0]: "create/pages" is not a valid Confluence space permission; did you mean "create/page"? (valid: read/space, create/page, create/blogpost, create/comment, create/attachment, delete/page, delete/blogpost, delete/comment, delete/attachment, delete/space, export/space, administer/space, archive/page, restrict_content/space)'],
  ["spaceKeyAttribute without companyQuery", (c) => { delete c.assets.companyQuery; },
    "config $.assets.spaceKeyAttribute: needs $.assets.companyQuery, the AQL with {company} finding the company's object: give both (or neither)"],
  ["companyQuery without spaceKeyAttribute", (c) => { delete c.assets.spaceKeyAttribute; },
    "config $.assets.companyQuery: needs $.assets.spaceKeyAttribute, the company attribute holding the Confluence space key: give both (or neither)"],
];

for (const [name, edit, message] of CONFIG_MISTAKES) {
  test(`config: ${name} exits 2 naming the path and the fix`, async () => {
    const r = await run(configWith(name.replaceAll(" ", "-"), edit));
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `portal-migrate: ${message}\n`);
    assert.equal(r.stdout, "");
    await assertNothingChanged();
  });
}

// --- credentials at run ----------------------------------------------------------------------------

const DOCTOR = (config) => `\`portal-migrate doctor --config ${config}\` checks the credentials and permissions`;

test("run with a wrong token exits 2 with doctor's fix next to Atlassian's message", async () => {
  const config = writeConfig(tmp, pipelineConfig(sim), "token.json");
  const r = await run(config, ["--company", "ACME", "--quiet"], { env: { ATLASSIAN_API_TOKEN: "wrong" } });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr,
    "portal-migrate: Atlassian refused the credentials (HTTP 401). Fix: set ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN to an admin's email and a classic API token (https://id.atlassian.com/manage-profile/security/api-tokens); "
    + `${DOCTOR(config)}. (Atlassian: assets.workspace (jira): HTTP 401: Client must be authenticated to access this resource.)\n`);
  assert.equal(r.stdout, "");
  await assertNothingChanged();
});

test("run --json with a wrong token: one JSON document with the core's advice, exit 2", async () => {
  const config = writeConfig(tmp, pipelineConfig(sim), "token-json.json");
  const r = await run(config, ["--company", "ACME", "--json"], { env: { ATLASSIAN_API_TOKEN: "wrong" } });
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    error: {
      code: "ATLASSIAN_API",
      message: "assets.workspace (jira): HTTP 401: Client must be authenticated to access this resource.",
      advice: "Atlassian refused the credentials (HTTP 401)",
      fix: "set ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN to an admin's email and a classic API token (https://id.atlassian.com/manage-profile/security/api-tokens)",
      kind: "credentials",
    },
    exitCode: 2,
  });
});

test("a 403 on the first call (discovery) exits 2 with the fix", async () => {
  await ctl(sim, "POST", "faults", { rules: [{ kind: "respond", surface: "jira", path: "^/rest/servicedeskapi/assets/workspace", status: 403,
    body: { errorMessages: ["You do not have permission to access Assets."] } }] });
  const config = writeConfig(tmp, pipelineConfig(sim), "forbidden.json");
  const r = await run(config, ["--company", "ACME", "--quiet"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr,
    "portal-migrate: The service account may not use Assets, or not this object schema. Fix: give the service account a role on the customer object schema that may edit objects, then re-run; "
    + `${DOCTOR(config)}. (Atlassian: assets.workspace (jira): HTTP 403: You do not have permission to access Assets.)\n`);
  await assertNothingChanged();
});

test("a job-level error that is not the credentials keeps exit 1, with its advice", async () => {
  await ctl(sim, "POST", "faults", { rules: [{ kind: "respond", surface: "jira", path: "^/rest/servicedeskapi/assets/workspace", status: 502, body: "bad gateway" }] });
  const config = writeConfig(tmp, pipelineConfig(sim), "down.json");
  const r = await run(config, ["--company", "ACME", "--quiet"]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr,
    "portal-migrate: ATLASSIAN_API: Atlassian had a temporary error. Fix: re-run later, nothing is lost. (Atlassian: assets.workspace (jira): HTTP 502: bad gateway)\n");
});

// --- a customer's Atlassian error: a sentence and a fix next to Atlassian's message ------------------

test("a guest with another space: that customer's error says what to do, Atlassian's text kept; exit 1", async () => {
  const guest = portalObjects(await simState(sim), "GLOBEX")[0];
  const { accountId } = await ctl(sim, "POST", "users", { email: guest.attributes.Email, displayName: "Guest" });
  await ctl(sim, "POST", "users/guest", { accountId, space: "ACME" });
  const report = tmp.file("guest.json");
  const r = await run(writeConfig(tmp, pipelineConfig(sim), "guest-config.json"), ["--company", "GLOBEX", "--report", report]);
  assert.equal(r.code, 1, r.stderr);
  const row = rowOf(JSON.parse(readFileSync(report, "utf8")), guest.attributes.Email);
  assert.equal(row.failedStep, "space");
  assert.equal(row.error,
    "This customer is a Confluence guest who already has another space, and a guest can have one space only. Fix: remove the guest from its other space, or give the account a Confluence licence, then re-run. "
    + "(Atlassian: confluence.grant (confluence): HTTP 400: com.atlassian.confluence.api.service.exceptions.BadRequestException: Cannot grant space permission: guest already has a space assigned: ACME. "
    + "A Confluence guest can have one space only: remove the guest from the other space (or make the account a full user), then re-run)");
  assert.ok(r.stdout.includes(`space: ${row.error}`), r.stdout);
});

test("a service account that is not a site admin: each group add says so, Atlassian's text kept; exit 1", async () => {
  await ctl(sim, "POST", "settings", { callerSiteAdmin: false });
  const report = tmp.file("groups.json");
  const r = await run(writeConfig(tmp, pipelineConfig(sim), "groups-config.json"), ["--company", "GLOBEX", "--report", report, "--quiet"]);
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(readFileSync(report, "utf8")).customers;
  assert.ok(rows.length > 0);
  for (const row of rows) {
    assert.equal(row.failedStep, "groups", row.email);
    assert.equal(row.error,
      "Adding group members needs a site admin, and the service account is not one. Fix: make the service account a site admin (admin.atlassian.com → Directory → Users), then re-run. "
      + "(Atlassian: groups.addUser (jira): HTTP 403: You must be a site administrator (a member of the site-admins group) to add users to groups.)");
  }
});
