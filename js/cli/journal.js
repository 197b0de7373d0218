// The CLI's journal: an append-only file of JSON lines, the last line for a key wins.
//
//   {"k": key, "v": value-text}                     a put
//   {"c": key, "v": {"owner", "expiresMs"} | null}   a claim (null: released), HACKING.md "The journal contract"
//
// Memory holds an index, not the records and not the keys: per key the file offset and length of
// its latest line (two typed arrays addressed by a slot number) and a hash of the key
// (keyindex.js), the claims (small, and decided in memory), and a small LRU of recently read or
// written values. `get` reads the line back with a positioned read (the page cache makes that a
// memory copy) and confirms its key; `list` and `listPage` read back the lines of their prefix.
//
// Group commit: puts and claims queue; one write + one fsync covers every record queued while the
// previous fsync ran, both on libuv's thread pool (fs.write / fs.fsync with callbacks), so the event
// loop never blocks on the disk. Each put's promise resolves only after the fsync that covered its
// bytes returned: "a resolved put is on disk" holds exactly as with one fsync per put. A failed
// write or fsync fails its batch and every later call (after a failed fsync the kernel may have
// dropped the dirty pages; nothing written afterwards could be trusted).
//
// Claims are atomic because the decision is synchronous (one JS turn: read, check, update the
// in-memory claim) and the pid lock (lock.js) keeps every other process out of this file. A claim
// is journaled like a put and its promise resolves after its fsync. Opening the file voids the
// claims in it: they belong to processes that no longer hold the lock.
//
// Crash safety: a torn last line (a crash mid-write) is dropped and cut off on open; a garbled line
// anywhere else is an error, never silently skipped. Compaction (on open, when superseded lines pile
// up) copies the live lines to a temp file, fsyncs it, renames it over the journal and fsyncs the
// directory: a crash at any point leaves either the old file or the new one, both complete.
// Temp files a killed compaction left behind are removed on the next open (under the lock).
import nodeFs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lock } from "./lock.js";
import { keyIndex } from "./keyindex.js";

const COMPACT_MIN = 1000; // superseded lines before a rewrite is worth it
const CACHE_ENTRIES = 256; // values kept after a put or get (an LRU)
const READ_CHUNK = 1 << 20; // bytes read at a time when scanning on open

export function defaultJournalPath(siteUrl, env = process.env) {
  const dir = env.PORTAL_MIGRATE_STATE_DIR || path.join(os.homedir(), ".portal-migrate");
  return path.join(dir, new URL(siteUrl).host.replaceAll(":", "_"), "journal.jsonl");
}

// ---------------------------------------------------------------------------------------------
// Claims: the decision every host makes (HACKING.md "The journal contract").

/**
 * Decides a claim against `claims` (a Map key → {owner, expiresMs}) and applies it, synchronously.
 * Shared by the memory journals and the file journal; the Worker and Forge hosts implement the same
 * rule in their storage.
 */
export function decideClaim(claims, key, opts) {
  const { owner, leaseMs, now } = checkClaimArgs(key, opts);
  const current = claims.get(key) ?? null;
  if (!current || current.expiresMs <= now || current.owner === owner) {
    const next = { owner, expiresMs: now + leaseMs };
    claims.set(key, next);
    return { won: true, owner, expiresMs: next.expiresMs, previous: current ? { ...current } : null };
  }
  return { won: false, owner: current.owner, expiresMs: current.expiresMs, previous: { ...current } };
}

/** Deletes the claim at `key` when `owner` holds it; true when it did. */
export function decideRelease(claims, key, owner) {
  if (typeof key !== "string") throw journalError("release: key must be a string");
  const current = claims.get(key);
  if (!current || current.owner !== owner) return false;
  claims.delete(key);
  return true;
}

export function checkClaimArgs(key, opts) {
  if (typeof key !== "string" || !key) throw journalError("claim: key must be a non-empty string");
  const { owner, leaseMs, now } = opts ?? {};
  if (typeof owner !== "string" || !owner) throw journalError(`claim ${key}: owner must be a non-empty string`);
  if (!Number.isFinite(leaseMs) || leaseMs < 0) throw journalError(`claim ${key}: leaseMs must be a non-negative number`);
  if (!Number.isFinite(now)) throw journalError(`claim ${key}: now must be a number (epoch ms)`);
  return { owner, leaseMs, now };
}

// ---------------------------------------------------------------------------------------------

