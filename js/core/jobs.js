// How a host runs jobs: small ones inline under a deadline, big ones (and every continuation) as
// chunks on the host's queue, a job record per job that `status` reads back, a sweeper that
// re-queues jobs whose message was lost, and a dead-letter handler.
//
// Host-neutral (no Node or Workers API), shared by the Forge host (js/forge/handlers.js) and the
// Worker host (js/worker/queue.js, js/worker/index.js). Every decision about the migration is the
// core's (planJob: inline or queue; retryDelay: how long a failed chunk waits; afterChunk:
// continue or stalled; jobLimits: the limits with their defaults; listJobs: the core's jobs):
// this file carries the answers out and keeps the queue state honest (js/core/job-records.js).
//
//   const jobs = createJobs({ core, config, host, enqueue, now, limits, log });
//   await jobs.start(request, { mode: "auto", inlineMs })   → { status, jobId, summary, report?, ... }
//   await jobs.runChunk(messageBody, { chunkMs, attempt })  → { status, jobId, ... }
//   await jobs.deadLetter(messageBody, { attempts })        → { status: "failed" | "stale" | ... }
//   await jobs.sweep({ now, staleMs, maxJobs })              → counts
//   await jobs.status(jobId)                                 → the job record with its report, or null
//
// Exactly once under concurrent, at-least-once delivery: every start, chunk, sweep and dead letter
// first takes the job's host lease; a second one meets it and changes nothing ("alreadyQueued" for
// a start, "duplicate" for a chunk). Under the lease a message is judged against the record: only
// the chain's next chunk runs, so a copy of a chunk that already completed is acked ("stale") and
// never starts a second chain. The core's own job claim (a second run of one job is "busy") and
// per-customer claims stay underneath.
//
// Queue state that cannot lie: a message to push is recorded first (state "pushing", with the
// exact message), pushed, and only then recorded as "queued". A failed push leaves "pushing":
// the next start of the job, a redelivery of the chunk before it, or the sweeper pushes it again.
import {
  ACTIVE, PART_SIZE, TERMINAL, checkMessage, errorInfo, hostLease, judge, message, partKey, randomTag, recordKey, recordStore,
} from "./job-records.js";
import { sweepJobs } from "./job-sweep.js";

export { PART_SIZE, recordKey };

/**
 * A host run's lease on a job: longer than a Forge function may run (900 s) and a Cloudflare queue
 * consumer's wall time (15 min), so a holder is gone before it runs out.
 */
export const HOST_LEASE_MS = 16 * 60_000;
/** Failed pushes of one message before the job is marked failed (the sweeper tries about once a sweep). */
export const MAX_PUSH_ATTEMPTS = 16;

