// The CLI journal's index and group commit (js/cli/journal.js): memory holds offsets, not values;
// concurrent puts share fsyncs and each resolves only after the fsync that covered it; a killed
// compaction leaves a readable journal.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openJournal } from "../../js/cli/journal.js";

const CRASH_CHILD = fileURLToPath(new URL("./helpers/compact-crash-child.js", import.meta.url));

let dir;
let file;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-jindex-"));
  file = path.join(dir, "journal.jsonl");
});

const valueOf = (i, round) => JSON.stringify({ stage: "complete", round, email: `customer-${i}@example.com`, pad: "x".repeat(400 + (i % 97)) });

test("10,000 records: every get after reopen returns the latest value; memory holds an index of numbers, not the values or the keys", async () => {
  const N = 10_000;
  let j = openJournal(file);
  await Promise.all(Array.from({ length: N }, (_, i) => j.put(`customer/qm:${i}`, valueOf(i, 1))));
  await Promise.all(Array.from({ length: N / 2 }, (_, h) => j.put(`customer/qm:${h * 2}`, valueOf(h * 2, 2))));
  j.close();
  j = openJournal(file, { compactMin: 1_000_000 }); // keep the superseded lines: the index must skip them
  try {
    for (let i = 0; i < N; i++) assert.equal(await j.get(`customer/qm:${i}`), valueOf(i, i % 2 === 0 ? 2 : 1), `key ${i}`);
    const listed = await j.list("customer/qm:12");
    assert.deepEqual(listed.map(([k]) => k), [...Array(N).keys()].map((i) => `customer/qm:${i}`).filter((k) => k.startsWith("customer/qm:12")).sort());
    for (const [k, v] of listed) assert.equal(v, valueOf(Number(k.slice(12)), Number(k.slice(12)) % 2 === 0 ? 2 : 1));

    // The structure: typed arrays only (offsets, lengths, key hashes, a table of slot numbers).
    assert.equal(j.index.size, N);
    assert.equal(j.index.find(`customer/qm:${N - 1}`), N - 1, "slots in the order keys appeared");
    assert.equal(j.index.find("customer/qm:x"), undefined);
    const valueBytes = N * valueOf(0, 1).length;
    const s = j.stats();
    assert.equal(s.keys, N);
    assert.ok(s.indexBytes <= 48 * N, `index arrays ${s.indexBytes} bytes for ${N} keys`);
    assert.ok(s.indexBytes * 8 < valueBytes, `index ${s.indexBytes} bytes vs values ${valueBytes} bytes`);
    assert.ok(s.cached <= 256, `LRU holds ${s.cached} values`);
  } finally {
    j.close();
  }
});

/** node:fs with fsync slowed down and every write, fsync and resolution recorded in order. */
function recordingFs({ fsyncMs = 15, failFsyncAt = null } = {}) {
  const events = [];
  let fsyncs = 0;
  const rec = {
    ...fs,
    write(fd, buf, off, len, pos, cb) {
      const keys = buf.toString("utf8", off, off + len).split("\n").filter(Boolean).map((l) => JSON.parse(l).k ?? JSON.parse(l).c);
      fs.write(fd, buf, off, len, pos, (err, n) => {
        events.push({ type: "write", keys });
        cb(err, n);
      });
    },
    fsync(fd, cb) {
      const n = ++fsyncs;
      events.push({ type: "fsync-start", n });
      setTimeout(() => {
        if (n === failFsyncAt) {
          events.push({ type: "fsync-failed", n });
          const e = new Error("EIO: i/o error, fsync");
          e.code = "EIO";
          cb(e);
          return;
        }
        fs.fsync(fd, (err) => {
          events.push({ type: "fsync-end", n });
          cb(err);
        });
      }, fsyncMs);
    },
  };
  return { fs: rec, events, fsyncs: () => fsyncs };
}

test("group commit: 64 concurrent puts share a few fsyncs, and each resolves only after an fsync that began after its bytes were written", async () => {
  const r = recordingFs();
  const j = openJournal(file, { fs: r.fs });
  const N = 64;
  const puts = [];
  // Three waves: one in this turn, then two more while the first fsync is still running.
  for (let i = 0; i < N / 2; i++) puts.push(j.put(`k${i}`, `v${i}`).then(() => r.events.push({ type: "resolved", key: `k${i}` })));
  await new Promise((res) => setTimeout(res, 3));
  for (let i = N / 2; i < (3 * N) / 4; i++) puts.push(j.put(`k${i}`, `v${i}`).then(() => r.events.push({ type: "resolved", key: `k${i}` })));
  await new Promise((res) => setTimeout(res, 3));
  for (let i = (3 * N) / 4; i < N; i++) puts.push(j.put(`k${i}`, `v${i}`).then(() => r.events.push({ type: "resolved", key: `k${i}` })));
  await Promise.all(puts);
  j.close();
  assert.ok(r.fsyncs() < N / 8, `${r.fsyncs()} fsyncs for ${N} puts`);
  assert.ok(r.fsyncs() >= 2, "the later waves did not wait for an fsync that started before their bytes");
  for (let i = 0; i < N; i++) {
    const key = `k${i}`;
    const w = r.events.findIndex((e) => e.type === "write" && e.keys.includes(key));
    const resolved = r.events.findIndex((e) => e.type === "resolved" && e.key === key);
    assert.ok(w >= 0 && resolved > w, `${key} was written before it resolved`);
    // an fsync that started after the write and ended before the resolution
    const covering = r.events.slice(w + 1, resolved).filter((e) => e.type === "fsync-start")
      .some((s) => r.events.slice(w + 1, resolved).some((e) => e.type === "fsync-end" && e.n === s.n));
    assert.ok(covering, `${key}: no fsync covered its bytes before it resolved (${JSON.stringify(r.events.slice(w, resolved + 1))})`);
  }
  const again = openJournal(file);
  for (let i = 0; i < N; i++) assert.equal(await again.get(`k${i}`), `v${i}`);
  again.close();
});

