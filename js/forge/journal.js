// The core's journal ({get, put, list}, HACKING.md) on Forge KVS.
//
// KVS keys may only hold [a-zA-Z0-9:._\s-#] and at most 500 characters; the core's keys contain
// '/' (`job/{id}`, `customer/{portal id}`) and a portal id or email may contain anything. So each
// key is escaped: [A-Za-z0-9:._-] pass through, every other UTF-8 byte becomes '#' + 2 hex digits.
// The escaping works byte by byte, so escape(prefix) is a prefix of escape(key) exactly when prefix
// is a prefix of key: list(prefix) is one KVS `beginsWith` query.
//
// `put` resolves after kvs.set resolved, which is when KVS has stored the value: the core relies on
// that (it journals "intent" before the one irreversible call).
//
// Claims (HACKING.md "The journal contract") live under their own namespace "c:", so list() — a
// query of "j:" keys — never returns one. KVS offers no compare-and-set on a plain key, only an
// atomic create-if-absent (kvs.create: keyPolicy FAIL_IF_EXISTS, js/forge/kvs-claims.js). A claim
// is therefore a chain of immutable generations:
//
//   c:<key>#g1, c:<key>#g2, …   each {owner, expiresMs} ({owner: null} after a release),
//                               created with FAIL_IF_EXISTS and never changed or deleted
//   c:<key>#h                   the newest generation seen (a hint for where to start reading)
//
// The claim is the newest generation. To claim, read the newest generation n, decide as the
// contract says (absent, released, expired or own → take), and create generation n+1. Exactly one
// of any number of concurrent takers creates n+1; the others re-read and find it (a live foreign
// claim: won false). Safe however stale a read is: generation n+1 can only be created once, and
// whoever creates it judged generation n, which no one can change afterwards — so a takeover of an
// expired claim can never let two takers both win (a delete-then-create scheme can). Release
// creates a released generation the same way, and only on top of the owner's own generation.
//
// Reading the newest generation: start at the hint (or 1) and probe forward, doubling the step,
// then bisect; generations exist without gaps from 1 to the newest, so this finds it in 2-3 gets
// when the hint is current. Generations are never deleted (a TTL would let a lagging taker
// recreate one): every claim, renewal and release of a key adds one small KVS key.

const NAMESPACE = "j:";
const CLAIMS = "c:";
const CLAIM_TRIES = 32; // conflicts in a row before a claim gives up (each means another caller won a generation)
const MAX_KEY = 500;
const PAGE = 100; // the KVS query limit
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function escapeKey(key) {
  let out = "";
  for (const b of encoder.encode(key)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9:._-]/.test(c) ? c : "#" + b.toString(16).padStart(2, "0");
  }
  return out;
}

