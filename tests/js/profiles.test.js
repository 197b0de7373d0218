// The main flows on both readings of Atlassian: the simulator's default profile and its strict one
// (capped AQL pages that echo the requested size, isLast as a string, no total, hidden emails, an
// asynchronous bulk migrate, objectTypeId required on write-back, fresh-account 404s, the single
// migrate route gone; js/sim/COVERAGE.md). Every flow must converge on both.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { migrate } from "../../js/core/node.js";
import {
  startSimulator, pipelineConfig, makeHost, memoryJournal, simState, ctl, runCli, tempDir, writeConfig,
} from "./helpers/pipeline.js";
import { expectedCustomers, checkInvariants } from "./helpers/resilience.js";

const BIG = { companies: 2, customersPerCompany: 120 };

for (const profile of ["default", "strict"]) {
  describe(`${profile} profile`, () => {
    let sim;
    before(async () => { sim = await startSimulator({ port: 0, seed: 7, scenario: BIG, profile, quiet: true }); });
    after(() => sim.close());

    const fresh = () => ctl(sim, "POST", "reset", { profile });
    const bulk = (extra = {}) => pipelineConfig(sim, { migrate: { mode: "bulk", pollTimeoutMs: 15_000 }, ...extra });

    test("bulk (the default mode): companies bigger than a page are found whole and every customer is finished once", async () => {
      await fresh();
      const state0 = await simState(sim);
      const expected = expectedCustomers(state0);
      assert.equal(expected.length, 240);
      const { report } = await migrate({ companies: state0.companies }, bulk(), makeHost(sim));
      assert.equal(report.totals.migrated, 240, JSON.stringify(report.customers.filter((c) => c.status !== "migrated").slice(0, 3)));
      assert.equal(report.totals.failed, 0);
      const inv = checkInvariants(await simState(sim), expected);
      assert.deepEqual(inv.problems, []);
      assert.equal(inv.duplicates, 0);
      assert.equal(report.stats.migrateCalls, 3, "batches of at most 100 (migrate.batchSize) across the job");
    });

    test("single mode: works where the route exists; where it is gone the job stops with one clear error, closing nothing, and bulk then finishes it", async () => {
      await fresh();
      const state0 = await simState(sim);
      const expected = expectedCustomers(state0, [state0.companies[0]]);
      const journal = memoryJournal();
      const single = pipelineConfig(sim, { migrate: { mode: "single", pollTimeoutMs: 15_000 } });
      const request = { companies: [state0.companies[0]] };
      if (profile === "default") {
        const { report } = await migrate(request, single, makeHost(sim, { journal }));
        assert.equal(report.totals.migrated, 120);
        assert.deepEqual(checkInvariants(await simState(sim), expected).problems, []);
        return;
      }
      await assert.rejects(migrate(request, single, makeHost(sim, { journal })), (e) => {
        assert.equal(e.code, "ROUTE_UNAVAILABLE");
        assert.match(e.message, /^customers\.migrate \(admin\): the migrate route answered 404 while qm:\S+ is still a portal-only customer: the route is unavailable on this site\. Nothing was closed;/);
        return true;
      });
      const stopped = await simState(sim);
      assert.equal(stopped.migrations.length, 0);
      assert.ok((stopped.calls.byRoute["PUT migrateCustomer"] ?? 0) <= 4, "the job stopped at once, not after every customer");
      // The same request in bulk mode, same journal: nobody was closed as failed, everyone is migrated.
      const { report } = await migrate(request, bulk(), makeHost(sim, { journal }));
      assert.equal(report.totals.failed, 0, JSON.stringify(report.customers.filter((c) => c.status === "failed").slice(0, 2)));
      assert.equal(report.totals.migrated, 120);
      assert.deepEqual(checkInvariants(await simState(sim), expected).problems, []);
    });

    test("hidden emails and an asynchronous bulk call: every new account is still resolved", async () => {
      await ctl(sim, "POST", "reset", { profile, hideEmails: true, bulkMigrateDelayMs: 800 });
      const state0 = await simState(sim);
      const expected = expectedCustomers(state0, [state0.companies[1]]);
      const { report } = await migrate({ companies: [state0.companies[1]] }, bulk(), makeHost(sim));
      assert.equal(report.totals.migrated, 120, JSON.stringify(report.customers.find((c) => c.status !== "migrated")));
      assert.deepEqual(checkInvariants(await simState(sim), expected).problems, []);
    });

    test("a pre-existing Atlassian account with the customer's email is not taken for the migrated one", async () => {
      await fresh();
      const state0 = await simState(sim);
      const [c] = expectedCustomers(state0, [state0.companies[0]]);
      const { accountId: other } = await ctl(sim, "POST", "users", { email: c.email });
      const { report } = await migrate({ customers: [c.email] }, bulk(), makeHost(sim));
      const row = report.customers[0];
      assert.equal(row.status, "migrated", JSON.stringify(row));
      assert.equal(row.portalAccountId, c.qm, "the portal-only customer was the one migrated");
      const m = (await simState(sim)).migrations.find((x) => x.qmId === c.qm);
      assert.equal(row.accountId, m.accountId);
      assert.equal(m.accountId === other, m.linked === true, "linked only when the service linked it");
    });

    test("an issue job of 300 customers posts one comment under Jira's limit and exits 0", async () => {
      await ctl(sim, "POST", "reset", { profile, scenario: { companies: 1, customersPerCompany: 300 } });
      const state0 = await simState(sim);
      const tmp = tempDir();
      try {
        const config = writeConfig(tmp, bulk());
        const r = await runCli(sim, ["run", "--config", config, "--issue", "SUP-1", "--company", state0.companies[0], "--quiet", "--progress", "none", "--report", tmp.file("r.json")], { stateDir: tmp.dir, timeoutMs: 120_000 });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, /comment: not posted/);
        const after = await simState(sim);
        const comments = after.comments["SUP-1"];
        assert.equal(comments.length, 1);
        const texts = [];
        const walk = (n) => { if (n?.type === "text") texts.push(n.text); (n?.content ?? []).forEach(walk); };
        walk(comments[0].body);
        const length = texts.join("").length;
        assert.ok(length <= 30_000, `${length} characters`);
        // Every customer is listed or counted in the closing "and N more" line.
        const more = Number(/^… and (\d+) more: see the report of job job-/.exec(texts.at(-1))?.[1] ?? 0);
        const listed = texts.filter((t) => /^(Migrated|Already migrated|FAILED|Skipped) /.test(t)).length;
        assert.equal(listed + more, 300);
      } finally {
        tmp.cleanup();
      }
    });

    test("a directory that ignores paging ends with a clear error and migrates nobody", async () => {
      await ctl(sim, "POST", "reset", { profile, directoryPaging: "ignored", directoryPageCap: 50 });
      await assert.rejects(migrate({ portalCustomers: {} }, bulk(), makeHost(sim)), (e) => {
        assert.equal(e.code, "PAGING");
        assert.match(e.message, /the portal-only directory: page 2 repeats page 1: the listing ignores paging/);
        return true;
      });
      assert.equal((await simState(sim)).migrations.length, 0);
    });

    test("a directory that reads start-index as a page number is walked whole", async () => {
      await ctl(sim, "POST", "reset", { profile, directoryPaging: "page-number", directoryPageCap: 50 });
      const state0 = await simState(sim);
      const expected = expectedCustomers(state0);
      const { report } = await migrate({ portalCustomers: {}, dryRun: true }, bulk(), makeHost(sim));
      const planned = new Set(report.customers.map((c) => c.portalAccountId));
      for (const c of expected) assert.ok(planned.has(c.qm), `${c.qm} not found`);
    });
  });
}
