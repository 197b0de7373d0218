// The journal's lock file: FILE.lock holds the owner's pid, so two runs never write one journal.
//
// Every step that decides who holds the lock is one atomic file-system operation that fails when
// its target exists, so two processes can never both believe they won:
//
//  1. Taking a free lock: the pid is written to a unique temp file, which is then link()ed to
//     FILE.lock. link(2) fails with EEXIST when the name exists (POSIX: "If path2 names an
//     existing file, link() shall fail"; Node's fs.linkSync is that call), so of any number of
//     processes racing for an absent lock exactly one creates it, and the lock is never seen
//     half-written (an O_CREAT|O_EXCL open would show an empty file until the pid is written).
//  2. Taking over a stale lock (its pid is gone: a crash): removing FILE.lock and creating it again
//     is two steps, and a racer that judged the same stale lock can remove the lock the first one
//     just created (the old scheme let two runs proceed in 6 of 53 trials). Instead, a taker first
//     wins a takeover token for that exact lock file: FILE.lock.takeover-<inode>-<generation>,
//     created with link() like the lock itself, so one taker per stale file. Holding the token it
//     re-reads FILE.lock (same inode, same dead pid?) and only then rename()s its own pid file over
//     FILE.lock (rename replaces atomically). Nobody else can change FILE.lock meanwhile: a stale lock
//     is only ever replaced by its token holder, and a live one is never touched. A token whose
//     holder died mid-takeover is passed over by creating the next generation (again link(), again
//     one winner), never by deleting it, so there is no delete-then-create race at that level either.
//     Tokens are removed when the takeover is done; a late racer that creates one afterwards finds
//     FILE.lock changed on its re-read and backs off.
//  3. Releasing: the owner unlinks FILE.lock after checking it still holds its pid (only the owner
//     ever changes a live lock).
//
// A pid that still runs (or that we may not signal: EPERM) is alive; our own pid is alive only while
// this process holds the lock (an earlier process with the same pid, e.g. in a container, left it).
import nodeFs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { UsageError } from "./errors.js";

const held = new Set(); // lock files this process holds
const ATTEMPTS = 50;

/** Takes FILE.lock or throws a UsageError naming the owner. Returns the release function. */
export function lock(file, { fs = nodeFs } = {}) {
  const lockFile = `${file}.lock`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (tryCreate(fs, lockFile, file)) return holding(fs, lockFile);
    const seen = readLock(fs, lockFile);
    if (!seen) continue; // released between our link and our read: try again
    const owner = judge(seen, lockFile);
    if (owner.alive) throw new UsageError(`journal ${file} is in use by ${owner.pid ? `pid ${owner.pid}` : "another process"}`);
    const outcome = takeOver(fs, lockFile, file, seen);
    if (outcome === "won") return holding(fs, lockFile);
    // "busy": another process is taking this stale lock over right now; "lost": it changed under us.
    // Either way look again shortly: it is live by then, or free.
    if (outcome === "busy") pause(5 + attempt * 2);
  }
  throw new UsageError(`cannot lock journal ${file}: ${lockFile} keeps changing; is another run starting?`);
}

function holding(fs, lockFile) {
  held.add(lockFile);
  const release = () => {
    process.off("exit", release);
    if (!held.delete(lockFile)) return;
    try {
      if (fs.readFileSync(lockFile, "utf8").trim() === String(process.pid)) fs.unlinkSync(lockFile);
    } catch { /* already gone */ }
  };
  process.on("exit", release);
  return release;
}

/** A unique file holding our pid, complete before anyone can see it under another name. */
function pidFile(fs, lockFile) {
  const tmp = `${lockFile}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, String(process.pid), { flag: "wx", mode: 0o600 });
  return tmp;
}

/** Step 1: link a pid file to FILE.lock; true when we created it. */
function tryCreate(fs, lockFile, file) {
  let tmp;
  try {
    tmp = pidFile(fs, lockFile);
    fs.linkSync(tmp, lockFile);
    return true;
  } catch (e) {
    if (e.code === "EEXIST" && tmp) return false;
    throw new UsageError(`cannot lock journal ${file}: ${e.message}`);
  } finally {
    if (tmp) try { fs.unlinkSync(tmp); } catch { /* gone */ }
  }
}

/** {text, ino, mtimeMs} of FILE.lock from one open file (so the three agree), or null if absent. */
function readLock(fs, lockFile) {
  let fd;
  try {
    fd = fs.openSync(lockFile, "r");
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    const buf = Buffer.alloc(64);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.toString("utf8", 0, n).trim(), ino: st.ino, mtimeMs: st.mtimeMs };
  } finally {
    fs.closeSync(fd);
  }
}

function judge({ text, mtimeMs }, lockFile) {
  // Empty: left by an older version that created the file before writing the pid, a moment ago.
  if (!text) return { alive: Date.now() - mtimeMs < 5000, pid: null };
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return { alive: false, pid: null };
  return { alive: pidAlive(pid, lockFile), pid };
}

function pidAlive(pid, lockFile) {
  if (pid === process.pid) return held.has(lockFile);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** Step 2: the stale lock `seen` becomes ours, or someone else is on it ("busy"), or it moved ("lost"). */
function takeOver(fs, lockFile, file, seen) {
  const prefix = `${path.basename(lockFile)}.takeover-${seen.ino}-`;
  const dir = path.dirname(lockFile);
  let token = null;
  for (let g = 0; g < 100 && !token; g++) {
    const name = path.join(dir, prefix + g);
    let tmp;
    try {
      tmp = pidFile(fs, lockFile);
      fs.linkSync(tmp, name);
      token = name;
    } catch (e) {
      if (e.code !== "EEXIST") throw new UsageError(`cannot lock journal ${file}: ${e.message}`);
      const holder = readLock(fs, name);
      // A live holder is taking it over; a dead one (or a token that vanished) is passed over.
      if (holder && judge(holder, name).alive) return "busy";
    } finally {
      if (tmp) try { fs.unlinkSync(tmp); } catch { /* gone */ }
    }
  }
  if (!token) return "busy";
  try {
    const now = readLock(fs, lockFile);
    if (!now || now.ino !== seen.ino || now.text !== seen.text || judge(now, lockFile).alive) return "lost";
    const tmp = pidFile(fs, lockFile);
    try {
      fs.renameSync(tmp, lockFile);
    } catch (e) {
      try { fs.unlinkSync(tmp); } catch { /* gone */ }
      throw new UsageError(`cannot lock journal ${file}: ${e.message}`);
    }
    return "won";
  } finally {
    // Ours and the dead ones before it; a racer creating one later re-reads FILE.lock and backs off.
    const mineAt = Number(token.slice(token.lastIndexOf("-") + 1));
    for (let g = 0; g <= mineAt; g++) try { fs.unlinkSync(path.join(dir, prefix + g)); } catch { /* gone */ }
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function pause(ms) {
  Atomics.wait(sleeper, 0, 0, ms);
}
