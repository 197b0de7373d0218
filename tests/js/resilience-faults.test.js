// Fault matrix: every surface (jira, assets, admin, confluence) × every fault kind the simulator
// injects (429 with Retry-After, 429 without it, 500, 503, latency, connection reset, commit-then-drop),
// each a seeded probability with a count cap on that one surface. For each cell one job over every demo
// company must complete with no failed customer, and the simulator's state must show: no qm id migrated
// twice, no migrate resent for an already-migrated customer, every Assets "Portal Account" equal to the
// new account id, every new account in the target group, every space grant present. A cell that does
// not converge in one job must converge in a second one (faults cleared: check-before-act finishes it),
// and its failures must name the step and the surface.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { migrate } from "../../js/core/node.js";
import {
  startSimulator, fastConfig, makeHost, runJob, setFaults, clearFaults, simState, expectedCustomers,
  checkInvariants, failures, unclearFailures, table, sum,
} from "./helpers/resilience.js";

const SURFACES = ["jira", "assets", "admin", "confluence"];
const KINDS = ["429", "429-bare", "500", "503", "latency", "reset", "commit-drop"];
const PROBABILITY = 0.3;
const DEMO_CUSTOMERS = 38; // demo tenant: 39 Assets customers, one without a portal account

/** One rule per cell. 429 with Retry-After stalls the surface ≥ 1 s per hit, so it gets fewer. */
function rule(surface, kind) {
  const r = { surface, kind, probability: PROBABILITY, count: kind === "429" ? 8 : 20, retryAfter: 1 };
  if (kind === "latency") r.latencyMs = 40;
  return r;
}

const rows = [];

/**
 * Runs one cell: `rules` on a fresh demo simulator, one job over every company, then (when it did not
 * converge) a second job with the faults cleared. `exhaust` cells (a burst longer than the retry budget
 * on one write) must fail clearly in the first job: `exhaust.step` names the failed step, on its surface.
 */
async function runCell({ name, surface, kind, rules, seed, exhaust = null }) {
  const started = Date.now();
  const sim = await startSimulator({ port: 0, seed: 1, quiet: true });
  try {
    const before = await simState(sim);
    const expected = expectedCustomers(before);
    assert.equal(expected.length, DEMO_CUSTOMERS, "demo tenant changed: expected 38 linked customers");
    const config = fastConfig(sim);
    const companies = [...before.companies];
    await setFaults(sim, rules, seed);

    const host = makeHost(sim);
    const first = await runJob(migrate, { companies }, config, host);
    const afterFirst = await simState(sim);
    const injected = sum(afterFirst.faultsInjected);
    const inv1 = checkInvariants(afterFirst, expected);
    const report = first.result?.report;
    const row = {
      cell: name, jobs: 1, injected, retries: report?.stats.retries ?? "-", rateLimited: report?.stats.rateLimited ?? "-",
      migrateCalls: report?.stats.migrateCalls ?? "-", failed: report?.totals.failed ?? "threw",
      resends: host.counters.resends, duplicates: inv1.duplicates, lost: inv1.lostWriteBacks, ms: 0, note: "",
    };
    rows.push(row);
    assert.ifError(first.error);

    // The fault actually fired on that surface, and only there.
    assert.ok(injected > 0, `${name}: no fault was injected`);
    assert.deepEqual(Object.keys(afterFirst.faultsInjected), [kind]);
    assert.equal(first.result.continuation, null, "the job must finish (no continuation)");
    assert.equal(report.totals.unfinished, 0);

    // Nothing twice, even before any second job: no qm id migrated twice, no migrate sent for a
    // customer that was already migrated, and every migrate the simulator saw was one the core counted.
    assert.equal(inv1.duplicates, 0, inv1.problems.join("\n"));
    assert.equal(host.counters.resends, 0, `migrate resent for already-migrated ${host.counters.resendIds.join(", ")}`);
    assert.equal(afterFirst.calls.byRoute["PUT migrateCustomer"] ?? 0, host.counters.migrateRequests);

    if (surface === "admin") {
      // Migrate is never resent blindly. A 429 is retried by the client (rejected before processing);
      // a 500/503/reset is resent only after a check found the customer still portal-only; a
      // committed-then-dropped answer is reconciled by a check and never resent. So every request
      // beyond one per migrated customer is one a fault stopped before it was processed.
      const stopped = ["429", "429-bare", "500", "503", "reset"].includes(kind) ? injected : 0;
      assert.equal(host.counters.migrateRequests, report.totals.migrated + stopped, "migrate requests = migrated + faults that stopped a migrate");
      const resentByCore = ["500", "503", "reset"].includes(kind) ? injected : 0;
      assert.equal(report.stats.migrateCalls, report.totals.migrated + resentByCore, "stats.migrateCalls");
      if (kind === "429" || kind === "429-bare") assert.ok(report.stats.retries > 0, `${name}: ${injected} faults but no retries counted`);
    } else {
      assert.equal(host.counters.migrateRequests, DEMO_CUSTOMERS, "one migrate request per customer");
      assert.equal(report.stats.migrateCalls, DEMO_CUSTOMERS);
      if (kind !== "latency") assert.ok(report.stats.retries > 0, `${name}: ${injected} faults but no retries counted`);
    }
    if (kind === "429" || kind === "429-bare") assert.ok(report.stats.rateLimited > 0, `${name}: no 429 counted`);

    const convergedInOne = report.totals.failed === 0 && inv1.problems.length === 0;
    if (exhaust) {
      // A burst longer than the retry budget: the customers it hit fail clearly, the rest finish.
      assert.ok(report.totals.failed >= 1, `${name}: expected a failed customer`);
      const failed = report.customers.filter((c) => c.status === "failed");
      for (const c of failed) {
        assert.equal(c.failedStep, exhaust.step, `${c.email}: ${c.failedStep}: ${c.error}`);
        assert.match(c.error, new RegExp(`\\(${surface}\\): HTTP 500`), `${c.email}: error must name the surface and status`);
        assert.equal(c.retryable, true, `${c.email}: a 5xx is fixable by a re-run`);
      }
      assert.deepEqual(unclearFailures(report), []);
      assert.ok(inv1.problems.length > 0, "the first job cannot have converged");
      row.note = `${failed.length} failed at ${exhaust.step}`;
    } else {
      assert.deepEqual(failures(report), [], `${name}: one job must absorb p=${PROBABILITY} faults`);
      assert.deepEqual(inv1.problems, []);
      assert.equal(report.totals.migrated, DEMO_CUSTOMERS);
      assert.equal(report.totals.skipped, 1);
    }
    if (!convergedInOne) {
      // Check-before-act: a second job over the same journal finishes what the first left undone.
      await clearFaults(sim);
      const host2 = makeHost(sim, { journal: host.journal });
      const second = await runJob(migrate, { companies }, config, host2);
      row.jobs = 2;
      assert.ifError(second.error);
      const inv2 = checkInvariants(await simState(sim), expected);
      row.duplicates = inv2.duplicates;
      row.lost = inv2.lostWriteBacks;
      assert.deepEqual(failures(second.result.report), []);
      assert.deepEqual(inv2.problems, [], "a second job must converge");
      assert.equal(host2.counters.resends, 0);
      const t = second.result.report.totals;
      assert.equal(t.migrated + t.alreadyMigrated, DEMO_CUSTOMERS);
    }
    row.ms = Date.now() - started;
  } finally {
    await sim.close();
  }
}

