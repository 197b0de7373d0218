// The admin's token and the customer directory against hostile or careless answers, through the real
// CLI: an echoing service never gets the token into any output or file, 2xx answers carrying errors
// are errors, hostile ids from a migrate answer are never written anywhere, and a day-long
// Retry-After ends the run on time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { startSim, pipelineConfig, runCli, tempDir, writeConfig, simState, ctl, portalObjects } from "./helpers/pipeline.js";

let sim;
before(async () => { sim = await startSim(); });
after(() => sim.close());

const fresh = (settings = {}) => ctl(sim, "POST", "reset", settings);
const faults = (rules) => ctl(sim, "POST", "faults", { rules });

/** Every file under `dir`, read as text. */
function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push([p, readFileSync(p, "latin1")]);
  }
  return out;
}

async function cli(args, tmp, config, env = {}) {
  const file = writeConfig(tmp, config);
  return runCli(sim, ["run", "--config", file, "--journal", tmp.file("journal.jsonl"), "--progress", "none", ...args], { stateDir: tmp.dir, env });
}

test("a service that echoes the credentials in its errors never gets the token into any output or file", async () => {
  await fresh({ echoCredentials: true });
  // Errors on every surface a job touches: a group that does not exist, a bad write-back, a grant.
  await faults([
    { kind: "respond", surface: "assets", method: "PUT", status: 400, count: 2, body: { errorMessages: ["rejected"], errors: {} } },
    { kind: "500", surface: "confluence", method: "POST", count: 3 },
  ]);
  const tmp = tempDir();
  try {
    const config = pipelineConfig(sim, { groups: ["0c1b8e5e-0000-4000-8000-0000000000ff"] });
    const r = await cli(["--company", "GLOBEX", "--issue", "SUP-2", "--report", tmp.file("r.json"), "--report-csv", tmp.file("r.csv"), "--json"], tmp, config);
    assert.equal(r.code, 1, r.stderr);
    const token = sim.credentials.apiToken;
    const basic = Buffer.from(`${sim.credentials.email}:${token}`).toString("base64");
    // The service did echo them (the test would prove nothing otherwise).
    const state = await simState(sim);
    assert.ok(Object.values(state.faultsInjected).reduce((a, b) => a + b, 0) > 0, "no error answer was injected");
    const haystacks = [["stdout", r.stdout], ["stderr", r.stderr], ...filesUnder(tmp.dir)];
    for (const [where, text] of haystacks) {
      assert.ok(!text.includes(token), `the token is in ${where}`);
      assert.ok(!text.includes(basic), `the Basic credential is in ${where}`);
    }
    const report = JSON.parse(readFileSync(tmp.file("r.json"), "utf8"));
    assert.ok(report.customers.some((c) => /redacted/.test(c.error ?? "")), "the echoed credential was replaced, not the error dropped");
  } finally {
    tmp.cleanup();
  }
});

test("2xx answers that carry errors are errors: AQL, the Assets write-back and a group add", async () => {
  const config = pipelineConfig(sim);
  // AQL answering 200 with an error envelope: not "no customers".
  await fresh();
  await faults([{ kind: "respond", surface: "assets", method: "POST", path: "/object/aql$", status: 200, body: { errorMessages: ["AQL: something broke"], errors: {} } }]);
  let tmp = tempDir();
  try {
    const r = await cli(["--company", "ACME"], tmp, config);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /assets\.search \(assets\): HTTP 200: AQL: something broke/);
  } finally { tmp.cleanup(); }

  // The PUT answering 200 with an error body, and a group add answering 200 with garbage: failed
  // steps, not "done", and the journal keeps them open.
  await fresh();
  await faults([
    { kind: "respond", surface: "assets", method: "PUT", status: 200, body: { errorMessages: ["Object is locked"], errors: {} } },
    { kind: "respond", surface: "jira", method: "POST", path: "/group/user$", status: 200, body: "<html>ok</html>" },
  ]);
  tmp = tempDir();
  try {
    const r = await cli(["--company", "GLOBEX", "--report", tmp.file("r.json")], tmp, config);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(readFileSync(tmp.file("r.json"), "utf8"));
    for (const c of report.customers) {
      assert.equal(c.status, "failed", JSON.stringify(c));
      assert.equal(c.steps.writeBack, "failed");
      assert.equal(c.steps.groups, "failed");
    }
    const state = await simState(sim);
    const objects = portalObjects(await simState(sim), "GLOBEX");
    assert.equal(objects.length, 0, "no write-back landed: the objects still name portal accounts");
    assert.equal(state.migrations.length, 5);
  } finally { tmp.cleanup(); }
});

test("a hostile account id in a migrate answer is never written to Assets nor used in a group add", async () => {
  await fresh();
  const hostile = "../../rest/api/3/x?y#z";
  await faults([{ kind: "respond", surface: "admin", method: "PUT", commit: true, status: 200, body: { aaUser: { accountId: hostile } } }]);
  const tmp = tempDir();
  try {
    const r = await cli(["--company", "GLOBEX"], tmp, pipelineConfig(sim));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const state = await simState(sim);
    assert.equal(state.migrations.length, 5);
    for (const m of state.migrations) {
      const o = state.assets.objects.find((x) => x.attributes.Email === m.email);
      assert.equal(o.attributes["Portal Account"], m.accountId, "the real new id, found by email");
    }
    assert.ok(!JSON.stringify(state).includes(hostile.slice(0, 12)) || state.calls.byRoute["GET unmatched"] === undefined);
    assert.equal(Object.keys(state.calls.byRoute).filter((k) => k.includes("unmatched")).length, 0, "no request went to a hostile path");
  } finally { tmp.cleanup(); }
});

test("a day-long Retry-After ends the run on time under --max-duration (retryable, with when to re-run)", async () => {
  await fresh();
  await faults([{ kind: "respond", surface: "jira", method: "POST", path: "/group/user$", status: 429, headers: { "retry-after": "86400" }, count: 1 }]);
  const tmp = tempDir();
  const t0 = Date.now();
  try {
    const r = await cli(["--company", "GLOBEX", "--max-duration", "60", "--report", tmp.file("r.json")], tmp, pipelineConfig(sim));
    assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(readFileSync(tmp.file("r.json"), "utf8"));
    const failed = report.customers.filter((c) => c.status === "failed");
    assert.ok(failed.length >= 1);
    for (const c of failed) {
      assert.equal(c.retryable, true);
      assert.match(c.error, /HTTP 429: rate limited until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; re-run after that/);
    }
  } finally { tmp.cleanup(); }
});
