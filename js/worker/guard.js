// GuardDO: the Worker's edge state for one Atlassian site (idFromName(site host)), apart from the
// journal so edge traffic never queues behind a running job's journal writes.
//
//   claimSignature(id, expiresAtMs)         → true the first time a signature is seen, else false
//   acquireJob(jobId, { max, leaseMs, force }) → { ok, running, max }
//   releaseJob(jobId)
//
// Each method is ONE RPC whose check and write run synchronously on the object's SQLite storage
// inside transactionSync: no await between reading and writing, so no other request to this
// object can interleave (a Durable Object runs one event at a time between awaits; see
// https://developers.cloudflare.com/durable-objects/api/storage-api/, "each method is implicitly
// wrapped inside a transaction"). Two deliveries of the same signed bytes therefore cannot both
// see "new".
//
// Job slots are leases, not counters: a Worker that dies mid-job never releases its slot, so
// every slot carries an expiry and expired ones stop counting. Queue chunks renew the lease.
import { DurableObject } from "cloudflare:workers";

export class GuardDO extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS seen_signatures (id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS seen_signatures_expiry ON seen_signatures (expires_ms)");
    sql.exec("CREATE TABLE IF NOT EXISTS job_slots (job_id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL)");
  }

  claimSignature(id, expiresAtMs) {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM seen_signatures WHERE expires_ms <= ?", now);
      const inserted = sql.exec(
        "INSERT INTO seen_signatures (id, expires_ms) VALUES (?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
        String(id), Math.max(now + 1000, Number(expiresAtMs)),
      ).toArray();
      return inserted.length === 1;
    });
  }

  /**
   * Takes (or renews) the slot of `jobId`. A job already holding a slot always renews; a new one
   * is refused when `max` slots are live, unless `force` (a queued chunk of a job that was let in:
   * refusing it would strand the job, so the count may briefly exceed max after a lease expired).
   */
  acquireJob(jobId, { max, leaseMs, force = false }) {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM job_slots WHERE expires_ms <= ?", now);
      const held = sql.exec("SELECT 1 FROM job_slots WHERE job_id = ?", String(jobId)).toArray().length > 0;
      const running = sql.exec("SELECT COUNT(*) AS n FROM job_slots").one().n;
      if (!held && !force && running >= max) return { ok: false, running, max };
      sql.exec(
        "INSERT INTO job_slots (job_id, expires_ms) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET expires_ms = excluded.expires_ms",
        String(jobId), now + leaseMs,
      );
      return { ok: true, running: held ? running : running + 1, max };
    });
  }

  releaseJob(jobId) {
    this.ctx.storage.sql.exec("DELETE FROM job_slots WHERE job_id = ?", String(jobId));
  }
}