/** Bursts longer than the retry budget (8 attempts) on one write per surface. */
const EXHAUST = [
  { surface: "admin", step: "migrate", rule: { method: "PUT", path: "migrate-to-atlassian-account-user" } },
  { surface: "assets", step: "writeBack", rule: { method: "PUT", path: "/object/\\d+$" } },
  { surface: "jira", step: "groups", rule: { method: "POST", path: "/group/user$" } },
  { surface: "confluence", step: "space", rule: { method: "POST", path: "/permission$" } },
];

describe("fault matrix: every surface × every fault kind converges without losing or repeating a customer", { concurrency: 4 }, () => {
  let seed = 1000;
  for (const surface of SURFACES) {
    for (const kind of KINDS) {
      const cellSeed = ++seed;
      test(`${surface} × ${kind} (p=${PROBABILITY}, seed ${cellSeed})`, { timeout: 45_000 },
        () => runCell({ name: `${surface}/${kind}`, surface, kind, rules: [rule(surface, kind)], seed: cellSeed }));
    }
  }
  for (const { surface, step, rule: r } of EXHAUST) {
    test(`${surface} × 500 burst beyond the retry budget fails ${step} clearly, and a second job converges`, { timeout: 45_000 },
      () => runCell({
        name: `${surface}/500-burst`, surface, kind: "500", exhaust: { step }, seed: 2000,
        rules: [{ surface, kind: "500", probability: 1, count: 40, ...r }],
      }));
  }
});

test("the invariant check itself catches a duplicate, a lost write-back, a missing membership and a missing grant", async () => {
  const sim = await startSimulator({ port: 0, seed: 1, quiet: true });
  try {
    const before = await simState(sim);
    const expected = expectedCustomers(before);
    assert.equal(checkInvariants(before, expected).notMigrated, DEMO_CUSTOMERS);
    const { result, error } = await runJob(migrate, {}, fastConfig(sim), makeHost(sim));
    assert.ifError(error);
    const state = await simState(sim);
    assert.deepEqual(checkInvariants(state, expected).problems, []);
    const [a, b, c, d] = expected;
    const account = (x) => state.migrations.find((m) => m.qmId === x.qm).accountId;
    const broken = structuredClone(state);
    broken.migrations.push({ ...broken.migrations.find((m) => m.qmId === a.qm) });
    broken.assets.objects.find((o) => o.id === b.objectId).attributes["Portal Account"] = b.qm;
    const group = broken.groups.find((g) => g.name === "portal-migrated");
    group.members = group.members.filter((m) => m !== account(c));
    for (const sp of broken.spaces) sp.permissions = sp.permissions.filter((p) => p.subject.identifier !== account(d));
    const inv = checkInvariants(broken, expected);
    assert.deepEqual(
      { duplicates: inv.duplicates, lostWriteBacks: inv.lostWriteBacks, missingMemberships: inv.missingMemberships, missingGrants: inv.missingGrants },
      { duplicates: 1, lostWriteBacks: 1, missingMemberships: 1, missingGrants: 1 },
    );
    assert.equal(inv.problems.length, 4);
    assert.equal(result.report.totals.migrated, DEMO_CUSTOMERS);
  } finally {
    await sim.close();
  }
});

