// One conformance suite for every host journal (HACKING.md "The journal contract"): the same cases
// against the CLI file journal, the CLI memory journal, the tests' memory journal, the Forge KVS
// journal over the KVS fake, and the Worker's JournalDO running in workerd (miniflare).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openJournal, memoryJournal as cliMemoryJournal } from "../../js/cli/journal.js";
import { kvsJournal } from "../../js/forge/journal.js";
import { fakeKvs } from "./helpers/kvs-fake.js";
import { memoryJournal as testMemoryJournal } from "./helpers/sim.js";
import { buildBundle, startWorker } from "./helpers/worker.js";
import { startSimulator } from "../../js/sim/index.js";

const T0 = Date.UTC(2026, 10, 1);

/** Each host: open() → { journal, reopen?() → journal, close() }. */
const hosts = [
  {
    name: "CLI file journal",
    async open() {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pm-conf-")), "journal.jsonl");
      let journal = openJournal(file);
      return {
        journal,
        reopen() {
          journal.close();
          journal = openJournal(file);
          return journal;
        },
        close: () => journal.close(),
      };
    },
  },
  { name: "CLI memory journal", open: async () => ({ journal: cliMemoryJournal(), close() {} }) },
  { name: "tests' memory journal (helpers/sim.js)", open: async () => ({ journal: testMemoryJournal(), close() {} }) },
  {
    name: "Forge KVS journal (helpers/kvs-fake.js)",
    async open() {
      const kvs = fakeKvs({ seed: 7 });
      return { journal: kvsJournal(kvs), reopen: () => kvsJournal(kvs), close() {}, kvs };
    },
  },
  {
    name: "Worker JournalDO (workerd)",
    worker: true,
    async open(ctx) {
      const ns = await ctx.mf.getDurableObjectNamespace("JOURNAL");
      const stub = ns.get(ns.idFromName(`conformance-${ctx.next++}`));
      // The same shape as js/worker/index.js journalOfStub: awaited RPC calls.
      const journal = {
        get: async (k) => await stub.get(k),
        put: async (k, v) => { await stub.put(k, v); },
        list: async (p) => await stub.list(p),
        listPage: async (p, c, n) => ({ ...(await stub.listPage(p, c, n)) }),
        claim: async (k, o) => ({ ...(await stub.claim(k, o)) }),
        release: async (k, o) => await stub.release(k, o),
      };
      return { journal, close() {} };
    },
  },
];

const lease = (owner, now, leaseMs = 60_000) => ({ owner, leaseMs, now });

