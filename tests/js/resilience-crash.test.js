// Crash and resume: the CLI (`portal-migrate run`, file journal with fsync) is SIGKILLed at seeded,
// distinct points spread over a job — while starting, at the Nth request the simulator sees (on its
// arrival, or right after its answer was sent, or a few ms later), in flight on a migrate, between a
// migrate and its write-back, in the middle of the group adds, in the second and third company, on the
// summary comment — and then `portal-migrate resume --journal J` (or `run` again, when the kill came
// before the job was journaled) runs until it exits 0. Each point gets a fresh simulator (same seed)
// and a fresh journal. Afterwards: every customer migrated exactly once, no migrate ever sent for an
// already-migrated customer, every write-back equal to the new id, every membership and space grant
// present, the journal holding every new id, and exactly one summary comment on the issue.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  startHookedSimulator, spawnCli, ctl, readJournalFile, expectedCustomers, checkInvariants, seeded, table, FAST_RETRY,
} from "./helpers/resilience.js";

const SEED = 7;           // simulator seed (ids) — the same for every kill point
const KILL_SEED = 20260;  // chooses the kill points
const RANDOM_POINTS = 12;
const PARALLEL = 2;       // kill points run two at a time (2 cores)
const MAX_RECOVERIES = 3; // resume/run commands allowed after a kill
const ISSUE = "SUP-1";
const DEMO_CUSTOMERS = 38;

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pm-crash-"));

async function freshSimulator() {
  // 5 ms on every request, plus 15 ms on about half of them: 5–20 ms, seeded.
  const sim = await startHookedSimulator({ seed: SEED, settings: { latencyMs: 5 } });
  await ctl(sim, "POST", "faults", { seed: SEED, rules: [{ kind: "latency", probability: 0.5, latencyMs: 15 }] });
  return sim;
}

function setup(sim, name) {
  const dir = fs.mkdtempSync(path.join(tmpRoot, `${name}-`));
  const config = { ...sim.config(), retry: { ...FAST_RETRY }, migrate: { mode: "single", pollTimeoutMs: 5000 }, comment: { enabled: true } };
  const configFile = path.join(dir, "config.json");
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const journal = path.join(dir, "journal.jsonl");
  const stateDir = path.join(dir, "state");
  const companies = config.companies.flatMap((c) => ["--company", c]);
  const runArgs = ["run", "--config", configFile, ...companies, "--issue", ISSUE, "--journal", journal, "--progress", "none", "--quiet"];
  const resumeArgs = ["resume", "--journal", journal, "--progress", "none", "--quiet"];
  return { dir, journal, stateDir, runArgs, resumeArgs };
}

/** Everything that must hold once the job is done; returns the problems (empty when all hold). */
function verify(sim, expected, journalFile) {
  const state = sim.state();
  const inv = checkInvariants(state, expected);
  const problems = [...inv.problems];
  const migrateRequests = state.calls.byRoute["PUT migrateCustomer"] ?? 0;
  if (state.migrations.length !== expected.length) problems.push(`${state.migrations.length} migrations for ${expected.length} customers`);
  if (migrateRequests !== state.migrations.length) problems.push(`${migrateRequests} migrate requests for ${state.migrations.length} migrations (a migrate was sent for a migrated customer)`);
  const comments = (state.comments[ISSUE] ?? []).filter((c) => JSON.stringify(c.body).includes("[portal-migrate "));
  if (comments.length !== 1) problems.push(`${comments.length} summary comments on ${ISSUE}`);
  // Nothing lost: the journal holds every customer's new id (stage "migrated" or "complete": a
  // customer whose write-back landed before the kill is found by its new id on resume, so its qm
  // record may stay "migrated" — the id is still recorded).
  const journal = readJournalFile(journalFile);
  const byQm = new Map(state.migrations.map((m) => [m.qmId, m.accountId]));
  let journaled = 0;
  for (const c of expected) {
    const rec = journal.get(`customer/${c.qm}`);
    if (!rec || rec.accountId !== byQm.get(c.qm) || !["migrated", "complete"].includes(rec.stage)) {
      problems.push(`journal customer/${c.qm}: ${rec ? `stage ${rec.stage}, accountId ${rec.accountId}` : "missing"} (new id ${byQm.get(c.qm)})`);
    } else journaled++;
  }
  const jobs = [...journal].filter(([k]) => k.startsWith("job/")).map(([, v]) => v);
  if (!jobs.length || jobs.some((j) => j.finished !== true)) problems.push(`journal jobs not all finished: ${JSON.stringify(jobs.map((j) => [j.jobId, j.finished]))}`);
  return { problems, inv, migrateRequests, comments: comments.length, journaled };
}

