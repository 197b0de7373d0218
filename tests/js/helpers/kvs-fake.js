// An in-memory Forge KVS behind the platform adapter's `kvs` shape (js/forge/platform.js, plus
// `create` from js/forge/kvs-claims.js), with Forge's rules and concurrency:
//   - keys ≤ 500 characters of [a-zA-Z0-9:._\s-#]; values ≤ 240 KiB; query pages ≤ 100, by key order
//   - every call is asynchronous and takes a random number of event-loop turns before and after
//     the moment it acts, so concurrent callers really interleave between their own calls
//   - create(key, value) is atomic (keyPolicy FAIL_IF_EXISTS): of any number of concurrent creates of
//     one key exactly one returns true
//   - claim(key, ttlSeconds) is the replay guard's create-if-absent with a TTL (forge.test.js has the
//     same); an expired key counts as absent there, on the virtual clock
import assert from "node:assert/strict";

const KVS_KEY = /^[a-zA-Z0-9:._\s\-#]+$/;

export function fakeKvs({ clock = { t: Date.UTC(2026, 10, 1) }, maxTurns = 3, seed = 1 } = {}) {
  const store = new Map();
  const expiries = new Map();
  const counts = { get: 0, set: 0, query: 0, create: 0, conflicts: 0 };
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  const turns = async () => {
    for (let i = Math.floor(random() * (maxTurns + 1)); i > 0; i--) await new Promise((r) => setImmediate(r));
  };
  const checkKey = (k) => {
    assert.ok(typeof k === "string" && k.length <= 500 && KVS_KEY.test(k), `invalid Forge KVS key ${JSON.stringify(k)}`);
  };
  const checkValue = (k, v) => {
    assert.ok(v !== undefined, `KVS value for ${k} is undefined`);
    assert.ok(JSON.stringify(v).length <= 240 * 1024, `KVS value for ${k} is over 240 KiB`);
  };
  const present = (k) => store.has(k) && !(expiries.get(k) <= clock.t);
  return {
    store,
    expiries,
    counts,
    clock,
    async get(k) {
      checkKey(k);
      await turns();
      counts.get++;
      const v = present(k) ? structuredClone(store.get(k)) : undefined;
      await turns();
      return v;
    },
    async set(k, v) {
      checkKey(k);
      checkValue(k, v);
      await turns();
      counts.set++;
      store.set(k, structuredClone(v));
      expiries.delete(k);
      await turns();
    },
    async query(prefix, cursor, limit = 100) {
      assert.ok(limit <= 100, "KVS query limit is 100");
      await turns();
      counts.query++;
      const keys = [...store.keys()].filter((k) => k.startsWith(prefix) && present(k)).sort();
      const start = cursor ? Number(cursor) : 0;
      const page = keys.slice(start, start + limit);
      const out = {
        results: page.map((key) => ({ key, value: structuredClone(store.get(key)) })),
        nextCursor: start + limit < keys.length ? String(start + limit) : undefined,
      };
      await turns();
      return out;
    },
    async create(k, v) {
      checkKey(k);
      checkValue(k, v);
      await turns();
      counts.create++;
      // The check and the write happen in this one synchronous section: atomic.
      const created = !store.has(k);
      if (created) store.set(k, structuredClone(v));
      else counts.conflicts++;
      await turns();
      return created;
    },
    async claim(k, ttlSeconds) {
      checkKey(k);
      assert.ok(Number.isInteger(ttlSeconds) && ttlSeconds >= 1, `TTL ${ttlSeconds}`);
      await turns();
      const fresh = !present(k);
      if (fresh) {
        store.set(k, 1);
        expiries.set(k, clock.t + ttlSeconds * 1000);
      }
      await turns();
      return fresh;
    },
  };
}
