// JournalDO: the core's journal for one Atlassian site (idFromName(site host)), and its RPC stub
// shaped as the core's journal (HACKING.md "The journal contract").
//
// The journal is a Durable Object, not D1 or KV:
//  - KV is eventually consistent (a read may miss a write for ~60 s) and allows 1 write/s per key;
//    the core writes "intent" right before the one irreversible call and must read it back on the
//    next run, so KV could repeat a migration.
//  - D1 would work, but needs a schema, migrations and SQL for what is a key-value contract.
//  - A Durable Object's storage is strongly consistent and transactional, and `get/put/list({prefix})`
//    is exactly the core's journal contract. One object per Atlassian site (idFromName(site host))
//    serialises every job of that site through one single-threaded owner, which is what the
//    per-customer records (shared by all jobs of the site) need.
import { DurableObject } from "cloudflare:workers";

/**
 * The journal's owner: the core's {get, put, list, claim, release} (HACKING.md "The journal
 * contract") over Durable Object storage, called by RPC.
 *
 * Records use the KV API (on this SQLite-backed class it is the hidden `__cf_kv` table); claims
 * live in their own SQL table `claims`, so `list(prefix)` can never return one. `claim` and
 * `release` are each ONE RPC whose read, check and write run synchronously inside
 * `ctx.storage.transactionSync` with no await in between: a Durable Object handles one event at a
 * time between awaits, and the transaction makes the statements one atomic, isolated write
 * (https://developers.cloudflare.com/durable-objects/api/storage-api/ — "Each method is implicitly
 * wrapped inside a transaction, such that its results are atomic and isolated from all other
 * storage operations"). The RPC's answer leaves only once the write is confirmed durable (output
 * gates: https://developers.cloudflare.com/durable-objects/glossary/), so a `won: true` a caller
 * sees is on disk.
 */
export class JournalDO extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_ms INTEGER NOT NULL)");
  }

  async get(key) {
    const v = await this.ctx.storage.get(String(key));
    return v === undefined ? null : v;
  }

  async put(key, value) {
    // Resolves once the write is durable (output gates hold it until storage confirms).
    await this.ctx.storage.put(String(key), String(value));
  }

  async list(prefix) {
    const rows = await this.ctx.storage.list({ prefix: String(prefix) });
    return [...rows].map(([k, v]) => [k, String(v)]);
  }

  /** A page of `list` (HACKING.md "The journal contract"): the cursor is the page's last key. */
  async listPage(prefix, cursor, limit) {
    const n = Math.max(1, Math.min(1000, Math.floor(Number(limit)) || 1));
    const opts = { prefix: String(prefix), limit: n + 1 };
    if (cursor != null) opts.startAfter = String(cursor);
    const rows = [...(await this.ctx.storage.list(opts))].map(([k, v]) => [k, String(v)]);
    const more = rows.length > n;
    if (more) rows.length = n;
    return { entries: rows, cursor: more ? rows[n - 1][0] : null };
  }

  /** Not part of the core's contract: the host's job index drops entries of finished jobs (js/core/job-records.js). */
  async delete(key) {
    await this.ctx.storage.delete(String(key));
  }

  /**
   * {won, owner, expiresMs, previous}: absent, expired or own → stored; else unchanged. `async` only
   * so that a bad argument is a rejected promise over RPC: the body never awaits, so the read, the
   * check and the write still run as one synchronous section.
   */
  async claim(key, opts) {
    const { owner, leaseMs, now } = claimArgs(key, opts);
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const row = sql.exec("SELECT owner, expires_ms FROM claims WHERE key = ?", key).toArray()[0];
      const current = row ? { owner: row.owner, expiresMs: Number(row.expires_ms) } : null;
      if (!current || current.expiresMs <= now || current.owner === owner) {
        const expiresMs = now + leaseMs;
        sql.exec(
          "INSERT INTO claims (key, owner, expires_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms",
          key, owner, expiresMs,
        );
        return { won: true, owner, expiresMs, previous: current };
      }
      return { won: false, owner: current.owner, expiresMs: current.expiresMs, previous: current };
    });
  }

  /** Deletes the claim only when `owner` holds it; true when it did (one statement: atomic). */
  async release(key, owner) {
    if (typeof key !== "string") throw journalArgError("release: key must be a string");
    const deleted = this.ctx.storage.sql.exec("DELETE FROM claims WHERE key = ? AND owner = ? RETURNING key", key, String(owner)).toArray();
    return deleted.length === 1;
  }
}

function journalArgError(message) {
  const err = new Error(message);
  err.code = "JOURNAL";
  return err;
}

function claimArgs(key, opts) {
  if (typeof key !== "string" || !key) throw journalArgError("claim: key must be a non-empty string");
  const { owner, leaseMs, now } = opts ?? {};
  if (typeof owner !== "string" || !owner) throw journalArgError(`claim ${key}: owner must be a non-empty string`);
  if (!Number.isFinite(leaseMs) || leaseMs < 0) throw journalArgError(`claim ${key}: leaseMs must be a non-negative number`);
  if (!Number.isFinite(now)) throw journalArgError(`claim ${key}: now must be a number (epoch ms)`);
  return { owner, leaseMs, now };
}

/**
 * async wrappers: an RPC call returns an RpcPromise (a thenable proxy, not a Promise), and the
 * core's adapters await only real Promises.
 */
export function journalOfStub(stub) {
  return {
    get: async (key) => await stub.get(key),
    put: async (key, value) => {
      await stub.put(key, value);
    },
    list: async (prefix) => await stub.list(prefix),
    listPage: async (prefix, cursor, limit) => ({ ...(await stub.listPage(prefix, cursor, limit)) }),
    // The answer crosses RPC as structured clone: a plain object, so spread it into a fresh one.
    claim: async (key, opts) => ({ ...(await stub.claim(key, { owner: opts?.owner, leaseMs: opts?.leaseMs, now: opts?.now })) }),
    release: async (key, owner) => await stub.release(key, owner),
    delete: async (key) => {
      await stub.delete(key);
    },
  };
}
