// The journal's lock file: FILE.lock holds the owner's pid, so two runs never write one journal.
import fs from "node:fs";
import { UsageError } from "./errors.js";

const held = new Set(); // lock files this process holds

/**
 * FILE.lock holds the owner's pid. A lock whose pid is gone is stale (a crash) and taken over.
 * Node has no flock; two processes taking over the same stale lock at the same instant can race.
 * Returns the release function.
 */
export function lock(file) {
  const lockFile = `${file}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockFile, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      held.add(lockFile);
      const release = () => {
        process.off("exit", release);
        held.delete(lockFile);
        try {
          if (fs.readFileSync(lockFile, "utf8").trim() === String(process.pid)) fs.unlinkSync(lockFile);
        } catch { /* already gone */ }
      };
      process.on("exit", release);
      return release;
    } catch (e) {
      if (e.code !== "EEXIST") throw new UsageError(`cannot lock journal ${file}: ${e.message}`);
    }
    const owner = lockOwner(lockFile);
    if (owner.alive) throw new UsageError(`journal ${file} is in use by ${owner.pid ? `pid ${owner.pid}` : "another process"}`);
    try { fs.unlinkSync(lockFile); } catch { /* someone else took it over */ }
  }
  throw new UsageError(`cannot lock journal ${file}: ${lockFile} keeps coming back`);
}

function lockOwner(lockFile) {
  let text, mtime;
  try {
    text = fs.readFileSync(lockFile, "utf8").trim();
    mtime = fs.statSync(lockFile).mtimeMs;
  } catch {
    return { alive: false };
  }
  const pid = Number(text);
  // Empty: the owner created it a moment ago and has not written its pid yet.
  if (!text) return { alive: Date.now() - mtime < 5000, pid: null };
  if (!Number.isInteger(pid) || pid <= 0) return { alive: false };
  // Our own pid: held by us, or left by an earlier process that had the same pid (containers).
  if (pid === process.pid) return { alive: held.has(lockFile), pid };
  try {
    process.kill(pid, 0);
    return { alive: true, pid };
  } catch (e) {
    return { alive: e.code === "EPERM", pid };
  }
}