for (const host of hosts) {
  describe(host.name, () => {
    const ctx = { next: 1 };
    if (host.worker) {
      before(async () => {
        ctx.sim = await startSimulator({ seed: 3 });
        ctx.bundle = await buildBundle();
        ctx.mf = await startWorker({ outdir: ctx.bundle.outdir, sim: ctx.sim });
      });
      after(async () => {
        await ctx.mf?.dispose();
        await ctx.sim?.close();
        ctx.bundle?.dispose();
      });
    }
    const withJournal = (fn) => async () => {
      const h = await host.open(ctx);
      try {
        await fn(h.journal, h);
      } finally {
        h.close();
      }
    };

    test("get, put, list: the latest value wins; list is sorted and only the prefix", withJournal(async (j) => {
      assert.equal(await j.get("job/a"), null);
      await j.put("customer/b", "2");
      await j.put("job/a", '{"finished":false}');
      await j.put("customer/a", "1");
      await j.put("customer/c", "x");
      await j.put("customer/c", "3");
      await j.put("job/a", '{"finished":true}');
      assert.equal(await j.get("job/a"), '{"finished":true}');
      assert.deepEqual(await j.list("customer/"), [["customer/a", "1"], ["customer/b", "2"], ["customer/c", "3"]]);
      assert.deepEqual(await j.list("nothing/"), []);
      assert.deepEqual((await j.list("")).map(([k]) => k), ["customer/a", "customer/b", "customer/c", "job/a"]);
    }));

    test("listPage (where offered) walks exactly what list holds, a page of at most `limit` at a time", withJournal(async (j) => {
      if (!j.listPage) return assert.equal(host.name, "tests' memory journal (helpers/sim.js)", "only the tests' journal reads through list");
      for (const k of ["customer/e", "customer/a", "customer/g", "customer/c", "customer/b", "customer/f", "customer/d"]) await j.put(k, k.slice(-1));
      await j.put("job/a", "{}");
      await j.claim("lease/customer/z", lease("a", T0));
      const seen = [];
      let cursor = null;
      let pages = 0;
      do {
        const page = await j.listPage("customer/", cursor, 3);
        assert.ok(page.entries.length <= 3, `page ${pages} holds ${page.entries.length}`);
        seen.push(...page.entries);
        cursor = page.cursor;
        assert.ok(++pages <= 7, "the walk ends");
      } while (cursor !== null);
      assert.deepEqual(seen.sort(([a], [b]) => (a < b ? -1 : 1)), await j.list("customer/"));
      assert.equal(seen.length, 7);
      assert.ok(pages >= 3, `paged (${pages} pages)`);
      assert.deepEqual(await j.listPage("nothing/", null, 3), { entries: [], cursor: null });
    }));

    test("claims are a namespace of their own: never in list, never in get", withJournal(async (j) => {
      await j.put("job/1", "{}");
      assert.equal((await j.claim("lease/customer/qm:1", lease("run-a", T0))).won, true);
      assert.equal((await j.claim("lease/job/1", lease("run-a", T0))).won, true);
      assert.deepEqual(await j.list(""), [["job/1", "{}"]]);
      assert.deepEqual(await j.list("lease/"), []);
      assert.deepEqual(await j.list("lease"), []);
      assert.equal(await j.get("lease/customer/qm:1"), null);
      // and a record that happens to share a claim's key is independent of it
      await j.put("lease/job/1", "record");
      assert.deepEqual(await j.list("lease/"), [["lease/job/1", "record"]]);
      assert.equal((await j.claim("lease/job/1", lease("run-b", T0))).won, false);
    }));

    test("claim: absent → won; foreign and live → lost, nothing changes", withJournal(async (j) => {
      assert.deepEqual(await j.claim("lease/x", lease("run-a", T0, 1000)), { won: true, owner: "run-a", expiresMs: T0 + 1000, previous: null });
      const held = { owner: "run-a", expiresMs: T0 + 1000 };
      assert.deepEqual(await j.claim("lease/x", lease("run-b", T0 + 999, 5000)), { won: false, ...held, previous: held });
      assert.deepEqual(await j.claim("lease/x", lease("run-c", T0 + 1, 1)), { won: false, ...held, previous: held });
    }));

    test("claim: expired (expiresMs <= now) → taken, previous is the expired claim", withJournal(async (j) => {
      await j.claim("lease/x", lease("run-a", T0, 1000));
      assert.deepEqual(await j.claim("lease/x", lease("run-b", T0 + 1000, 500)),
        { won: true, owner: "run-b", expiresMs: T0 + 1500, previous: { owner: "run-a", expiresMs: T0 + 1000 } });
      assert.deepEqual(await j.claim("lease/x", lease("run-a", T0 + 1200, 500)),
        { won: false, owner: "run-b", expiresMs: T0 + 1500, previous: { owner: "run-b", expiresMs: T0 + 1500 } });
    }));

    test("claim: own claim → renewed (even a shorter lease)", withJournal(async (j) => {
      await j.claim("lease/x", lease("run-a", T0, 1000));
      assert.deepEqual(await j.claim("lease/x", lease("run-a", T0 + 10, 5000)),
        { won: true, owner: "run-a", expiresMs: T0 + 5010, previous: { owner: "run-a", expiresMs: T0 + 1000 } });
      assert.deepEqual(await j.claim("lease/x", lease("run-a", T0 + 20, 10)),
        { won: true, owner: "run-a", expiresMs: T0 + 30, previous: { owner: "run-a", expiresMs: T0 + 5010 } });
    }));

    test("release: only the owner's release deletes; then the key is free", withJournal(async (j) => {
      assert.equal(await j.release("lease/x", "run-a"), false, "nothing to release");
      await j.claim("lease/x", lease("run-a", T0));
      assert.equal(await j.release("lease/x", "run-b"), false);
      assert.equal((await j.claim("lease/x", lease("run-b", T0 + 1))).won, false, "a non-owner's release changed nothing");
      assert.equal(await j.release("lease/x", "run-a"), true);
      assert.equal(await j.release("lease/x", "run-a"), false, "released once");
      assert.deepEqual(await j.claim("lease/x", lease("run-b", T0 + 2, 10)), { won: true, owner: "run-b", expiresMs: T0 + 12, previous: null });
      // an expired claim still belongs to its owner until someone takes it: its owner may release it
      assert.equal(await j.release("lease/x", "run-b"), true);
    }));

    test("50 concurrent claimers of one key: exactly one wins; again after expiry, exactly one", withJournal(async (j) => {
      const round = (now) => Promise.all(Array.from({ length: 50 }, (_, i) => j.claim("lease/customer/qm:42", lease(`run-${now}-${i}`, now, 1000))));
      const first = await round(T0);
      const winners = first.filter((r) => r.won);
      assert.equal(winners.length, 1, JSON.stringify(first.filter((r) => r.won)));
      const w = winners[0];
      for (const r of first.filter((r) => !r.won)) assert.deepEqual(r, { won: false, owner: w.owner, expiresMs: w.expiresMs, previous: { owner: w.owner, expiresMs: w.expiresMs } });
      const second = await round(T0 + 1000);
      const again = second.filter((r) => r.won);
      assert.equal(again.length, 1);
      assert.deepEqual(again[0].previous, { owner: w.owner, expiresMs: w.expiresMs });
      assert.notEqual(again[0].owner, w.owner);
      // and 50 concurrent releases by everyone: only the owner's counts
      const released = await Promise.all([...first, ...second].map((r, i) => j.release("lease/customer/qm:42", i < 50 ? `run-${T0}-${i}` : `run-${T0 + 1000}-${i - 50}`)));
      assert.equal(released.filter(Boolean).length, 1);
    }));

    if (host.name !== "Worker JournalDO (workerd)" && !host.name.includes("memory")) {
      // Forge's KVS outlives invocations, so a live claim survives; the CLI file journal is opened
      // under the pid lock, so the claims in it belong to processes that are gone and are void.
      const survives = !host.name.startsWith("CLI file");
      test(survives ? "a restart keeps records and a live claim" : "a new process keeps the records and voids the old claims", withJournal(async (j, h) => {
        await j.put("customer/1", "a");
        await j.claim("lease/customer/1", lease("run-a", T0, 60_000));
        await j.claim("lease/customer/2", lease("run-a", T0, 60_000));
        await j.release("lease/customer/2", "run-a");
        const k = h.reopen();
        assert.equal(await k.get("customer/1"), "a");
        const again = await k.claim("lease/customer/1", lease("run-b", T0 + 1));
        if (survives) {
          assert.deepEqual(again, { won: false, owner: "run-a", expiresMs: T0 + 60_000, previous: { owner: "run-a", expiresMs: T0 + 60_000 } });
        } else {
          assert.equal(again.won, true);
          assert.equal(again.previous, null);
        }
        assert.equal((await k.claim("lease/customer/2", lease("run-b", T0 + 1))).won, true);
        assert.deepEqual(await k.list(""), [["customer/1", "a"]]);
      }));
    }

    test("claim arguments are checked", withJournal(async (j) => {
      // miniflare's Node-side proxy of a Durable Object turns a rejected call into its own
      // assertion error, so only the rejection itself is visible from here for the Worker.
      const says = (re) => (host.worker ? undefined : re);
      await assert.rejects(j.claim("lease/x", { leaseMs: 1, now: T0 }), says(/owner/));
      await assert.rejects(j.claim("lease/x", { owner: "a", now: T0 }), says(/leaseMs/));
      await assert.rejects(j.claim("lease/x", { owner: "a", leaseMs: 1 }), says(/now/));
      if (!host.worker) await assert.rejects(j.claim("lease/x", { owner: "a", leaseMs: 1 }), { code: "JOURNAL" });
    }));
  });
}

