// The CLI's file journal: durability format, torn lines, compaction, listing, locks.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openJournal, defaultJournalPath, memoryJournal } from "../../js/cli/journal.js";

let file;
beforeEach(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pm-journal-")), "sub", "journal.jsonl");
});

const lines = () => fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

test("put appends a JSON line per write; a reopened journal sees the last value of each key", async () => {
  const j = openJournal(file);
  await j.put("job/a", '{"finished":false}');
  await j.put("customer/x", "1");
  await j.put("job/a", '{"finished":true}');
  assert.equal(await j.get("job/a"), '{"finished":true}');
  assert.equal(await j.get("nope"), null);
  j.close();
  assert.deepEqual(lines(), [
    { k: "job/a", v: '{"finished":false}' },
    { k: "customer/x", v: "1" },
    { k: "job/a", v: '{"finished":true}' },
  ]);
  const again = openJournal(file);
  assert.equal(await again.get("job/a"), '{"finished":true}');
  assert.equal(await again.get("customer/x"), "1");
  again.close();
});

test("list(prefix) returns [key, value] pairs sorted by key", async () => {
  for (const j of [openJournal(file), memoryJournal()]) {
    await j.put("customer/b", "2");
    await j.put("job/z", "3");
    await j.put("customer/a", "1");
    await j.put("customer/c", "x");
    await j.put("customer/c", "4");
    assert.deepEqual(await j.list("customer/"), [["customer/a", "1"], ["customer/b", "2"], ["customer/c", "4"]]);
    assert.deepEqual(await j.list("nothing/"), []);
    j.close();
  }
});

test("a torn last line (crash mid-write) is ignored and cut off; later puts stay readable", async () => {
  let j = openJournal(file);
  await j.put("a", "1");
  await j.put("b", "2");
  j.close();
  const good = fs.readFileSync(file, "utf8");
  fs.appendFileSync(file, '{"k":"c","v":"3');
  j = openJournal(file);
  assert.equal(fs.readFileSync(file, "utf8"), good, "the partial line is truncated on open");
  assert.equal(await j.get("c"), null);
  await j.put("d", "4");
  j.close();
  j = openJournal(file);
  assert.deepEqual(await j.list(""), [["a", "1"], ["b", "2"], ["d", "4"]]);
  j.close();
});

test("a garbled line in the middle is an error, never silently dropped", async () => {
  const j = openJournal(file);
  await j.put("a", "1");
  j.close();
  fs.appendFileSync(file, "garbage\n" + JSON.stringify({ k: "b", v: "2" }) + "\n");
  assert.throws(() => openJournal(file), (e) => e.code === "JOURNAL" && /line 2 is unreadable/.test(e.message));
});

test("open compacts a journal of mostly superseded lines, keeping every live value", async () => {
  let j = openJournal(file);
  for (let i = 0; i < 50; i++) await j.put(`k${i % 5}`, String(i));
  j.close();
  assert.equal(lines().length, 50);
  j = openJournal(file, { compactMin: 10 });
  assert.deepEqual(await j.list(""), [["k0", "45"], ["k1", "46"], ["k2", "47"], ["k3", "48"], ["k4", "49"]]);
  await j.put("k0", "50");
  j.close();
  assert.equal(lines().length, 6);
  assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ["journal.jsonl"], "no temp or lock file left");
  j = openJournal(file);
  assert.equal(await j.get("k0"), "50");
  j.close();
  // Few superseded lines: left alone.
  j = openJournal(file, { compactMin: 10 });
  j.close();
  assert.equal(lines().length, 6);
});

test("the lock: held while open, refused to a second opener, released on close", async () => {
  const j = openJournal(file);
  assert.equal(fs.readFileSync(file + ".lock", "utf8"), String(process.pid));
  assert.throws(() => openJournal(file), { name: "UsageError", message: `journal ${file} is in use by pid ${process.pid}` });
  j.close();
  assert.equal(fs.existsSync(file + ".lock"), false);
  openJournal(file).close();
});

test("a lock left by a process that is gone is taken over", async () => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
  fs.writeFileSync(file + ".lock", dead);
  const j = openJournal(file);
  assert.equal(fs.readFileSync(file + ".lock", "utf8"), String(process.pid));
  j.close();
});

test("a read-only journal (dry run) reads, refuses puts and creates nothing", async () => {
  const ro = openJournal(file, { readOnly: true });
  assert.equal(await ro.get("a"), null);
  await assert.rejects(ro.put("a", "1"), { code: "JOURNAL" });
  ro.close();
  assert.equal(fs.existsSync(path.dirname(file)), false);
  const j = openJournal(file);
  await j.put("a", "1");
  const ro2 = openJournal(file, { readOnly: true }); // no lock needed next to a writer
  assert.equal(await ro2.get("a"), "1");
  j.close();
});

test("the default path is per site under PORTAL_MIGRATE_STATE_DIR", () => {
  assert.equal(defaultJournalPath("http://127.0.0.1:8080", { PORTAL_MIGRATE_STATE_DIR: "/s" }), path.join("/s", "127.0.0.1_8080", "journal.jsonl"));
  assert.equal(defaultJournalPath("https://acme.atlassian.net", {}), path.join(os.homedir(), ".portal-migrate", "acme.atlassian.net", "journal.jsonl"));
});

test("a new journal is readable by its owner only (it holds emails and account ids)", async () => {
  const old = process.umask(0o022);
  try {
    const j = openJournal(file);
    await j.put("customer/x", "1");
    j.close();
  } finally {
    process.umask(old);
  }
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
});
