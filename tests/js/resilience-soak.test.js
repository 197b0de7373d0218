// Seeded soak: a generated tenant of 300 customers (10 companies × 30), about 10% of requests faulted
// (every kind, every surface, seeded), a token-bucket rate limit on every surface (Assets without
// Retry-After), concurrency 8. Afterwards every portal customer of those companies is migrated exactly
// once, its Assets attribute holds the new id, the account is in the target group and has its space
// grant. A job that leaves failures is re-run (faults and limits still on) and must converge within
// three jobs, never migrating anyone twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { migrate } from "../../js/core/node.js";
import {
  startSimulator, fastConfig, makeHost, memoryJournal, runJob, setFaults, setRateLimit, simState,
  expectedCustomers, checkInvariants, failures, unclearFailures, table, sum,
} from "./helpers/resilience.js";

const SEED = 4242;
const SCENARIO = { companies: 10, customersPerCompany: 30 };
const FAULT_RATE = 0.10; // chance that one request meets a terminal fault (latency comes on top)
const TERMINAL = ["429", "429-bare", "500", "503", "reset", "commit-drop"];
// Per-surface token buckets. Jira serves two requests per customer (check, group add), so it gets twice
// the budget; Assets answers its 429s without Retry-After (§9.2).
// Tight enough that the limiter bites on every run (at 40/s with a burst of 20 it bit 0-3 times,
// depending on the machine), loose enough that 300 customers finish well inside the timeout.
const RATE_LIMITS = {
  jira: { rps: 60, burst: 20 }, admin: { rps: 30, burst: 10 }, confluence: { rps: 25, burst: 10 },
  assets: { rps: 25, burst: 10, bare: true },
};
const CONCURRENCY = 8;
const MAX_JOBS = 3;

/**
 * Six terminal kinds on every surface, with probabilities so that P(any terminal fault) = FAULT_RATE;
 * plus latency on top. A 429 with Retry-After pauses its whole surface for ≥ 1 s, so it gets half the
 * weight of the others (keeps the file well under a minute); the rate limit adds real 429s too.
 */
const WEIGHTS = { "429": 0.5, "429-bare": 1, "500": 1, "503": 1, reset: 1, "commit-drop": 1 };
function faultRules() {
  const total = sum(WEIGHTS);
  // Rules roll in order; rule i fires with p_i when none before it did. Choose p_i so that the
  // unconditional share of kind i is FAULT_RATE × weight_i / total.
  let left = 1;
  const rules = [{ kind: "latency", probability: 0.05, latencyMs: 20 }];
  for (const kind of TERMINAL) {
    const share = (FAULT_RATE * WEIGHTS[kind]) / total;
    rules.push({ kind, probability: Number((share / left).toFixed(5)), retryAfter: 1 });
    left -= share;
  }
  return rules;
}

