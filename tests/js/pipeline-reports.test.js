// Complete pipeline, the CLI's report files: --report-csv has the documented header and one row per
// customer whose values match what the simulator's state shows (old id, new id, email, company, Assets
// object, status, failed step, error); --report JSON has each customer's step outcomes and the API
// calls per surface. A mixed job: migrated, skipped (no portal account) and failed (guest of another
// space) customers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  startSim, pipelineConfig, ctl, simState, portalObjects, customerObjects, migrationsOf, tempDir, writeConfig, runCli,
  parseCsv, assertPipelineDone, ALL_DONE, ALL_SKIPPED,
} from "./helpers/pipeline.js";

const HEADER = "portal_account_id,account_id,email,company,asset_object_id,status,failed_step,error,migrate,write_back,groups,space,space_key,retryable,next,notes";

let sim;
let tmp;
let before0; // state before the job
let after0; // state after it
let guest; // {object, accountId}
let run; // CLI result
let csvText;
let json;

before(async () => {
  sim = await startSim();
  tmp = tempDir();
  before0 = await simState(sim);
  const object = portalObjects(before0, "GLOBEX")[2];
  const { accountId } = await ctl(sim, "POST", "users", { email: object.attributes.Email });
  await ctl(sim, "POST", "users/guest", { accountId, space: "INI" });
  guest = { object, accountId };
  const config = writeConfig(tmp, pipelineConfig(sim, { confluence: { permissions: ["create/page"] } }));
  run = await runCli(sim, ["run", "--config", config, "--company", "GLOBEX", "--company", "ACME",
    "--report", tmp.file("report.json"), "--report-csv", tmp.file("report.csv"), "--journal", tmp.file("journal.jsonl"), "--progress", "none"]);
  csvText = readFileSync(tmp.file("report.csv"), "utf8");
  json = JSON.parse(readFileSync(tmp.file("report.json"), "utf8"));
  after0 = await simState(sim);
});
after(async () => { tmp.cleanup(); await sim.close(); });

/** Every expected CSV row, from the simulator's state, sorted as the core sorts (company, email, portal id). */
function expectedRows() {
  const rows = [];
  for (const company of ["ACME", "GLOBEX"]) {
    for (const o of customerObjects(before0, company)) {
      const qm = o.attributes["Portal Account"];
      const email = o.attributes.Email;
      if (qm === null) {
        rows.push(["", "", email, company, o.id, "skipped", "", `object ${o.objectKey} has no value in "Portal Account"`]);
        continue;
      }
      const [m] = migrationsOf(after0, qm);
      if (o === guest.object || o.id === guest.object.id) {
        rows.push([qm, guest.accountId, email, company, o.id, "failed", "space", "<guest error>"]);
      } else {
        rows.push([qm, m.accountId, email, company, o.id, "migrated", "", ""]);
      }
    }
  }
  const key = (r) => [r[3], r[2], r[0]];
  return rows.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  });
}

test("the job ran: exit 1 (one customer failed), summary line, every other customer fully set up", () => {
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /\nsummary: migrated=33 already_migrated=0 failed=1 skipped=1\n$/);
  for (const company of ["ACME", "GLOBEX"]) {
    for (const o of portalObjects(before0, company)) {
      if (o.id === guest.object.id) continue;
      assertPipelineDone(after0, o, { space: company === "ACME" ? "ACME" : "GLX", permissions: ["read/space", "create/page"] });
    }
  }
});