export function unescapeKey(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "#") {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

function journalError(message) {
  const err = new Error(message);
  err.code = "JOURNAL";
  return err;
}

/**
 * kvs: the platform adapter's `{ get(key), set(key, value), query(prefix, cursor), create(key, value) }`
 * (js/forge/platform.js; `create` from js/forge/kvs-claims.js), values are the core's JSON texts
 * stored as KVS strings.
 */
export function kvsJournal(kvs) {
  const storageKey = (key) => {
    const k = NAMESPACE + escapeKey(String(key));
    if (k.length > MAX_KEY) throw journalError(`journal key is too long for Forge KVS (${k.length} > ${MAX_KEY} characters): ${String(key).slice(0, 80)}…`);
    return k;
  };
  const claimBase = (key) => {
    if (typeof key !== "string" || !key) throw journalError("claim: key must be a non-empty string");
    const base = CLAIMS + escapeKey(key);
    // "#g" + up to 15 digits must fit too
    if (base.length + 17 > MAX_KEY) throw journalError(`claim key is too long for Forge KVS (${base.length + 17} > ${MAX_KEY} characters): ${key.slice(0, 80)}…`);
    return base;
  };
  const gen = (base, n) => `${base}#g${n}`;
  const readGen = async (base, n) => {
    const v = await kvs.get(gen(base, n));
    if (v === undefined || v === null) return null;
    if (typeof v !== "object" || !("owner" in v) || !Number.isFinite(v.expiresMs)) throw journalError(`claim generation ${gen(base, n)} is unreadable`);
    return v;
  };
  /** The newest generation {n, value} (n = 0: never claimed). */
  async function newest(base) {
    let start = Number(await kvs.get(`${base}#h`));
    if (!Number.isInteger(start) || start < 1) start = 1;
    let at = await readGen(base, start);
    if (!at && start > 1) {
      start = 1; // a hint ahead of what this read can see: probe from the start
      at = await readGen(base, 1);
    }
    if (!at) return { n: 0, value: null };
    let lo = start;
    let loValue = at;
    let hi = null;
    for (let step = 1; hi === null; step *= 2) {
      const v = await readGen(base, lo + step);
      if (v) {
        lo += step;
        loValue = v;
      } else {
        hi = lo + step;
      }
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const v = await readGen(base, mid);
      if (v) {
        lo = mid;
        loValue = v;
      } else {
        hi = mid;
      }
    }
    return { n: lo, value: loValue };
  }
  async function createGen(base, n, value) {
    if (typeof kvs.create !== "function") throw journalError("the Forge platform adapter has no kvs.create (js/forge/kvs-claims.js): claims need it");
    const created = await kvs.create(gen(base, n), value);
    if (created) {
      // Only a hint: a failure here leaves readers a few more gets, never a wrong answer.
      try { await kvs.set(`${base}#h`, n); } catch { /* the claim itself is stored */ }
    }
    return created;
  }
  const live = (v) => (v && v.owner !== null ? { owner: v.owner, expiresMs: v.expiresMs } : null);

  return {
    async claim(key, opts) {
      const base = claimBase(key);
      const { owner, leaseMs, now } = opts ?? {};
      if (typeof owner !== "string" || !owner) throw journalError(`claim ${key}: owner must be a non-empty string`);
      if (!Number.isFinite(leaseMs) || leaseMs < 0) throw journalError(`claim ${key}: leaseMs must be a non-negative number`);
      if (!Number.isFinite(now)) throw journalError(`claim ${key}: now must be a number (epoch ms)`);
      for (let tries = 0; tries < CLAIM_TRIES; tries++) {
        const { n, value } = await newest(base);
        const current = live(value);
        if (current && current.expiresMs > now && current.owner !== owner) {
          return { won: false, owner: current.owner, expiresMs: current.expiresMs, previous: current };
        }
        const next = { owner, expiresMs: now + leaseMs };
        if (await createGen(base, n + 1, next)) return { won: true, owner, expiresMs: next.expiresMs, previous: current };
        // Someone else created generation n+1 first: read again and decide on theirs.
      }
      throw journalError(`claim ${key}: ${CLAIM_TRIES} conflicting claims in a row; try again`);
    },

    async release(key, owner) {
      const base = claimBase(key);
      for (let tries = 0; tries < CLAIM_TRIES; tries++) {
        const { n, value } = await newest(base);
        const current = live(value);
        if (!current || current.owner !== owner) return false;
        if (await createGen(base, n + 1, { owner: null, expiresMs: 0 })) return true;
      }
      throw journalError(`release ${key}: ${CLAIM_TRIES} conflicting claims in a row; try again`);
    },

    async get(key) {
      const v = await kvs.get(storageKey(key));
      return v === undefined || v === null ? null : String(v);
    },
    async put(key, value) {
      await kvs.set(storageKey(key), String(value));
    },
    // Not part of the core's contract: the host's job index drops entries of finished jobs
    // (js/core/job-records.js). Only when the adapter can delete.
    ...(typeof kvs.delete === "function" ? { delete: async (key) => { await kvs.delete(storageKey(key)); } } : {}),

    async list(prefix) {
      const p = NAMESPACE + escapeKey(String(prefix));
      const out = [];
      let cursor;
      for (let pages = 0; ; pages++) {
        if (pages > 100_000) throw journalError(`list ${prefix}: too many pages`);
        const { results, nextCursor } = await kvs.query(p, cursor, PAGE);
        for (const r of results) {
          if (typeof r.key === "string" && r.key.startsWith(p)) out.push([unescapeKey(r.key.slice(NAMESPACE.length)), String(r.value)]);
        }
        if (!nextCursor || results.length === 0) break;
        cursor = nextCursor;
      }
      return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
    // A page of `list` (HACKING.md "The journal contract"): one KVS query; the cursor is KVS's own.
    async listPage(prefix, cursor, limit) {
      const p = NAMESPACE + escapeKey(String(prefix));
      const n = Math.max(1, Math.min(PAGE, Math.floor(Number(limit)) || 1));
      const { results, nextCursor } = await kvs.query(p, cursor ?? undefined, n);
      const entries = results
        .filter((r) => typeof r.key === "string" && r.key.startsWith(p))
        .map((r) => [unescapeKey(r.key.slice(NAMESPACE.length)), String(r.value)]);
      return { entries, cursor: nextCursor && results.length ? String(nextCursor) : null };
    },
  };
}