/** A journal in memory (the demo; tests). */
export function memoryJournal() {
  const map = new Map();
  const claims = new Map();
  return {
    path: null,
    map,
    claims,
    get: async (k) => map.get(k) ?? null,
    put: async (k, v) => { map.set(k, String(v)); },
    list: async (prefix) => listOf(map, prefix),
    listPage: async (prefix, cursor, limit) => pageOf(listOf(map, prefix).map(([k]) => k), cursor, limit, (k) => map.get(k)),
    claim: async (k, opts) => decideClaim(claims, k, opts),
    release: async (k, owner) => decideRelease(claims, k, owner),
    close() {},
  };
}

function listOf(map, prefix) {
  return [...map].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const byKey = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of a listing (HACKING.md "The journal contract"): up to `limit` of the sorted `keys`
 * after `cursor` (the last key of the page before; null: the start), with their values, and the
 * cursor of the next page (null: this was the last).
 */
export function pageOf(keys, cursor, limit, valueOf) {
  const n = Math.max(1, Math.floor(Number(limit)) || 1);
  let i = 0;
  if (cursor != null) {
    let hi = keys.length;
    while (i < hi) {
      const mid = (i + hi) >>> 1;
      if (keys[mid] <= cursor) i = mid + 1;
      else hi = mid;
    }
  }
  const page = keys.slice(i, i + n);
  return { entries: page.map((k) => [k, valueOf(k)]), cursor: i + n < keys.length ? page[page.length - 1] : null };
}

function journalError(message) {
  const e = new Error(message);
  e.code = "JOURNAL";
  return e;
}

/**
 * Opens (creating) FILE under a pid lock. readOnly (a dry run) takes no lock, creates nothing and
 * rejects every put; its claims live in memory only (a dry run acts on nothing, so they guard
 * nothing that needs a disk).
 *
 * options.fs replaces node:fs (tests inject failures and count fsyncs); cacheEntries sizes the LRU.
 */
export function openJournal(file, { readOnly = false, compactMin = COMPACT_MIN, fs = nodeFs, cacheEntries = CACHE_ENTRIES } = {}) {
  if (readOnly) return openReadOnly(file, fs, cacheEntries);
  // Owner-only: the journal holds customers' emails and account ids (SECURITY.md).
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const unlock = lock(file, { fs });
  let fd = null;
  try {
    removeStaleTemps(fs, file);
    const created = !fs.existsSync(file);
    fd = fs.openSync(file, "a+", 0o600);
    if (created) syncDir(fs, file);
    let state = scan(fs, fd, file, { repair: true });
    // This process holds the pid lock, so every claim in the file was made by a process that is gone
    // (a crash, Ctrl-C): none of them guards anything now, and a resume must not wait for its lease.
    state.claims.clear();
    if (state.lines - state.index.size - state.claims.size >= compactMin && state.lines > 2 * (state.index.size + state.claims.size)) {
      fs.closeSync(fd);
      fd = null;
      compact(fs, file, state);
      fd = fs.openSync(file, "a+", 0o600);
      state = scan(fs, fd, file, { repair: false });
    }
    return fileJournal({ fs, file, fd, state, unlock, cacheEntries });
  } catch (e) {
    if (fd !== null) try { fs.closeSync(fd); } catch { /* already failing */ }
    unlock();
    throw e;
  }
}

function openReadOnly(file, fs, cacheEntries) {
  if (!fs.existsSync(file)) {
    const claims = new Map();
    return {
      path: file,
      get: async () => null,
      put: async (k) => { throw journalError(`journal is read-only (dry run); refused put ${k}`); },
      list: async () => [],
      claim: async (k, opts) => decideClaim(claims, k, opts),
      release: async (k, owner) => decideRelease(claims, k, owner),
      stats: () => ({ keys: 0, claims: claims.size, fsyncs: 0, writes: 0, indexBytes: 0 }),
      close() {},
    };
  }
  const fd = fs.openSync(file, "r");
  const state = scan(fs, fd, file, { repair: false });
  const reader = recordReader(fs, () => fd, state, cacheEntries);
  let closed = false;
  const live = () => { if (closed) throw journalError(`journal ${file} is closed`); };
  return {
    path: file,
    get: async (k) => { live(); return reader.get(k); },
    put: async (k) => { throw journalError(`journal is read-only (dry run); refused put ${k}`); },
    list: async (prefix) => { live(); return reader.list(prefix); },
    listPage: async (prefix, cursor, limit) => { live(); return reader.page(String(prefix), cursor, limit); },
    claim: async (k, opts) => decideClaim(state.claims, k, opts),
    release: async (k, owner) => decideRelease(state.claims, k, owner),
    stats: () => ({ keys: state.index.size, claims: state.claims.size, fsyncs: 0, writes: 0, indexBytes: state.slots.bytes() + state.index.bytes() }),
    index: state.index,
    slots: state.slots,
    close() {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}

/** The writable journal over an open, scanned file. */
function fileJournal({ fs, file, fd, state, unlock, cacheEntries }) {
  const { index, slots, claims } = state;
  let size = state.size; // bytes in the file (where the next batch lands: O_APPEND, and we are the only writer)
  let closed = false; // no new calls
  let released = false; // fd closed, lock released
  let broken = null; // the error that failed a batch
  let queue = []; // records waiting for the next batch
  let scheduled = false;
  let flushing = false;
  const counters = { fsyncs: 0, writes: 0, batches: 0, records: 0 };
  const reader = recordReader(fs, () => fd, state, cacheEntries);

  const usable = () => {
    if (closed) throw journalError(`journal ${file} is closed`);
    if (broken) throw journalError(`journal ${file} failed an earlier write (${broken.message}); nothing is written after that`);
  };

  function enqueue(line, apply) {
    return new Promise((resolve, reject) => {
      queue.push({ line, apply, resolve, reject });
      if (!scheduled && !flushing) {
        scheduled = true;
        // setImmediate, not a microtask: every put issued in this turn of the event loop joins the batch.
        setImmediate(flush);
      }
    });
  }

  async function flush() {
    scheduled = false;
    flushing = true;
    try {
      while (queue.length) {
        const batch = queue;
        queue = [];
        if (broken) {
          for (const r of batch) r.reject(journalError(`write ${file}: ${broken.message}`));
          continue;
        }
        const buf = batch.length === 1 ? batch[0].line : Buffer.concat(batch.map((r) => r.line));
        try {
          await writeAllAsync(fs, fd, buf, counters);
          await fsyncAsync(fs, fd);
          counters.fsyncs++;
        } catch (e) {
          broken = e;
          for (const r of batch) r.reject(journalError(`write ${file}: ${e.message}`));
          continue;
        }
        counters.batches++;
        let off = size;
        size += buf.length;
        for (const r of batch) {
          r.apply?.(off, r.line.length - 1); // the index points at the line without its newline
          off += r.line.length;
          counters.records++;
          r.resolve();
        }
      }
    } finally {
      flushing = false;
      if (closed) finishClose();
    }
  }

  function finishClose() {
    if (released) return;
    released = true;
    try { fs.closeSync(fd); } finally { unlock(); }
  }

  return {
    path: file,
    async get(k) {
      if (closed) throw journalError(`journal ${file} is closed`);
      return reader.get(k);
    },
    put(k, v) {
      try {
        usable();
        const key = String(k);
        const value = String(v);
        const line = Buffer.from(JSON.stringify({ k: key, v: value }) + "\n");
        return enqueue(line, (off, len) => reader.setLine(key, off, len, value));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    async list(prefix) {
      if (closed) throw journalError(`journal ${file} is closed`);
      return reader.list(String(prefix));
    },
    async listPage(prefix, cursor, limit) {
      if (closed) throw journalError(`journal ${file} is closed`);
      return reader.page(String(prefix), cursor, limit);
    },
    async claim(k, opts) {
      usable();
      // Decided and applied in this synchronous section: no other claim of this process can
      // interleave, and the lock keeps other processes out.
      const result = decideClaim(claims, k, opts);
      if (!result.won) return result;
      await enqueue(Buffer.from(JSON.stringify({ c: k, v: { owner: result.owner, expiresMs: result.expiresMs } }) + "\n"));
      return result;
    },
    async release(k, owner) {
      usable();
      if (!decideRelease(claims, k, owner)) return false;
      await enqueue(Buffer.from(JSON.stringify({ c: k, v: null }) + "\n"));
      return true;
    },
    /** Figures for tests and the bench: what memory holds and what the disk was asked. */
    stats: () => ({ keys: index.size, claims: claims.size, indexBytes: slots.bytes() + index.bytes(), cached: reader.cached(), ...counters }),
    index,
    slots,
    /** Resolves when every queued record is on disk (tests; close() does not wait). */
    async flushed() {
      while (queue.length || flushing || scheduled) await new Promise((r) => setImmediate(r));
    },
    close() {
      if (closed) return;
      closed = true;
      // Records already queued still get written: their callers were promised an answer. The file
      // and the lock go when the last batch is done.
      if (!flushing && !scheduled && !queue.length) finishClose();
      else if (!flushing && !scheduled) { scheduled = true; setImmediate(flush); }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The index

/** Offsets (Float64: exact up to 2^53 bytes) and lengths of each key's latest line, by slot. */
function slotTable() {
  let offs = new Float64Array(1024);
  let lens = new Uint32Array(1024);
  let n = 0;
  return {
    add(off, len) {
      if (n === offs.length) {
        const o = new Float64Array(offs.length * 2);
        o.set(offs);
        offs = o;
        const l = new Uint32Array(lens.length * 2);
        l.set(lens);
        lens = l;
      }
      offs[n] = off;
      lens[n] = len;
      return n++;
    },
    set(slot, off, len) {
      offs[slot] = off;
      lens[slot] = len;
    },
    off: (slot) => offs[slot],
    len: (slot) => lens[slot],
    count: () => n,
    bytes: () => offs.byteLength + lens.byteLength,
  };
}

/** get/list over the index: positioned reads of the latest line, with a small LRU of values. */
function recordReader(fs, fdOf, state, cacheEntries) {
  const { index, slots } = state;
  const cache = new Map();
  const read = lineReader(fs, fdOf, slots);

  const remember = (k, v) => {
    if (cacheEntries <= 0) return;
    cache.delete(k);
    cache.set(k, v);
    if (cache.size > cacheEntries) cache.delete(cache.keys().next().value);
  };

  function readValue(key, slot) {
    const rec = read(slot);
    if (rec.k !== key || typeof rec.v !== "string") throw journalError(`journal index points at the wrong record for ${key}`);
    return rec.v;
  }

  /** The records of `prefix` from slot `from`, at most `limit`: [[key, value]...] and the next slot. */
  function scanFrom(prefix, from, limit) {
    const out = [];
    let next = null;
    for (const slot of index.slots(prefix, from)) {
      if (out.length >= limit) { next = slot; break; }
      const rec = read(slot);
      if (rec.k.startsWith(prefix)) out.push([rec.k, rec.v]);
    }
    return { out, next };
  }

  return {
    get(key) {
      const hit = cache.get(key);
      if (hit !== undefined) {
        remember(key, hit);
        return hit;
      }
      const slot = index.find(key);
      if (slot === undefined) return null;
      const v = readValue(key, slot);
      remember(key, v);
      return v;
    },
    list(prefix) {
      return scanFrom(prefix, 0, Infinity).out.sort(([a], [b]) => byKey(a, b));
    },
    /** A page in slot order (the order keys first appeared); the cursor is the next slot. */
    page(prefix, cursor, limit) {
      const from = cursor == null ? 0 : Number(cursor);
      if (!Number.isInteger(from) || from < 0) throw journalError(`listPage: bad cursor ${JSON.stringify(cursor)}`);
      const n = Math.max(1, Math.floor(Number(limit)) || 1);
      const { out, next } = scanFrom(prefix, from, n);
      return { entries: out, cursor: next === null ? null : String(next) };
    },
    /** A put landed at [off, off+len): point the key at it and keep the value warm. */
    setLine(key, off, len, value) {
      const slot = index.find(key);
      if (slot === undefined) index.add(key, slots.add(off, len));
      else slots.set(slot, off, len);
      remember(key, value);
    },
    cached: () => cache.size,
  };
}

/** `read(slot)` → the record {k, v} of the slot's latest line (a positioned read). */
function lineReader(fs, fdOf, slots) {
  let scratch = Buffer.allocUnsafe(64 * 1024);
  return (slot) => {
    const off = slots.off(slot);
    const len = slots.len(slot);
    if (len > scratch.length) scratch = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(fdOf(), scratch, got, len - got, off + got);
      if (n === 0) throw journalError(`journal record at byte ${off} is cut short at byte ${off + got}`);
      got += n;
    }
    const rec = parseLine(scratch.toString("utf8", 0, len));
    if (!rec || rec.k === undefined) throw journalError(`journal index points at a line that is not a record (byte ${off})`);
    return rec;
  };
}

/**
 * Reads the file once, in chunks, building the index. A torn last line is dropped (and, with
 * repair, cut off and the cut fsynced). Returns { index, slots, claims, lines, size }.
 */
function scan(fs, fd, file, { repair }) {
  const slots = slotTable();
  const read = lineReader(fs, () => fd, slots);
  const index = keyIndex((slot) => read(slot).k);
  const claims = new Map();
  let lines = 0;
  let pos = 0; // file offset of buf[0]
  let buf = Buffer.alloc(0);
  let bad = null; // {off, line} of an unreadable line: fine only if nothing follows it
  let good = 0; // byte offset after the last good line
  let lineNo = 0;
  const chunk = Buffer.allocUnsafe(READ_CHUNK);
  let eof = false;
  while (!eof) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, pos + buf.length);
    if (n === 0) eof = true;
    else buf = buf.length ? Buffer.concat([buf, chunk.subarray(0, n)]) : Buffer.from(chunk.subarray(0, n));
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      lineNo++;
      const off = pos + start;
      if (bad) throw journalError(`journal ${file} line ${bad.line} is unreadable; fix or remove the file`);
      const text = buf.toString("utf8", start, nl);
      if (text.trim()) {
        const rec = parseLine(text);
        if (!rec) {
          bad = { off, line: lineNo };
        } else {
          lines++;
          if (rec.k !== undefined) {
            const slot = index.find(rec.k);
            if (slot === undefined) index.add(rec.k, slots.add(off, nl - start));
            else slots.set(slot, off, nl - start);
          } else if (rec.v === null) {
            claims.delete(rec.c);
          } else {
            claims.set(rec.c, { owner: rec.v.owner, expiresMs: rec.v.expiresMs });
          }
        }
      }
      if (!bad) good = pos + nl + 1;
      start = nl + 1;
    }
    pos += start;
    buf = buf.subarray(start);
  }
  // What is left in buf has no newline: a torn last line. An unreadable complete last line likewise.
  const end = pos + buf.length;
  if (good < end) {
    if (repair) {
      fs.ftruncateSync(fd, good);
      fs.fsyncSync(fd);
    }
  }
  return { index, slots, claims, lines, size: repair ? good : end };
}

function parseLine(text) {
  let r;
  try {
    r = JSON.parse(text);
  } catch {
    return null;
  }
  if (!r || typeof r !== "object") return null;
  if (typeof r.k === "string" && typeof r.v === "string") return r;
  if (typeof r.c === "string" && r.k === undefined) {
    if (r.v === null) return r;
    if (r.v && typeof r.v.owner === "string" && Number.isFinite(r.v.expiresMs)) return r;
  }
  return null;
}

/**
 * Rewrites the live lines (copied from the file in offset order, so reading is sequential) and
 * the claims to a temp file, fsyncs it, renames it over the journal and fsyncs the directory.
 */
function compact(fs, file, state) {
  const tmp = `${file}.tmp-${process.pid}`;
  const src = fs.openSync(file, "r");
  let out = null;
  try {
    out = fs.openSync(tmp, "w", 0o600);
    const order = Array.from({ length: state.slots.count() }, (_, i) => i).sort((a, b) => state.slots.off(a) - state.slots.off(b));
    let pending = [];
    let pendingBytes = 0;
    const drain = () => {
      if (!pendingBytes) return;
      writeAllSync(fs, out, Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    };
    for (const slot of order) {
      const len = state.slots.len(slot);
      const line = Buffer.allocUnsafe(len + 1);
      let got = 0;
      while (got < len) {
        const n = fs.readSync(src, line, got, len - got, state.slots.off(slot) + got);
        if (n === 0) throw journalError(`compact ${file}: record cut short`);
        got += n;
      }
      line[len] = 0x0a;
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= READ_CHUNK) drain();
    }
    for (const [c, v] of state.claims) {
      const line = Buffer.from(JSON.stringify({ c, v }) + "\n");
      pending.push(line);
      pendingBytes += line.length;
    }
    drain();
    fs.fsyncSync(out);
  } catch (e) {
    if (out !== null) try { fs.closeSync(out); } catch { /* failing anyway */ }
    out = null;
    try { fs.unlinkSync(tmp); } catch { /* never created */ }
    throw e;
  } finally {
    if (out !== null) fs.closeSync(out);
    fs.closeSync(src);
  }
  fs.renameSync(tmp, file);
  syncDir(fs, file);
}

/** A compaction killed before its rename leaves FILE.tmp-PID; we hold the lock, so none is live. */
function removeStaleTemps(fs, file) {
  const base = path.basename(file) + ".tmp-";
  let names;
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(base)) try { fs.unlinkSync(path.join(path.dirname(file), name)); } catch { /* gone */ }
  }
}

function writeAllSync(fs, fd, buf) {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

function writeAllAsync(fs, fd, buf, counters) {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = () => {
      counters.writes++;
      fs.write(fd, buf, off, buf.length - off, null, (err, n) => {
        if (err) return reject(err);
        off += n;
        if (off < buf.length) step();
        else resolve();
      });
    };
    step();
  });
}

function fsyncAsync(fs, fd) {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** Makes a new or renamed directory entry durable (not possible on every platform). */
function syncDir(fs, file) {
  try {
    const fd = fs.openSync(path.dirname(file), "r");
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch { /* Windows cannot open directories */ }
}