test("--report-csv: the documented header and one row per customer with the values the state shows", () => {
  const lines = csvText.split("\n");
  assert.equal(lines[0], HEADER);
  assert.equal(lines.at(-1), "", "ends with a newline");
  const rows = parseCsv(csvText);
  assert.deepEqual(rows[0], HEADER.split(","));
  const body = rows.slice(1);
  assert.ok(body.every((r) => r.length === 16), "16 fields on every row");
  assert.equal(body.length, 30 + 5, "one row per Assets customer of ACME and GLOBEX");
  const expected = expectedRows();
  // The guest's error is checked on its own; every other field of every row must match exactly.
  const guestRow = body.find((r) => r[2] === guest.object.attributes.Email);
  assert.match(guestRow[7], /^This customer is a Confluence guest .*\(Atlassian: confluence\.grant \(confluence\): HTTP 400: .*guest already has a space assigned: INI/);
  assert.deepEqual(body.map((r) => (r === guestRow ? [...r.slice(0, 7), "<guest error>"] : r.slice(0, 8))), expected);
  // Then each step's outcome, the space, retryable and what to do next, as the JSON report says.
  const step = (c) => [c.steps.migrate, c.steps.writeBack, c.steps.groups, c.steps.space, c.space ?? "", c.retryable === null ? "" : c.retryable ? "yes" : "no"];
  assert.deepEqual(body.map((r) => r.slice(8, 14)), json.customers.map(step));
  assert.equal(guestRow[13], "no");
  assert.equal(guestRow[14], "fix the cause in the error, then re-run");
  // Emails are unique per row: nobody twice.
  assert.equal(new Set(body.map((r) => r[2])).size, body.length);
});

test("--report-csv: a field with quotes is quoted RFC 4180 style", () => {
  const skipped = customerObjects(before0, "ACME").find((o) => o.attributes["Portal Account"] === null);
  const raw = csvText.split("\n").find((l) => l.includes(skipped.attributes.Email));
  assert.equal(raw, `,,${skipped.attributes.Email},ACME,${skipped.id},skipped,,"object ${skipped.objectKey} has no value in ""Portal Account""",skipped,skipped,skipped,skipped,,,,`);
});

test("--report JSON: per-customer step outcomes, totals and the job's identity", () => {
  assert.equal(json.dryRun, false);
  assert.match(json.jobId, /^job-[0-9a-f]{16}$/);
  assert.equal(json.issue, null);
  assert.equal(json.comment, null);
  assert.deepEqual(json.totals, { customers: 35, migrated: 33, alreadyMigrated: 0, failed: 1, skipped: 1, planned: 0, unfinished: 0 });
  assert.equal(json.customers.length, 35);
  for (const c of json.customers) {
    assert.deepEqual(Object.keys(c.steps).sort(), ["check", "groups", "migrate", "space", "writeBack"]);
    if (c.status === "migrated") {
      assert.deepEqual(c.steps, ALL_DONE, c.email);
      assert.equal(c.source, `company:${c.company}`);
      assert.equal(c.failedStep, null);
      assert.equal(c.error, null);
      assert.equal(c.retryable, null);
    }
  }
  const skipped = json.customers.filter((c) => c.status === "skipped");
  assert.equal(skipped.length, 1);
  assert.deepEqual(skipped[0].steps, ALL_SKIPPED);
  const failed = json.customers.filter((c) => c.status === "failed");
  assert.equal(failed.length, 1);
  assert.deepEqual(
    { email: failed[0].email, steps: failed[0].steps, failedStep: failed[0].failedStep, retryable: failed[0].retryable, accountId: failed[0].accountId },
    { email: guest.object.attributes.Email, steps: { ...ALL_DONE, space: "failed" }, failedStep: "space", retryable: false, accountId: guest.accountId },
  );
  // The JSON and the CSV say the same.
  const csvRows = parseCsv(csvText).slice(1);
  assert.deepEqual(csvRows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]]),
    json.customers.map((c) => [c.portalAccountId ?? "", c.accountId ?? "", c.email ?? "", c.company ?? "", c.assetObjectId ?? "", c.status, c.failedStep ?? "", c.error ?? ""]));
});

test("--report JSON: stats.apiCalls per surface equals what the simulator counted", () => {
  assert.deepEqual(Object.keys(json.stats.apiCalls).sort(), ["admin", "assets", "confluence", "jira"]);
  assert.deepEqual(json.stats.apiCalls, after0.calls.bySurface);
  assert.equal(json.stats.retries, 0);
  assert.equal(json.stats.rateLimited, 0);
  assert.equal(json.stats.migrateCalls, 34);
  assert.equal(after0.calls.byRoute["PUT migrateCustomer"], 34);
  // read + create for each of 33 customers, one refused read for the guest.
  assert.equal(after0.calls.byRoute["POST addSpacePermission"], 33 * 2 + 1);
  assert.ok(json.stats.elapsedMs >= 0);
});

test("the table on stdout lists every customer with its status", () => {
  const lines = run.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^COMPANY\s+EMAIL\s+OLD ID -> NEW ID\s+STATUS\s+DETAIL$/);
  assert.equal(lines.length, 1 + 35 + 2 + 1);
  assert.deepEqual(lines.slice(-3, -1), ["ACME: 29 migrated, 1 skipped", "GLOBEX: 4 migrated, 1 failed (see report)"]);
  const guestLine = lines.find((l) => l.includes(guest.object.attributes.Email));
  assert.match(guestLine, new RegExp(`^GLOBEX\\s+${guest.object.attributes.Email.replace(/\./g, "\\.")}\\s+qm:\\S+ -> ${guest.accountId}\\s+failed\\s+space: `));
});

test("a dry run's CSV plans every customer and the state is unchanged", async () => {
  const sim2 = await startSim();
  const t2 = tempDir();
  try {
    const config = writeConfig(t2, pipelineConfig(sim2));
    const r = await runCli(sim2, ["run", "--config", config, "--company", "INITECH", "--dry-run", "--report-csv", t2.file("dry.csv"), "--journal", t2.file("j.jsonl"), "--quiet"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "summary: migrated=0 already_migrated=0 failed=0 skipped=0 planned=4\n");
    const state = await simState(sim2);
    const rows = parseCsv(readFileSync(t2.file("dry.csv"), "utf8"));
    assert.deepEqual(rows[0], HEADER.split(","));
    const expected = portalObjects(state, "INITECH")
      .map((o) => [o.attributes["Portal Account"], "", o.attributes.Email, "INITECH", o.id, "planned", "", ""])
      .sort((a, b) => (a[2] < b[2] ? -1 : 1));
    assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 8)), expected);
    assert.ok(rows.slice(1).every((r) => r[8] === "planned" && r[12] === "INI" && r[14] === "run without --dry-run"), JSON.stringify(rows[1]));
    assert.equal(state.migrations.length, 0);
    assert.deepEqual(state.calls.byRoute["PUT updateObject"] ?? 0, 0);
  } finally {
    t2.cleanup();
    await sim2.close();
  }
});
