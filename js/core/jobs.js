// How a host runs jobs: small ones inline under a deadline, big ones (and every continuation) as
// chunks on the host's queue, and a job record per job that `status` reads back.
//
// Host-neutral (no Node or Workers API), shared by the Forge host (js/forge/handlers.js) and the
// Worker host (js/worker/index.js). Every decision is the core's (planJob: inline or queue;
// retryDelay: how long a failed chunk waits; afterChunk: continue or stalled; jobLimits: the limits
// with their defaults; getJob: the core's job record): this file carries the answers out, hands the
// core's continuation to the queue, and stores the core's report.
//
//   const jobs = createJobs({ core, config, host, enqueue, now, limits, log });
//   await jobs.start(request, { mode: "auto", inlineMs })   → { status, jobId, summary, report?, ... }
//   await jobs.runChunk(messageBody, { chunkMs })           → { status, jobId, ... }
//   await jobs.status(jobId)                                 → the job record with its report, or null
//
// Queue messages (`enqueue(body, {delaySeconds})`) carry { v: 1, request, chunk, attempts,
// stalls, unfinished }: `request` is the core's continuation (it names the jobId), so a message
// delivered twice only runs an idempotent chunk twice (the core's journal makes it converge).
//
// Records (in the host journal next to the core's own keys, which are `job/…` and `customer/…`):
//   hostjob/{jobId}                 { jobId, state, chunks, unfinished, summary, report (without
//                                     customers), parts, error, lastError, createdMs, updatedMs }
//   hostjob/{jobId}/customers/0000  customer reports, PART_SIZE per part (Forge KVS values are
//                                   limited to 240 KiB, so a 1,000-customer report is split)

export const PART_SIZE = 100;
const RECORD_PREFIX = "hostjob/";

export function recordKey(jobId) {
  return `${RECORD_PREFIX}${jobId}`;
}

function partKey(jobId, i) {
  return `${RECORD_PREFIX}${jobId}/customers/${String(i).padStart(4, "0")}`;
}