/** How a point triggers: at request n / the k-th request of a route / t ms after the spawn. */
function describePoint(p) {
  const when = p.afterMs !== undefined ? `t+${p.afterMs}ms` : p.route ? `${p.route}#${p.occurrence}` : `request #${p.n}`;
  return `${when} ${p.mode ?? ""}`.trim();
}

/** Runs one kill point end to end and returns its row. */
async function killPoint(point, index, qmCompany) {
  const sim = await freshSimulator();
  const started = Date.now();
  try {
    const expected = expectedCustomers(sim.state());
    const files = setup(sim, `k${String(index).padStart(2, "0")}`);
    const row = { point: describePoint(point), hit: "-", killed: false, runs: [], migratedAtKill: 0, result: "" };
    let proc;
    let fired = false;
    const kill = () => {
      if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
    };
    const seen = new Map();
    sim.hooks.onRequest = ({ n, label, req, res }) => {
      seen.set(label, (seen.get(label) ?? 0) + 1);
      if (fired) return;
      const hit = point.n !== undefined ? n === point.n : point.route !== undefined && label === point.route && seen.get(label) === point.occurrence;
      if (!hit) return;
      fired = true;
      const qm = /migrate-to-atlassian-account-user\/([^/?]+)/.exec(req.url)?.[1];
      row.hit = `#${n} ${label}${qm ? ` (${qmCompany.get(decodeURIComponent(qm)) ?? "?"})` : ""}`;
      if (point.mode === "arrive") kill();
      else res.once("close", () => (point.delayMs ? setTimeout(kill, point.delayMs) : kill()));
    };
    proc = spawnCli(files.runArgs, { credentials: sim.credentials, stateDir: files.stateDir });
    if (point.afterMs !== undefined) {
      setTimeout(() => {
        fired = true;
        row.hit = `before request #${sim.hooks.n + 1}`;
        kill();
      }, point.afterMs);
    }
    const first = await proc.done;
    sim.hooks.onRequest = null;
    row.killed = first.signal === "SIGKILL" && !first.timedOut;
    row.migratedAtKill = sim.state().migrations.length;
    row.runs.push(first.signal ?? first.code);

    let report = null;
    const readReport = (file) => { if (fs.existsSync(file)) report = JSON.parse(fs.readFileSync(file, "utf8")); };
    for (let i = 0; i < MAX_RECOVERIES; i++) {
      const reportFile = path.join(files.dir, `report-${i}.json`);
      const r = await spawnCli([...files.resumeArgs, "--report", reportFile], { credentials: sim.credentials, stateDir: files.stateDir }).done;
      readReport(reportFile);
      row.runs.push(`resume:${r.signal ?? r.code}`);
      if (r.code === 0 && /nothing to resume/.test(r.stdout)) {
        if (verify(sim, expected, files.journal).problems.length === 0) break;
        // Only legitimate when the kill came before the job was journaled: then nothing was done.
        const journal = readJournalFile(files.journal);
        const jobs = [...journal.keys()].filter((k) => k.startsWith("job/"));
        assert.deepEqual(jobs, [], `${row.point}: "nothing to resume" but the journal holds ${jobs.join(", ")} and the job is not done`);
        assert.equal(sim.state().migrations.length, 0, `${row.point}: "nothing to resume" after migrations happened`);
        const again = await spawnCli([...files.runArgs, "--report", reportFile], { credentials: sim.credentials, stateDir: files.stateDir }).done;
        readReport(reportFile);
        row.runs.push(`run:${again.signal ?? again.code}`);
        if (again.code === 0) break;
        continue;
      }
      if (r.code === 0) break;
      row.lastError = (r.stderr || r.stdout).trim().split("\n").slice(-2).join(" / ");
    }
    const v = verify(sim, expected, files.journal);
    row.result = v.problems.length ? `FAIL: ${v.problems.slice(0, 3).join("; ")}` : "ok";
    row.problems = v.problems;
    row.duplicates = v.inv.duplicates;
    row.lost = v.inv.lostWriteBacks;
    row.migrateRequests = v.migrateRequests;
    row.comments = v.comments;
    row.lastExit = row.runs.at(-1);
    // The report of the job that finished the work (none when it had finished before the kill).
    if (report) {
      const rows = report.customers.filter((c) => c.status !== "skipped");
      row.report = {
        failed: report.totals.failed, done: report.totals.migrated + report.totals.alreadyMigrated,
        migrated: report.totals.migrated, already: report.totals.alreadyMigrated,
        noOldId: rows.filter((c) => !c.portalAccountId).map((c) => c.email),
      };
    }
    row.ms = Date.now() - started;
    return row;
  } finally {
    await sim.close();
  }
}