export function createJobs({ core, config, host, enqueue, now = Date.now, limits = {}, log = () => {}, leaseMs = HOST_LEASE_MS }) {
  const L = core.jobLimits(limits);
  const journal = host.journal;
  const store = recordStore(journal, now);
  const delayFor = (attempt) => core.retryDelay(attempt, L);
  const run = (request, deadlineMs) => core.migrate({ ...request, deadlineMs }, config, host);

  /** Runs fn(lease) holding the job's host lease, or fn(null) when another run holds it. */
  async function locked(jobId, fn) {
    const lease = hostLease(journal, jobId, { now, leaseMs });
    if (!(await lease.take())) return fn(null);
    try {
      return await fn(lease);
    } finally {
      await lease.release();
    }
  }

  function fresh(jobId, previous) {
    return { jobId, createdMs: previous?.createdMs ?? now(), chunks: 0, lastChunk: 0, stalls: 0, pushAttempts: 0 };
  }

  /** Records `next` as the message to push, pushes it, then records "queued"; false if the push failed. */
  async function push(rec, next, { delaySeconds = 0, result } = {}) {
    Object.assign(rec, { state: "pushing", next, delaySeconds, pushingMs: now() });
    await store.save(rec, result);
    try {
      await enqueue(next, delaySeconds > 0 ? { delaySeconds } : undefined);
    } catch (err) {
      rec.pushAttempts = (rec.pushAttempts ?? 0) + 1;
      rec.pushError = { code: "QUEUE_PUSH", message: `${err?.name && err.name !== "Error" ? `${err.name}: ` : ""}${err?.message ?? err}` };
      log("warn", "queue push failed; the job stays 'pushing' until it is pushed again", { jobId: rec.jobId, chunk: next.chunk, attempts: rec.pushAttempts, code: rec.pushError.code });
      if (rec.pushAttempts >= MAX_PUSH_ATTEMPTS) {
        await finish(rec, { state: "failed", error: { code: "QUEUE_REFUSED", message: `the queue refused the job's next message ${rec.pushAttempts} times: ${rec.pushError.message}` } });
      } else {
        await store.save(rec);
      }
      return false;
    }
    Object.assign(rec, { state: "queued", queuedMs: now(), pushAttempts: 0, pushError: null });
    await store.save(rec);
    return true;
  }

  /** Done or failed: nothing left to push; the index entry goes last. */
  async function finish(rec, fields, result) {
    Object.assign(rec, fields, { next: null, delaySeconds: 0 });
    await store.save(rec, result);
    await store.close(rec.jobId);
  }

  /** A failed push where the platform can deliver again: throw, so it does (with back-off). */
  function pushFailed(rec) {
    const err = new Error(`the job's next message could not be queued: ${rec.pushError?.message ?? "unknown error"}`);
    err.code = "QUEUE_PUSH";
    err.retryable = true;
    return err;
  }

  function already(jobId, rec) {
    const state = rec && ACTIVE.has(rec.state) ? rec.state : "running";
    return { status: state, jobId, summary: rec?.summary, unfinished: rec?.unfinished, alreadyQueued: true };
  }

  /** The pending push of a "pushing" record, with what is left of its delay. */
  function pendingPush(rec) {
    const waited = (now() - (rec.pushingMs ?? 0)) / 1000;
    return push(rec, rec.next, { delaySeconds: Math.max(0, Math.ceil((rec.delaySeconds ?? 0) - waited)) });
  }

  /**
   * Starts a job. mode "auto" runs a small request inline for up to inlineMs and a big one with no
   * inline budget; "inline" always gives inlineMs; "queue" never runs a customer inline.
   * A big job still makes one core call with an expired deadline: the core validates the request,
   * discovers the tenant, collects the customers and answers with its jobId and a continuation
   * without starting anyone, so the caller gets a real jobId (and the customer count) at once.
   * Retryable core errors are thrown (code, retryable) unless onRetryable is "queue", which hands
   * the whole request to the queue instead (event triggers: the event must not be lost).
   */
  async function start(request, { mode = "auto", inlineMs, onRetryable = "throw" } = {}) {
    const jobId = core.jobId(request); // code REQUEST for a malformed request
    const inline = mode === "inline" || (mode === "auto" && core.planJob(request, config, L).inline);
    return locked(jobId, async (lease) => {
      const previous = await store.read(jobId);
      if (!lease) {
        log("info", "job already running", { jobId });
        return already(jobId, previous);
      }
      if (previous && ACTIVE.has(previous.state) && previous.next) {
        // Already under way. A message recorded but not pushed is pushed now; a queued or running
        // job not heard of for staleMs lost its message, which is pushed again.
        const due = previous.state === "pushing" || now() - previous.updatedMs >= L.staleMs;
        if (!due) return already(jobId, previous);
        const ok = await (previous.state === "pushing" ? pendingPush(previous) : push(previous, previous.next));
        log("info", "job already under way; its next message was pushed again", { jobId, ok });
        return { ...already(jobId, previous), resumed: true };
      }
      return startFresh(jobId, request, previous, inline ? inlineMs : 0, onRetryable, lease);
    });
  }

  async function startFresh(jobId, request, previous, budget, onRetryable, lease) {
    const chain = `c${now().toString(36)}.${randomTag()}`;
    const first = message({ chain, chunk: 1, request: { ...request, jobId } });
    // "running" with the message that would resume the job: if this run dies, the sweeper resumes it.
    const rec = { ...fresh(jobId, previous), state: "running", chain, next: first, error: null, lastError: null, pushError: null };
    await store.open(rec);
    await store.save(rec);
    let result;
    try {
      result = await run(request, now() + budget);
    } catch (err) {
      if (onRetryable === "queue" && err?.retryable === true) {
        const delaySeconds = delayFor(1);
        rec.lastError = errorInfo(err);
        if (!(await push(rec, { ...first, attempts: 1 }, { delaySeconds }))) throw pushFailed(rec);
        log("warn", "start failed, handed to the queue", { jobId, code: err.code, delaySeconds });
        return { status: "queued", jobId, retryInSeconds: delaySeconds, lastError: rec.lastError };
      }
      await finish(rec, { state: "failed", error: errorInfo(err) });
      throw err;
    }
    if (result.busy) {
      // The core's claim is held by a run outside this host's lease: it finishes the job, and if
      // it dies the sweeper resumes it from this record.
      log("info", "job already running (core)", { jobId });
      return already(jobId, rec);
    }
    if (!(await lease.renew())) return already(jobId, rec);
    if (!result.continuation) {
      await finish(rec, { state: "done" }, result);
      log("info", "job done inline", { jobId, summary: result.summary });
      return { status: "done", jobId, summary: result.summary, report: result.report };
    }
    const unfinished = result.report.totals.unfinished;
    const ok = await push(rec, message({ chain, chunk: 1, request: result.continuation, unfinished }), { result });
    log("info", ok ? "job queued" : "job recorded, its first message is not queued yet", { jobId, unfinished });
    const out = { status: ok ? "queued" : rec.state, jobId, summary: result.summary, unfinished };
    if (!ok) out.pushError = rec.pushError ?? rec.error;
    return out;
  }

  /**
   * Runs one queued chunk until chunkMs from now, then queues the core's continuation. Returns
   * normally for every outcome the job record can hold (done, continued, retrying, failed, stale,
   * duplicate); throws only when the host could not record or push, so the platform delivers the
   * message again (`attempt`: the platform's delivery count, kept for the dead-letter reason).
   */
  async function runChunk(body, { chunkMs, attempt = 1 } = {}) {
    const msg = checkMessage(body);
    let jobId = null;
    if (!msg.rejected) {
      try {
        jobId = core.jobId(msg.request);
      } catch (err) {
        msg.rejected = `the message's request is not valid: ${err.message}`;
      }
    }
    if (msg.rejected) {
      log("error", "dropped a queue message", { reason: msg.rejected });
      return { status: "rejected", jobId: null, error: { code: "BAD_MESSAGE", message: msg.rejected } };
    }
    return locked(jobId, async (lease) => {
      if (!lease) {
        // Another delivery (or the sweeper) holds the job: that run pushes what follows.
        log("info", "chunk already running elsewhere", { jobId, chunk: msg.chunk });
        return { status: "duplicate", jobId, chunk: msg.chunk };
      }
      const rec = await store.read(jobId);
      const verdict = judge(rec, msg);
      if (verdict === "stale") {
        log("info", "dropped a copy of a chunk that already ran", { jobId, chunk: msg.chunk, lastChunk: rec.lastChunk, state: rec.state });
        return { status: "stale", jobId, chunk: msg.chunk, finished: TERMINAL.has(rec.state) };
      }
      const r = rec ?? { ...fresh(jobId, null), chain: msg.chain, lastChunk: msg.chunk - 1 };
      try {
        if (verdict === "push") {
          if (!(await pendingPush(r))) throw pushFailed(r);
          return { status: "continued", jobId, chunk: msg.chunk, unfinished: r.unfinished };
        }
        return await runOwned(r, !rec, msg, chunkMs, lease, attempt);
      } catch (err) {
        // Kept for the dead-letter consumer's reason; the record is this run's to write.
        r.lastError = errorInfo(err);
        r.deliveries = attempt;
        await store.save(r).catch(() => {});
        throw err;
      }
    });
  }

  async function runOwned(rec, adopted, msg, chunkMs, lease, attempt) {
    const jobId = rec.jobId;
    Object.assign(rec, { state: "running", chain: rec.chain ?? msg.chain, next: msg, deliveries: attempt, runningMs: now() });
    if (adopted) await store.open(rec);
    await store.save(rec);
    let result;
    try {
      result = await run(msg.request, now() + chunkMs);
    } catch (err) {
      if (!(await lease.renew())) return superseded(jobId, msg);
      return retryOrFail(rec, msg, err);
    }
    if (!(await lease.renew())) return superseded(jobId, msg);
    if (result.busy) {
      const err = new Error(`another run holds job ${jobId}`);
      err.code = "BUSY";
      err.retryable = true;
      return retryOrFail(rec, msg, err);
    }
    if (!result.continuation) {
      await finish(rec, { state: "done", lastChunk: msg.chunk, chunks: msg.chunk, lastError: null, error: null, deliveries: 0 }, result);
      log("info", "job done", { jobId, chunks: msg.chunk, summary: result.summary });
      return { status: "done", jobId, chunks: msg.chunk, summary: result.summary };
    }
    const unfinished = result.report.totals.unfinished;
    const next = core.afterChunk({ chunk: msg.chunk, stalls: msg.stalls, before: msg.unfinished, unfinished }, L);
    if (next.next === "fail") {
      const error = { code: next.code, message: next.message };
      await finish(rec, { state: "failed", lastChunk: msg.chunk, chunks: msg.chunk, error }, result);
      log("error", "job stalled", { jobId, chunks: msg.chunk, unfinished });
      return { status: "failed", jobId, error };
    }
    const { stalls } = next;
    Object.assign(rec, { lastChunk: msg.chunk, chunks: msg.chunk, stalls, lastError: null, deliveries: 0 });
    const following = message({ chain: rec.chain, chunk: msg.chunk + 1, request: result.continuation, stalls, unfinished });
    if (!(await push(rec, following, { result }))) throw pushFailed(rec);
    log("info", "chunk done, continuing", { jobId, chunk: msg.chunk, unfinished });
    return { status: "continued", jobId, chunk: msg.chunk, unfinished };
  }

  /** A chunk that failed: queued again with the core's delay, or the job fails. */
  async function retryOrFail(rec, msg, err) {
    const jobId = rec.jobId;
    if (err?.retryable === true && msg.attempts < L.maxAttempts) {
      const delaySeconds = delayFor(msg.attempts + 1);
      rec.lastError = errorInfo(err);
      if (!(await push(rec, { ...msg, attempts: msg.attempts + 1 }, { delaySeconds }))) throw pushFailed(rec);
      log("warn", "chunk failed, retrying", { jobId, chunk: msg.chunk, attempt: msg.attempts + 1, delaySeconds, code: err.code });
      return { status: "retrying", jobId, delaySeconds, error: errorInfo(err) };
    }
    await finish(rec, { state: "failed", error: errorInfo(err) });
    log("error", "chunk failed", { jobId, chunk: msg.chunk, code: err?.code });
    return { status: "failed", jobId, error: errorInfo(err) };
  }

  function superseded(jobId, msg) {
    log("warn", "lost the job's lease while running; another run carries on", { jobId, chunk: msg.chunk });
    return { status: "duplicate", jobId, chunk: msg.chunk, superseded: true };
  }

  /**
   * A message the queue gave up on (the Worker's dead-letter queue): the job is marked failed with
   * the reason, unless the message is stale (the job moved on) or a run holds the job right now.
   */
  async function deadLetter(body, { attempts } = {}) {
    const msg = checkMessage(body);
    let jobId = null;
    try {
      if (!msg.rejected) jobId = core.jobId(msg.request);
    } catch { /* rejected below */ }
    if (!jobId) return { status: "rejected", jobId: null };
    return locked(jobId, async (lease) => {
      if (!lease) return { status: "running", jobId };
      const rec = await store.read(jobId);
      if (judge(rec, msg) === "stale") return { status: "stale", jobId, chunk: msg.chunk };
      const r = rec ?? { ...fresh(jobId, null), chain: msg.chain, next: msg };
      const n = Math.max(r.deliveries ?? 0, attempts ?? 0);
      const last = r.lastError?.message ?? r.pushError?.message ?? "no error was recorded";
      const error = { code: "DELIVERY_FAILED", message: `delivery failed ${n} times: ${last}` };
      if (!rec) await store.open(r);
      await finish(r, { state: "failed", error });
      log("error", "job failed: its queue message was dead-lettered", { jobId, chunk: msg.chunk, deliveries: n });
      return { status: "failed", jobId, chunk: msg.chunk, error };
    });
  }

  const sweep = (opts) => sweepJobs({ core, journal, store, locked, push, pendingPush, finish, L, log, now }, opts);

  return { start, runChunk, deadLetter, sweep, status: (jobId) => readStatus(core, journal, jobId), limits: L };
}

/** The job record with its report reassembled, or null when the journal has none. */
export async function readStatus(core, journal, jobId) {
  const text = await journal.get(recordKey(jobId));
  if (text == null) return null;
  const record = JSON.parse(text);
  const customers = [];
  for (let i = 0; i < (record.parts ?? 0); i++) {
    const part = await journal.get(partKey(jobId, i));
    if (part != null) customers.push(...JSON.parse(part));
  }
  let finished = null;
  try {
    finished = (await core.getJob(journal, jobId))?.finished ?? null;
  } catch { /* the core reports unreadable records itself */ }
  // `next` is the queue message (the request again): not a caller's business.
  const { parts, next, ...rest } = record;
  return { ...rest, nextChunk: next?.chunk ?? null, finished, report: record.report ? { ...record.report, customers } : null };
}