export function createJobs({ core, config, host, enqueue, now = Date.now, limits = {}, log = () => {} }) {
  const L = core.jobLimits(limits);
  const journal = host.journal;

  async function readRecord(jobId) {
    const text = await journal.get(recordKey(jobId));
    if (text == null) return null;
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  /** Stores the job record; with a result, also its report (customers split into parts). */
  async function writeRecord(jobId, fields, result) {
    const previous = (await readRecord(jobId)) ?? { jobId, createdMs: now(), chunks: 0 };
    const record = { ...previous, ...fields, jobId, updatedMs: now() };
    if (result) {
      const { customers = [], ...rest } = result.report ?? {};
      const parts = Math.ceil(customers.length / PART_SIZE);
      for (let i = 0; i < parts; i++) {
        await journal.put(partKey(jobId, i), JSON.stringify(customers.slice(i * PART_SIZE, (i + 1) * PART_SIZE)));
      }
      record.report = rest;
      record.parts = parts;
      record.summary = result.summary;
      record.unfinished = rest.totals?.unfinished ?? 0;
    }
    await journal.put(recordKey(jobId), JSON.stringify(record));
    return record;
  }

  function run(request, deadlineMs) {
    return core.migrate({ ...request, deadlineMs }, config, host);
  }

  const delayFor = (attempt) => core.retryDelay(attempt, L);

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
    const inline = mode === "inline" || (mode === "auto" && core.planJob(request, config, L).inline);
    const budget = inline ? inlineMs : 0;
    let result;
    try {
      result = await run(request, now() + budget);
    } catch (err) {
      if (onRetryable === "queue" && err?.retryable === true) {
        const delaySeconds = delayFor(1);
        await enqueue({ v: 1, request, chunk: 1, attempts: 1, stalls: 0 }, { delaySeconds });
        log("warn", "start failed, handed to the queue", { code: err.code, message: err.message, delaySeconds });
        return { status: "queued", jobId: request.jobId ?? null, retryInSeconds: delaySeconds, lastError: errorInfo(err) };
      }
      throw err;
    }
    const jobId = result.jobId;
    if (result.busy) {
      // Another run holds the job (the core's claim): this start adds nothing; the holder finishes it.
      const existing = await readRecord(jobId);
      log("info", "job already running", { jobId });
      return { status: existing?.state ?? "running", jobId, summary: existing?.summary, unfinished: existing?.unfinished, alreadyQueued: true };
    }
    if (!result.continuation) {
      await writeRecord(jobId, { state: "done", error: null, lastError: null, chunks: 0 }, result);
      log("info", "job done inline", { jobId, summary: result.summary });
      return { status: "done", jobId, summary: result.summary, report: result.report };
    }
    const existing = await readRecord(jobId);
    if (existing && (existing.state === "queued" || existing.state === "running") && now() - existing.updatedMs < L.staleMs) {
      log("info", "job already queued", { jobId });
      return { status: existing.state, jobId, summary: existing.summary, unfinished: existing.unfinished, alreadyQueued: true };
    }
    await writeRecord(jobId, { state: "queued", error: null, lastError: null, chunks: 0, stalls: 0 }, result);
    await enqueue({ v: 1, request: result.continuation, chunk: 1, attempts: 0, stalls: 0, unfinished: result.report.totals.unfinished });
    log("info", "job queued", { jobId, unfinished: result.report.totals.unfinished, inline });
    return { status: "queued", jobId, summary: result.summary, unfinished: result.report.totals.unfinished };
  }

  /**
   * Runs one queued chunk until chunkMs from now, then re-queues the core's continuation. Returns
   * normally for every outcome the job record can hold (done, re-queued, failed); throws only when
   * the host could not record or enqueue, so the platform's own retry takes over.
   */
  async function runChunk(body, { chunkMs }) {
    const msg = checkMessage(body);
    if (msg.rejected) {
      log("error", "dropped a queue message", { reason: msg.rejected });
      return { status: "rejected", jobId: null, error: { code: "BAD_MESSAGE", message: msg.rejected } };
    }
    const jobId = msg.request.jobId ?? null;
    if (jobId) await writeRecord(jobId, { state: "running", chunks: msg.chunk });
    let result;
    try {
      result = await run(msg.request, now() + chunkMs);
    } catch (err) {
      if (err?.retryable === true && msg.attempts < L.maxAttempts) {
        const delaySeconds = delayFor(msg.attempts + 1);
        if (jobId) await writeRecord(jobId, { state: "running", lastError: errorInfo(err) });
        await enqueue({ ...msg, attempts: msg.attempts + 1 }, { delaySeconds });
        log("warn", "chunk failed, retrying", { jobId, chunk: msg.chunk, attempt: msg.attempts + 1, delaySeconds, code: err.code });
        return { status: "retrying", jobId, delaySeconds, error: errorInfo(err) };
      }
      if (jobId) await writeRecord(jobId, { state: "failed", error: errorInfo(err) });
      log("error", "chunk failed", { jobId, chunk: msg.chunk, code: err?.code, message: err?.message });
      return { status: "failed", jobId, error: errorInfo(err) };
    }
    const id = result.jobId;
    if (result.busy) {
      // A second delivery of a chunk another run is working on: that run re-queues what is left.
      log("info", "chunk already running elsewhere", { jobId: id, chunk: msg.chunk });
      return { status: "duplicate", jobId: id, chunk: msg.chunk };
    }
    if (!result.continuation) {
      await writeRecord(id, { state: "done", chunks: msg.chunk, lastError: null, error: null }, result);
      log("info", "job done", { jobId: id, chunks: msg.chunk, summary: result.summary });
      return { status: "done", jobId: id, chunks: msg.chunk, summary: result.summary };
    }
    const unfinished = result.report.totals.unfinished;
    const next = core.afterChunk({ chunk: msg.chunk, stalls: msg.stalls, before: msg.unfinished, unfinished }, L);
    if (next.next === "fail") {
      const error = { code: next.code, message: next.message };
      await writeRecord(id, { state: "failed", chunks: msg.chunk, error }, result);
      log("error", "job stalled", { jobId: id, chunks: msg.chunk, unfinished });
      return { status: "failed", jobId: id, error };
    }
    const { stalls } = next;
    await writeRecord(id, { state: "queued", chunks: msg.chunk, stalls, lastError: null }, result);
    await enqueue({ v: 1, request: result.continuation, chunk: msg.chunk + 1, attempts: 0, stalls, unfinished });
    log("info", "chunk done, continuing", { jobId: id, chunk: msg.chunk, unfinished });
    return { status: "continued", jobId: id, chunk: msg.chunk, unfinished };
  }

  return { start, runChunk, status: (jobId) => readStatus(core, journal, jobId), limits: L };
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
  const { parts, ...rest } = record;
  return { ...rest, finished, report: record.report ? { ...record.report, customers } : null };
}

/** A queue message as this module writes it; anything else is rejected (dropped, not retried). */
function checkMessage(body) {
  if (!body || typeof body !== "object" || body.v !== 1) return { rejected: "the message is not a portal-migrate chunk (v: 1)" };
  if (!body.request || typeof body.request !== "object" || Array.isArray(body.request)) return { rejected: "the message has no request" };
  const int = (v, d) => (Number.isInteger(v) && v >= 0 ? v : d);
  return {
    v: 1,
    request: body.request,
    chunk: int(body.chunk, 1),
    attempts: int(body.attempts, 0),
    stalls: int(body.stalls, 0),
    unfinished: Number.isInteger(body.unfinished) ? body.unfinished : undefined,
  };
}

function errorInfo(err) {
  const out = { code: err?.code ?? "INTERNAL", message: String(err?.message ?? err) };
  if (typeof err?.retryable === "boolean") out.retryable = err.retryable;
  return out;
}