test("a failed fsync fails its batch and every later write; nothing is reported durable that was not", async () => {
  const r = recordingFs({ failFsyncAt: 2 });
  const j = openJournal(file, { fs: r.fs });
  await j.put("a", "1");
  const batch = [j.put("b", "2"), j.put("c", "3")];
  const results = await Promise.allSettled(batch);
  assert.deepEqual(results.map((x) => x.status), ["rejected", "rejected"]);
  assert.equal(results[0].reason.code, "JOURNAL");
  await assert.rejects(j.put("d", "4"), (e) => e.code === "JOURNAL" && /failed an earlier write/.test(e.message));
  await assert.rejects(j.claim("lease/x", { owner: "o", leaseMs: 10, now: 0 }), { code: "JOURNAL" });
  assert.equal(await j.get("a"), "1");
  assert.equal(await j.get("b"), null, "a put whose fsync failed is not visible");
  j.close();
});

test("fsyncs per put at concurrency 16: one flush per turn of the event loop, not one per put", async () => {
  let fsyncs = 0;
  const counting = { ...fs, fsync: (fd, cb) => { fsyncs++; fs.fsync(fd, cb); } };
  const j = openJournal(file, { fs: counting });
  // 16 workers, each doing 4 sequential puts per "customer" (the core's intent, migrated, steps, complete).
  await Promise.all(Array.from({ length: 16 }, async (_, w) => {
    for (let c = 0; c < 20; c++) for (let s = 0; s < 4; s++) await j.put(`customer/${w}-${c}`, `step ${s}`);
  }));
  const puts = 16 * 20 * 4;
  j.close();
  assert.ok(fsyncs <= puts / 4, `${fsyncs} fsyncs for ${puts} puts`);
});

function seedForCompaction() {
  const j = openJournal(file);
  const expected = new Map();
  const work = [];
  for (let i = 0; i < 3000; i++) {
    const k = `customer/${i % 150}`;
    const v = valueOf(i, i);
    expected.set(k, v);
    work.push(j.put(k, v));
  }
  work.push(j.claim("lease/customer/7", { owner: "run-a", leaseMs: 60_000, now: 1_000 }));
  work.push(j.claim("lease/customer/8", { owner: "run-a", leaseMs: 60_000, now: 1_000 }));
  return Promise.all(work).then(async () => {
    await j.release("lease/customer/8", "run-a");
    j.close();
    return expected;
  });
}

for (const point of ["mid-write", "before-fsync", "before-rename", "after-rename"]) {
  test(`a compaction killed ${point.replace("-", " ")} leaves a readable journal with every live record`, async () => {
    const expected = await seedForCompaction();
    const before = fs.statSync(file).size;
    const r = spawnSync(process.execPath, [CRASH_CHILD, file, point], { encoding: "utf8" });
    assert.equal(r.signal, "SIGKILL", r.stdout + r.stderr);
    const j = openJournal(file, { compactMin: 1_000_000 });
    try {
      const size = fs.statSync(file).size;
      if (point === "after-rename") assert.ok(size < before / 5, `compacted: ${size} < ${before}`);
      else assert.equal(size, before, "the old journal is untouched");
      assert.deepEqual(await j.list("customer/"), [...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      // the killed process's claims are void in the next one (it holds the lock): 7 is free again
      assert.deepEqual(await j.claim("lease/customer/7", { owner: "run-b", leaseMs: 1, now: 2_000 }),
        { won: true, owner: "run-b", expiresMs: 2_001, previous: null });
      assert.equal((await j.claim("lease/customer/8", { owner: "run-b", leaseMs: 1, now: 2_000 })).won, true);
      assert.deepEqual(await j.list("lease/"), [], "claims never show in list");
    } finally {
      j.close();
    }
    assert.deepEqual(fs.readdirSync(dir), ["journal.jsonl"], "the killed compaction's temp file was removed");
  });
}

test("compaction rebuilds the index over the new file (and drops the claims of processes that are gone)", async () => {
  const expected = await seedForCompaction();
  const j = openJournal(file, { compactMin: 10 });
  try {
    assert.equal(fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length, 150);
    for (const [k, v] of expected) assert.equal(await j.get(k), v);
    await j.put("customer/new", "1");
  } finally {
    j.close();
  }
  const again = openJournal(file);
  assert.equal(await again.get("customer/new"), "1");
  assert.equal(await again.get("customer/3"), expected.get("customer/3"));
  again.close();
});

test("the key index keeps keys apart by reading them back, even when every hash collides", async () => {
  const { keyIndex } = await import("../../js/cli/keyindex.js");
  const stored = [];
  let reads = 0;
  const idx = keyIndex((slot) => { reads++; return stored[slot]; }, { hashOf: () => 7 });
  const keys = Array.from({ length: 6000 }, (_, i) => (i % 3 ? `customer/qm:${i}` : `job/j-${i}`));
  for (const k of keys) {
    assert.equal(idx.find(k), undefined, `${k} is new`);
    stored.push(k);
    idx.add(k, stored.length - 1);
  }
  for (const [i, k] of keys.entries()) assert.equal(idx.find(k), i, k);
  assert.ok(reads > 4096, `confirmed beyond the recent cache by reading back (${reads} reads)`);
  assert.equal(idx.find("customer/qm:999999"), undefined);
  assert.deepEqual([...idx.slots("job/")].map((s) => stored[s]), stored.filter((k) => k.startsWith("job/")), "a prefix's class narrows the walk");
  assert.throws(() => idx.add("x/y", 0), /out of order/);
});
