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

const NAMESPACE = "j:";
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
 * kvs: the platform adapter's `{ get(key), set(key, value), query(prefix, cursor) }`
 * (js/forge/platform.js), values are the core's JSON texts stored as KVS strings.
 */
export function kvsJournal(kvs) {
  const storageKey = (key) => {
    const k = NAMESPACE + escapeKey(String(key));
    if (k.length > MAX_KEY) throw journalError(`journal key is too long for Forge KVS (${k.length} > ${MAX_KEY} characters): ${String(key).slice(0, 80)}…`);
    return k;
  };
  return {
    async get(key) {
      const v = await kvs.get(storageKey(key));
      return v === undefined || v === null ? null : String(v);
    },
    async put(key, value) {
      await kvs.set(storageKey(key), String(value));
    },
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
  };
}