test("Forge: a claim costs a few KVS calls; takeover races create each generation once", async () => {
  const kvs = fakeKvs({ seed: 11 });
  const j = kvsJournal(kvs);
  await j.claim("lease/x", lease("a", T0, 10));
  const before = { ...kvs.counts };
  await j.claim("lease/x", lease("a", T0 + 1, 10)); // renewal with a current hint
  assert.ok(kvs.counts.get - before.get <= 3, `${kvs.counts.get - before.get} gets`);
  assert.equal(kvs.counts.create - before.create, 1);
  // 30 takers of an expired claim, all at once: one generation created, 29 conflicts then losses
  const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => j.claim("lease/x", lease(`t${i}`, T0 + 100, 10))));
  assert.equal(rs.filter((r) => r.won).length, 1);
  const gens = [...kvs.store.keys()].filter((k) => k.startsWith("c:lease#2fx#g"));
  assert.deepEqual(gens.sort(), ["c:lease#2fx#g1", "c:lease#2fx#g2", "c:lease#2fx#g3"]);
  // a stale hint (or none) still finds the newest generation
  kvs.store.set("c:lease#2fx#h", 1);
  assert.equal((await j.claim("lease/x", lease("late", T0 + 105, 10))).won, false);
  kvs.store.delete("c:lease#2fx#h");
  assert.equal((await j.claim("lease/x", lease("late", T0 + 105, 10))).won, false);
  kvs.store.set("c:lease#2fx#h", 99);
  assert.equal((await j.claim("lease/x", lease("late", T0 + 200, 10))).won, true);
  assert.ok(kvs.store.has("c:lease#2fx#g4"));
});

test("Forge: without kvs.create a claim fails closed", async () => {
  const kvs = fakeKvs();
  delete kvs.create;
  await assert.rejects(kvsJournal(kvs).claim("lease/x", lease("a", T0)), (e) => e.code === "JOURNAL" && /kvs\.create/.test(e.message));
});