/**
 * Sends one company through migrate with `rules` on the migrate call, and returns, per qm id, the
 * times (ms) of its migrate requests and the answers. Concurrency 1 so the gaps are the core's own.
 */
async function migrateTimeline(rules, configExtra = {}) {
  const sim = await startSimulator({ port: 0, seed: 1, quiet: true });
  try {
    await setFaults(sim, rules, 7);
    const host = makeHost(sim);
    const inner = host.fetch;
    const timeline = new Map();
    host.fetch = async (req) => {
      const m = /migrate-to-atlassian-account-user\/([^/?]+)/.exec(new URL(req.url).pathname);
      const at = Date.now();
      try {
        const res = await inner(req);
        if (m) (timeline.get(m[1]) ?? timeline.set(m[1], []).get(m[1])).push({ at, status: res.status, retryAfter: res.headers["retry-after"] ?? null });
        return res;
      } catch (e) {
        if (m) (timeline.get(m[1]) ?? timeline.set(m[1], []).get(m[1])).push({ at, status: e.code });
        throw e;
      }
    };
    const config = { ...fastConfig(sim), concurrency: 1 };
    config.retry = { ...config.retry, ...configExtra };
    const { result, error } = await runJob(migrate, { companies: ["INITECH"] }, config, host);
    assert.ifError(error);
    assert.deepEqual(failures(result.report), []);
    const first = [...timeline.values()].find((list) => list.length > 1);
    assert.ok(first, "the fault must hit a migrate");
    return first;
  } finally {
    await sim.close();
  }
}

const gaps = (list) => list.slice(1).map((x, i) => x.at - list[i].at);

// After a 5xx on migrate the core checks the account (users.get) before resending; the resend must
// still honour Retry-After and back off (design.md), not hammer the one irreversible call.
test("migrate answered 503 with Retry-After: 1 is not resent before a second has passed", async () => {
  const list = await migrateTimeline([{ surface: "admin", method: "PUT", kind: "503", count: 2, retryAfter: 1 }]);
  assert.deepEqual(list.map((x) => x.status), [503, 503, 200]);
  for (const gap of gaps(list)) assert.ok(gap >= 1000, `migrate resent ${gap} ms after a 503 with Retry-After: 1 (gaps ${gaps(list).join(", ")} ms)`);
});

test("migrate answered 500 is resent only after a backoff (baseDelayMs 1000 → at least 700 ms)", async () => {
  const list = await migrateTimeline([{ surface: "admin", method: "PUT", kind: "500", count: 2 }], { baseDelayMs: 1000 });
  assert.deepEqual(list.map((x) => x.status), [500, 500, 200]);
  for (const gap of gaps(list)) assert.ok(gap >= 700, `migrate resent ${gap} ms after a 500 (gaps ${gaps(list).join(", ")} ms)`);
});

test("migrate answered 429 with Retry-After: 1 waits the second (the client's retry path)", async () => {
  const list = await migrateTimeline([{ surface: "admin", method: "PUT", kind: "429", count: 1, retryAfter: 1 }]);
  assert.deepEqual(list.map((x) => x.status), [429, 200]);
  assert.ok(gaps(list)[0] >= 1000, `resent after ${gaps(list)[0]} ms`);
});

after(() => {
  const order = (r) => SURFACES.indexOf(r.cell.split("/")[0]) * 10 + (KINDS.indexOf(r.cell.split("/")[1]) + 10) % 10;
  rows.sort((a, b) => order(a) - order(b));
  console.log(`\nfault matrix (demo tenant, ${DEMO_CUSTOMERS} customers, p=${PROBABILITY} per request on one surface)`);
  console.log(table(
    ["cell", "jobs", "faults", "retries", "429s", "migrates", "failed", "resends", "dup", "lost", "ms", "note"],
    rows.map((r) => [r.cell, r.jobs, r.injected, r.retries, r.rateLimited, r.migrateCalls, r.failed, r.resends, r.duplicates, r.lost, r.ms, r.note]),
  ));
  const totals = rows.reduce((a, r) => ({ injected: a.injected + r.injected, retries: a.retries + (Number(r.retries) || 0), rl: a.rl + (Number(r.rateLimited) || 0) }), { injected: 0, retries: 0, rl: 0 });
  console.log(`cells=${rows.length} faults=${totals.injected} retries=${totals.retries} 429s=${totals.rl} duplicates=${rows.reduce((a, r) => a + r.duplicates, 0)} lost=${rows.reduce((a, r) => a + r.lost, 0)}`);
});