test("crash and resume: SIGKILL at ≥ 20 seeded points, resume converges to exactly-once with nothing lost", { timeout: 58_000 }, async (t) => {
  const started = Date.now();
  // Calibration: one uninterrupted run gives the request sequence the kill points are chosen from.
  const sim = await freshSimulator();
  const expected = expectedCustomers(sim.state());
  assert.equal(expected.length, DEMO_CUSTOMERS);
  const qmCompany = new Map(expected.map((c) => [c.qm, c.company]));
  let labels;
  try {
    const files = setup(sim, "calibration");
    const r = await spawnCli(files.runArgs, { credentials: sim.credentials, stateDir: files.stateDir }).done;
    assert.equal(r.code, 0, `calibration run failed: ${r.stderr}${r.stdout}`);
    assert.match(r.stdout, /summary: migrated=38 already_migrated=0 failed=0 skipped=1/);
    assert.deepEqual(verify(sim, expected, files.journal).problems, []);
    labels = [...sim.hooks.labels];
  } finally {
    await sim.close();
  }
  const total = labels.length;
  const count = (label) => labels.filter((l) => l === label).length;
  assert.equal(count("PUT migrateCustomer"), DEMO_CUSTOMERS);
  assert.equal(count("POST addComment"), 1);

  // Kill points: forced ones for the moments that matter, then seeded random ones spread over the job.
  const rnd = seeded(KILL_SEED);
  const points = [
    { afterMs: 40 + Math.floor(rnd() * 40) },                         // while node starts: before anything
    { route: "GET tenantInfo", occurrence: 1, mode: "arrive" },        // job journaled, nothing done
    { route: "POST aql", occurrence: 2, mode: "answered" },            // collecting customers
    { route: "GET bulkUsers", occurrence: 1, mode: "arrive" },         // checks, before the first migrate
    { route: "PUT migrateCustomer", occurrence: 1, mode: "arrive" },   // migrate in flight: done, answer lost
    { route: "PUT migrateCustomer", occurrence: 2, mode: "answered" }, // between migrate and write-back
    { route: "PUT updateObject", occurrence: 5, mode: "arrive" },      // write-back in flight
    { route: "POST addGroupMember", occurrence: 12, mode: "answered" },// mid group adds
    { route: "POST addSpacePermission", occurrence: 20, mode: "arrive" },
    { route: "PUT migrateCustomer", occurrence: 31, mode: "arrive" },  // second company (GLOBEX)
    { route: "PUT migrateCustomer", occurrence: 36, mode: "answered", delayMs: 3 }, // third company (INITECH)
    { route: "POST addComment", occurrence: 1, mode: "arrive" },       // summary comment in flight
    { route: "POST addComment", occurrence: 1, mode: "answered" },     // comment posted, not yet journaled
  ];
  const used = new Set();
  for (let i = 0; i < RANDOM_POINTS; i++) {
    // One point per stratum of the request sequence (leaving out the last few requests).
    const lo = 2 + Math.floor((i * (total - 6)) / RANDOM_POINTS);
    const hi = 2 + Math.floor(((i + 1) * (total - 6)) / RANDOM_POINTS);
    let n = lo + Math.floor(rnd() * (hi - lo));
    while (used.has(n)) n++;
    used.add(n);
    const m = rnd();
    points.push(m < 0.4 ? { n, mode: "arrive" } : m < 0.7 ? { n, mode: "answered" } : { n, mode: "answered", delayMs: 1 + Math.floor(rnd() * 8) });
  }
  const keys = points.map(describePoint).map((d, i) => `${d} ${points[i].delayMs ?? ""}`);
  assert.equal(new Set(keys).size, points.length, "kill points must be distinct");
  assert.ok(points.length >= 20);

  const rows = new Array(points.length);
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < points.length) {
      const i = next++;
      rows[i] = await killPoint(points[i], i, qmCompany);
    }
  }));

  const killed = rows.filter((r) => r.killed).length;
  console.log(`\ncrash/resume (demo tenant, ${DEMO_CUSTOMERS} customers + comment on ${ISSUE}; ${total} requests per job; kill seed ${KILL_SEED}; latency 5–20 ms)`);
  console.log(table(
    ["#", "kill point", "hit", "killed", "migrated at kill", "commands", "migrates", "comments", "dup", "lost", "report m/a/no-old-id", "ms", "result"],
    rows.map((r, i) => [i + 1, `${r.point}${points[i].delayMs ? `+${points[i].delayMs}ms` : ""}`, r.hit, r.killed ? "yes" : "no", r.migratedAtKill,
      r.runs.join(" "), r.migrateRequests, r.comments, r.duplicates, r.lost,
      r.report ? `${r.report.migrated}/${r.report.already}/${r.report.noOldId.length}` : "-", r.ms, r.result]),
  ));
  console.log(`kill points=${points.length} killed=${killed} duplicates=${rows.reduce((a, r) => a + r.duplicates, 0)} lost=${rows.reduce((a, r) => a + r.lost, 0)} total ms=${Date.now() - started}`);

  // At least 20 real kills, spread over the job (some before the first migrate, some after the last).
  assert.ok(killed >= 20, `only ${killed} of ${points.length} points killed the process`);
  assert.ok(rows.some((r) => r.killed && r.migratedAtKill === 0), "a kill before any migrate");
  assert.ok(rows.some((r) => r.killed && r.migratedAtKill > 0 && r.migratedAtKill < DEMO_CUSTOMERS), "a kill mid-job");
  assert.ok(rows.some((r) => r.killed && r.migratedAtKill === DEMO_CUSTOMERS), "a kill after the last migrate");
  for (const [i, r] of rows.entries()) {
    await t.test(`kill point ${i + 1}: ${r.point}${points[i].delayMs ? ` +${points[i].delayMs}ms` : ""} → ${r.hit}`, () => {
      assert.ok(["resume:0", "run:0"].includes(r.lastExit), `recovery did not exit 0: ${r.runs.join(" ")} ${r.lastError ?? ""}`);
      assert.deepEqual(r.problems, []);
      assert.equal(r.duplicates, 0);
      assert.equal(r.lost, 0);
      assert.equal(r.migrateRequests, DEMO_CUSTOMERS, "one migrate request per customer, across the crash");
      assert.equal(r.comments, 1, "exactly one summary comment");
      if (r.report) {
        assert.equal(r.report.failed, 0);
        assert.equal(r.report.done, DEMO_CUSTOMERS, "the finishing job reports every customer migrated or already migrated");
      }
    });
  }
  // A customer written back before the kill has the NEW account id in Assets; the resumed job must
  // still find its journal record (account index) and report it as this job's migration, with its
  // old portal id (design.md: the report holds per customer the old id and the new id).
  await t.test("the resumed job's report names every customer's old portal id and counts this job's migrations as migrated", () => {
    const wrong = rows.filter((r) => r.report && (r.report.noOldId.length || r.report.migrated !== DEMO_CUSTOMERS))
      .map((r) => `${r.point}: migrated=${r.report.migrated} already=${r.report.already}, ${r.report.noOldId.length} rows without portalAccountId`);
    assert.deepEqual(wrong, []);
  });
});

process.on("exit", () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
