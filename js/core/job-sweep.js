// The sweeper of js/core/jobs.js (`jobs.sweep()`), run by the Worker's cron trigger and Forge's
// scheduledTrigger: it finds jobs whose queue message was refused or lost and pushes their stored
// next message again. Everything it changes it changes under the job's host lease, through the
// job runner's own push and finish.
import { ACTIVE, message, randomTag } from "./job-records.js";

/** Open jobs one sweep looks at. */
export const SWEEP_MAX_JOBS = 25;
/** Written once no record from before the index (no `next`, not indexed) is left to adopt. */
const LEGACY_KEY = "hostjob-meta/legacy-adopted";

/**
 * Re-queues jobs whose message was lost: every open job (the index) whose record is "pushing"
 * (its push failed) or "queued"/"running" and untouched for staleMs gets its stored next message
 * pushed again; a job the core reports done is marked done instead. At most maxJobs jobs a sweep;
 * a job another run holds is left alone. Duplicate sweeps are harmless: each job is judged under
 * its lease, and a message pushed twice is run once (the second copy is stale).
 */
export async function sweepJobs(ctx, { now: at, staleMs, maxJobs = SWEEP_MAX_JOBS } = {}) {
  const { core, journal, store, locked, push, pendingPush, finish, L, log } = ctx;
  const t = at ?? ctx.now();
  const stale = staleMs ?? L.staleMs;
  const out = { open: 0, checked: 0, pushed: 0, pushFailed: 0, done: 0, closed: 0, busy: 0, waiting: 0, errors: 0, adopted: 0, more: false, closedJobs: [] };
  try {
    out.adopted = await adoptLegacy(ctx, t, stale);
  } catch (err) {
    out.errors++;
    log("error", "sweep: could not adopt older job records", { code: err?.code, message: err?.message });
  }
  const open = await store.listOpen();
  out.open = open.length;
  let coreJobs = null; // the core's jobs, read once and only when a record needs them
  const coreJob = async (jobId) => {
    coreJobs ??= new Map((await core.listJobs(journal, {})).map((j) => [j.jobId, j]));
    return coreJobs.get(jobId) ?? null;
  };
  for (const { jobId } of open) {
    if (out.checked >= maxJobs) {
      out.more = true;
      break;
    }
    out.checked++;
    try {
      await locked(jobId, async (lease) => {
        if (!lease) {
          out.busy++;
          return;
        }
        const rec = await store.read(jobId);
        if (!rec || !ACTIVE.has(rec.state)) {
          await store.close(jobId);
          out.closed++;
          return;
        }
        // A failed push is tried again after the core's back-off (or staleMs, if shorter).
        const backoff = Math.min(core.retryDelay(rec.pushAttempts || 1, L) * 1000, stale);
        const due = rec.state === "pushing" ? t - (rec.pushingMs ?? 0) >= backoff : t - rec.updatedMs >= stale;
        if (!due) {
          out.waiting++;
          return;
        }
        const c = await coreJob(jobId);
        // Only "done" is final: the core closes a job as failed even when a retry of it is queued.
        if (c?.status === "done" || c?.status === "discarded") {
          const fields = c.status === "done" ? { state: "done", error: null } : { state: "failed", error: { code: "DISCARDED", message: "the job was discarded" } };
          await finish(rec, fields);
          out.done++;
          out.closedJobs.push(jobId);
          log("info", "sweep: the core finished the job; its record is closed", { jobId, state: fields.state });
          return;
        }
        if (!rec.next) {
          out.waiting++;
          return;
        }
        const next = rec.next;
        const ok = await (rec.state === "pushing" ? pendingPush(rec) : push(rec, next));
        if (ok) out.pushed++;
        else out.pushFailed++;
        if (rec.state === "failed") out.closedJobs.push(jobId);
        log(ok ? "info" : "warn", "sweep: pushed a stale job's next message again", { jobId, chunk: next.chunk, ok, was: rec.state });
      });
    } catch (err) {
      out.errors++;
      log("error", "sweep: could not check a job", { jobId, code: err?.code, message: err?.message });
    }
  }
  return out;
}

/**
 * Job records written before the index existed (queued or running, no `next`): the bug this
 * replaced left such jobs "queued" with nothing on the queue. Once stale, each is indexed and its
 * next message (a new chain, from the core's stored request) pushed; older copies of its messages
 * carry no chain and are stale against it (job-records.js judge). Until none is left, every sweep
 * looks (one listing of the core's unfinished jobs); then never again.
 */
async function adoptLegacy(ctx, t, stale) {
  const { core, journal, store, locked, push, log } = ctx;
  if ((await journal.get(LEGACY_KEY)) != null) return 0;
  let adopted = 0;
  let waiting = 0;
  for (const j of await core.listJobs(journal, { unfinished: true })) {
    await locked(j.jobId, async (lease) => {
      const rec = await store.read(j.jobId);
      if (!rec || !ACTIVE.has(rec.state) || rec.next) return;
      if (!lease || t - (rec.updatedMs ?? 0) < stale) {
        waiting++;
        return;
      }
      rec.chain = `c${t.toString(36)}.${randomTag()}`;
      const next = message({ chain: rec.chain, chunk: (rec.lastChunk ?? 0) + 1, request: j.request });
      await store.open(rec);
      await push(rec, next);
      adopted++;
      log("info", "sweep: adopted a job record from before the index", { jobId: j.jobId, state: rec.state });
    });
  }
  if (waiting === 0) await journal.put(LEGACY_KEY, JSON.stringify({ atMs: t }));
  return adopted;
}