test(`soak: ${SCENARIO.companies * SCENARIO.customersPerCompany} customers, ${FAULT_RATE * 100}% faults, rate limits, concurrency ${CONCURRENCY} — exactly once, nothing lost`, { timeout: 58_000 }, async () => {
  const started = Date.now();
  const sim = await startSimulator({ port: 0, seed: SEED, scenario: SCENARIO, quiet: true });
  try {
    const before = await simState(sim);
    const expected = expectedCustomers(before);
    assert.equal(expected.length, SCENARIO.companies * SCENARIO.customersPerCompany);
    assert.equal(new Set(expected.map((c) => c.qm)).size, expected.length);
    assert.ok(expected.every((c) => c.space), "every generated company has a space");

    const config = { ...fastConfig(sim), concurrency: CONCURRENCY };
    await setFaults(sim, faultRules(), SEED);
    await setRateLimit(sim, RATE_LIMITS);

    const journal = memoryJournal();
    const jobs = [];
    let inv;
    for (let n = 1; n <= MAX_JOBS; n++) {
      const host = makeHost(sim, { journal });
      const t0 = Date.now();
      const { result, error } = await runJob(migrate, { companies: [...before.companies] }, config, host);
      const state = await simState(sim);
      inv = checkInvariants(state, expected);
      const r = result?.report;
      jobs.push({
        n, ms: Date.now() - t0, error: error ? `${error.code}: ${error.message}` : null,
        migrated: r?.totals.migrated, already: r?.totals.alreadyMigrated, failed: r?.totals.failed,
        retries: r?.stats.retries ?? 0, rateLimited: r?.stats.rateLimited ?? 0, requests: host.counters.requests,
        resends: host.counters.resends, resendIds: host.counters.resendIds, failures: r ? failures(r) : [],
        unclear: r ? unclearFailures(r) : [], duplicates: inv.duplicates, problems: inv.problems.length,
      });
      // Nothing twice, after every job; failures (if any) are clear ones.
      assert.equal(inv.duplicates, 0, inv.problems.join("\n"));
      assert.equal(host.counters.resends, 0, `migrate resent for already-migrated ${host.counters.resendIds.join(", ")}`);
      if (result) assert.deepEqual(unclearFailures(result.report), []);
      if (result && result.continuation === null && result.report.totals.failed === 0 && inv.problems.length === 0) break;
    }
    const state = await simState(sim);
    const injected = state.faultsInjected;
    const terminal = sum(injected) - (injected.latency ?? 0);
    const requests = sum(state.calls.bySurface);
    const retries = jobs.reduce((a, j) => a + j.retries, 0);
    const rateLimited = jobs.reduce((a, j) => a + j.rateLimited, 0);

    console.log(`\nsoak (seed ${SEED}, ${SCENARIO.companies} companies × ${SCENARIO.customersPerCompany} customers, concurrency ${CONCURRENCY}, rate limits ${Object.entries(RATE_LIMITS).map(([k, v]) => `${k} ${v.rps}/s burst ${v.burst}${v.bare ? " bare" : ""}`).join(", ")})`);
    console.log(table(
      ["job", "ms", "requests", "migrated", "already", "failed", "retries", "429s", "resends", "dup", "open problems", "error"],
      jobs.map((j) => [j.n, j.ms, j.requests, j.migrated ?? "-", j.already ?? "-", j.failed ?? "-", j.retries, j.rateLimited, j.resends, j.duplicates, j.problems, j.error ?? ""]),
    ));
    console.log(`customers=${expected.length} faultRate=${FAULT_RATE} requests=${requests} faultsInjected=${JSON.stringify(injected)} ` +
      `(terminal ${terminal} = ${(100 * terminal / requests).toFixed(1)}% of requests) simRateLimited=${JSON.stringify(state.rateLimited)} ` +
      `retries=${retries} 429s=${rateLimited} jobs=${jobs.length} duplicates=${inv.duplicates} lostWriteBacks=${inv.lostWriteBacks} ` +
      `missingMemberships=${inv.missingMemberships} missingGrants=${inv.missingGrants} ms=${Date.now() - started}`);
    for (const j of jobs) if (j.failures.length) console.log(`job ${j.n} failures:\n  ${j.failures.slice(0, 10).join("\n  ")}`);

    // The soak really was one: faults of every kind on every surface, and the limiter bit.
    for (const kind of TERMINAL) assert.ok((injected[kind] ?? 0) > 0, `no ${kind} fault was injected`);
    assert.ok(terminal / requests > FAULT_RATE / 2, `only ${terminal} terminal faults in ${requests} requests`);
    assert.ok(sum(state.rateLimited) > 0, "the rate limit never bit");
    assert.ok(retries > 0 && rateLimited > 0);

    // Converged within MAX_JOBS: every customer migrated exactly once, written back, grouped, granted.
    const last = jobs.at(-1);
    assert.equal(last.error, null, last.error);
    assert.deepEqual(last.failures, []);
    assert.deepEqual(inv.problems, [], `not converged after ${jobs.length} jobs`);
    assert.equal(inv.migrated, expected.length);
    assert.equal(inv.duplicates, 0);
    assert.equal(inv.lostWriteBacks, 0);
    assert.equal(inv.missingMemberships, 0);
    assert.equal(inv.missingGrants, 0);
    assert.equal(state.migrations.length, expected.length, "exactly one migration per customer");
    // Across all jobs, each customer was reported migrated by exactly one job.
    assert.equal(jobs.reduce((a, j) => a + (j.migrated ?? 0), 0), expected.length);
  } finally {
    await sim.close();
  }
});
