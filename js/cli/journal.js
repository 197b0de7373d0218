// The CLI's journal: an append-only file of JSON lines {"k": key, "v": value-text}, the last line for
// a key wins. put() resolves only after fsync, because the core relies on a resolved put surviving a
// crash (it writes "intent" before a migrate call and "migrated" right after).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lock } from "./lock.js";

const COMPACT_MIN = 1000; // superseded lines before a rewrite is worth it

export function defaultJournalPath(siteUrl, env = process.env) {
  const dir = env.PORTAL_MIGRATE_STATE_DIR || path.join(os.homedir(), ".portal-migrate");
  return path.join(dir, new URL(siteUrl).host.replaceAll(":", "_"), "journal.jsonl");
}

/** A journal in memory (the demo; tests). */
export function memoryJournal() {
  const map = new Map();
  return {
    path: null,
    map,
    get: async (k) => map.get(k) ?? null,
    put: async (k, v) => { map.set(k, String(v)); },
    list: async (prefix) => listOf(map, prefix),
    close() {},
  };
}

/**
 * Opens (creating) FILE under a pid lock. readOnly (a dry run) takes no lock, creates nothing and
 * rejects every put.
 */
export function openJournal(file, { readOnly = false, compactMin = COMPACT_MIN } = {}) {
  if (readOnly) {
    const map = fs.existsSync(file) ? load(file, { repair: false }).map : new Map();
    return {
      path: file,
      map,
      get: async (k) => map.get(k) ?? null,
      put: async (k) => { throw journalError(`journal is read-only (dry run); refused put ${k}`); },
      list: async (prefix) => listOf(map, prefix),
      close() {},
    };
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const unlock = lock(file);
  try {
    const { map, lines } = load(file, { repair: true });
    if (lines - map.size >= compactMin && lines > 2 * map.size) compact(file, map);
    const created = !fs.existsSync(file);
    const fd = fs.openSync(file, "a");
    if (created) syncDir(file);
    let closed = false;
    return {
      path: file,
      map,
      get: async (k) => map.get(k) ?? null,
      async put(k, v) {
        if (closed) throw journalError(`journal ${file} is closed`);
        const line = JSON.stringify({ k, v: String(v) }) + "\n";
        try {
          writeAll(fd, Buffer.from(line));
          fs.fsyncSync(fd);
        } catch (e) {
          throw journalError(`write ${file}: ${e.message}`);
        }
        map.set(k, String(v));
      },
      list: async (prefix) => listOf(map, prefix),
      close() {
        if (closed) return;
        closed = true;
        fs.closeSync(fd);
        unlock();
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}

function listOf(map, prefix) {
  return [...map].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function journalError(message) {
  const e = new Error(message);
  e.code = "JOURNAL";
  return e;
}

/** Reads every line. A torn last line (a crash mid-write) is dropped and, with repair, cut off. */
function load(file, { repair }) {
  const map = new Map();
  if (!fs.existsSync(file)) return { map, lines: 0 };
  const buf = fs.readFileSync(file);
  let start = 0;
  let good = 0; // byte offset after the last good line
  let lines = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl;
    const text = buf.subarray(start, end).toString("utf8");
    const rec = nl < 0 ? null : parseLine(text);
    if (!rec) {
      const last = nl < 0 || nl + 1 >= buf.length;
      if (!last) throw journalError(`journal ${file} line ${lines + 1} is unreadable; fix or remove the file`);
      break;
    }
    if (text.trim()) {
      map.set(rec.k, rec.v);
      lines++;
    }
    start = nl + 1;
    good = start;
  }
  if (repair && good < buf.length) {
    fs.truncateSync(file, good);
    const fd = fs.openSync(file, "r+");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  return { map, lines };
}

function parseLine(text) {
  if (!text.trim()) return { blank: true };
  try {
    const r = JSON.parse(text);
    return r && typeof r.k === "string" && typeof r.v === "string" ? r : null;
  } catch {
    return null;
  }
}

/** Rewrites the live entries to a temp file, fsyncs it and renames it over the journal. */
function compact(file, map) {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, "w");
  try {
    const text = [...map].map(([k, v]) => JSON.stringify({ k, v }) + "\n").join("");
    writeAll(fd, Buffer.from(text));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDir(file);
}

function writeAll(fd, buf) {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** Makes a new or renamed directory entry durable (not possible on every platform). */
function syncDir(file) {
  try {
    const fd = fs.openSync(path.dirname(file), "r");
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch { /* Windows cannot open directories */ }
}
