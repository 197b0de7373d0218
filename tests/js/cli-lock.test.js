// The journal lock under real concurrency: N processes started at once against one journal whose
// lock file was left by a dead process; exactly one may proceed, every trial. And a live owner is
// never displaced, whether it took a free lock or a stale one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openJournal } from "../../js/cli/journal.js";

const CHILD = fileURLToPath(new URL("./helpers/lock-child.js", import.meta.url));
const N = Number(process.env.LOCK_TEST_PROCESSES ?? 8);
const TRIALS = Number(process.env.LOCK_TEST_TRIALS ?? 20);

function deadPid() {
  return spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
}

function tmpJournal() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-lock-"));
  return { dir, file: path.join(dir, "journal.jsonl") };
}

/** Starts n children, releases them at once, and resolves their verdicts ("won <pid>" | "busy …"). */
async function race(file, n) {
  const kids = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [CHILD, file], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    const lines = [];
    const waiters = [];
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf("\n")) >= 0) {
        lines.push(out.slice(0, nl));
        out = out.slice(nl + 1);
        waiters.splice(0).forEach((w) => w());
      }
    });
    const exited = new Promise((r) => child.on("exit", r));
    const line = async (i) => {
      while (lines.length <= i) await new Promise((r) => waiters.push(r));
      return lines[i];
    };
    kids.push({ child, line, exited });
  }
  for (const k of kids) assert.equal(await k.line(0), "ready");
  for (const k of kids) k.child.stdin.write("go\n"); // as close to "at once" as one event loop can
  const verdicts = [];
  for (const k of kids) verdicts.push(await k.line(1));
  return {
    verdicts,
    async end() {
      for (const k of kids) k.child.stdin.end();
      await Promise.all(kids.map((k) => k.exited));
    },
  };
}

test(`a stale lock: ${N} processes at once, exactly one proceeds (${TRIALS} trials)`, { timeout: 300_000 }, async () => {
  const dead = deadPid();
  const winners = [];
  for (let t = 0; t < TRIALS; t++) {
    const { dir, file } = tmpJournal();
    fs.writeFileSync(file + ".lock", dead);
    const r = await race(file, N);
    try {
      const won = r.verdicts.filter((v) => v.startsWith("won "));
      assert.equal(won.length, 1, `trial ${t + 1}: ${JSON.stringify(r.verdicts)}`);
      for (const v of r.verdicts.filter((v) => !v.startsWith("won "))) assert.match(v, /^busy journal .* is in use by pid \d+$/);
      const pid = won[0].slice(4);
      // The winner holds it: the lock names it, and a second wave cannot displace it.
      assert.equal(fs.readFileSync(file + ".lock", "utf8"), pid);
      const second = await race(file, 3);
      assert.deepEqual(second.verdicts, Array(3).fill(`busy journal ${file} is in use by pid ${pid}`));
      await second.end();
      assert.equal(fs.readFileSync(file + ".lock", "utf8"), pid);
      winners.push(pid);
    } finally {
      await r.end();
    }
    // Released on close; nothing but the journal is left (no temp pid files, no takeover tokens).
    assert.deepEqual(fs.readdirSync(dir), ["journal.jsonl"]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(winners.length, TRIALS);
});

test(`a live owner is never displaced by ${N} processes at once`, { timeout: 120_000 }, async () => {
  for (let t = 0; t < 5; t++) {
    const { dir, file } = tmpJournal();
    const j = openJournal(file);
    try {
      const r = await race(file, N);
      await r.end();
      assert.deepEqual(r.verdicts, Array(N).fill(`busy journal ${file} is in use by pid ${process.pid}`));
      assert.equal(fs.readFileSync(file + ".lock", "utf8"), String(process.pid));
      await j.put("still", "mine");
    } finally {
      j.close();
    }
    assert.equal(fs.existsSync(file + ".lock"), false);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a takeover token left by a taker that died is passed over", async () => {
  const { dir, file } = tmpJournal();
  const dead = deadPid();
  fs.writeFileSync(file + ".lock", dead);
  const ino = fs.statSync(file + ".lock").ino;
  fs.writeFileSync(`${file}.lock.takeover-${ino}-0`, deadPid()); // crashed mid-takeover
  const j = openJournal(file);
  assert.equal(fs.readFileSync(file + ".lock", "utf8"), String(process.pid));
  j.close();
  assert.deepEqual(fs.readdirSync(dir), ["journal.jsonl"]);
});

test("a takeover token held by a live process means wait, not take", async () => {
  const { file } = tmpJournal();
  fs.writeFileSync(file + ".lock", deadPid());
  const ino = fs.statSync(file + ".lock").ino;
  const token = `${file}.lock.takeover-${ino}-0`;
  // A live taker (a child that sleeps) holds the token and never finishes: we must not take the
  // lock, and we give up with a clear message instead of spinning forever.
  const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  try {
    fs.writeFileSync(token, String(sleeper.pid));
    assert.throws(() => openJournal(file), { name: "UsageError", message: /keeps changing/ });
    assert.notEqual(fs.readFileSync(file + ".lock", "utf8"), String(process.pid));
  } finally {
    sleeper.kill();
  }
});
