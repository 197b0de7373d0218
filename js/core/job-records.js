// The host's job records (js/core/jobs.js), kept in the host journal next to the core's own keys
// (`job/…`, `customer/…`, `account/…`, `lease/job/…`, `lease/customer/…`):
//
//   hostjob/{jobId}                 the record: state, the chain of queue messages, the next
//                                   message, the report without its customers
//   hostjob/{jobId}/customers/0000  the report's customers, PART_SIZE per part (Forge KVS values
//                                   are limited to 240 KiB, so a 1,000-customer report is split)
//   hostjob-open/{jobId}            an index entry per job that is not done or failed: what the
//                                   sweeper reads, instead of every record and report part
//   lease/hostjob/{jobId}           a claim (HACKING.md "The journal contract"): the one host run
//                                   that may change the record and push the job's next message
//
// A queue message is { v: 1, chain, chunk, attempts, stalls, unfinished, request }: `chain` names
// the chain of messages a fresh start began, `chunk` counts from 1 in it, `request` is the core's
// continuation (it names the jobId). The record keeps `chain`, `lastChunk` (the last chunk of the
// chain that completed) and `next` (the message that continues the job).

export const PART_SIZE = 100;
export const RECORD_PREFIX = "hostjob/";
export const INDEX_PREFIX = "hostjob-open/";
/** Not done or failed: a message is on the queue, about to be pushed, or being run. */
export const ACTIVE = new Set(["pushing", "queued", "running"]);
export const TERMINAL = new Set(["done", "failed"]);

export const recordKey = (jobId) => `${RECORD_PREFIX}${jobId}`;
const indexKey = (jobId) => `${INDEX_PREFIX}${jobId}`;
const leaseKey = (jobId) => `lease/${RECORD_PREFIX}${jobId}`;
export const partKey = (jobId, i) => `${RECORD_PREFIX}${jobId}/customers/${String(i).padStart(4, "0")}`;

/** A short random tag (owners, chains): Web Crypto in workerd and Node alike. */
export function randomTag() {
  const b = new Uint8Array(6);
  globalThis.crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function parse(text) {
  if (text == null) return null;
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

/**
 * The records of one journal. `save` writes the report parts first and the record last, so a
 * record never names parts that are not there.
 */
export function recordStore(journal, now) {
  return {
    read: async (jobId) => parse(await journal.get(recordKey(jobId))),

    async save(rec, result) {
      rec.updatedMs = now();
      if (result) {
        const { customers = [], ...rest } = result.report ?? {};
        const parts = Math.ceil(customers.length / PART_SIZE);
        for (let i = 0; i < parts; i++) {
          await journal.put(partKey(rec.jobId, i), JSON.stringify(customers.slice(i * PART_SIZE, (i + 1) * PART_SIZE)));
        }
        rec.report = rest;
        rec.parts = parts;
        rec.summary = result.summary;
        rec.unfinished = rest.totals?.unfinished ?? 0;
      }
      await journal.put(recordKey(rec.jobId), JSON.stringify(rec));
    },

    /** Before the record turns active, so the sweeper can never miss an active job. */
    open: (rec) => journal.put(indexKey(rec.jobId), JSON.stringify({ jobId: rec.jobId, createdMs: rec.createdMs })),

    /** After the record turned done or failed. The journal contract has no delete: a host may. */
    async close(jobId) {
      if (typeof journal.delete === "function") await journal.delete(indexKey(jobId));
      else await journal.put(indexKey(jobId), JSON.stringify({ jobId, closed: true }));
    },

    /** The open index entries, oldest first. */
    async listOpen() {
      const rows = await journal.list(INDEX_PREFIX);
      return rows
        .map(([key, text]) => ({ key, entry: parse(text) }))
        .filter(({ key, entry }) => entry && !entry.closed && entry.jobId === key.slice(INDEX_PREFIX.length))
        .map(({ entry }) => entry)
        .sort((a, b) => (a.createdMs ?? 0) - (b.createdMs ?? 0));
    },
  };
}

/**
 * The host lease on a job (`lease/hostjob/{jobId}`): at most one host run (a start, a chunk, the
 * sweeper, the dead-letter consumer) reads, judges and changes the job's record and pushes its
 * next message at a time. It is never renewed while the core works: `leaseMs` outlives the
 * longest invocation the host allows, so a holder is dead before its lease runs out; `renew()`
 * before committing an outcome tells a holder that lost it anyway (then it writes nothing).
 */
export function hostLease(journal, jobId, { now, leaseMs }) {
  const key = leaseKey(jobId);
  const owner = `${jobId}/host@${now().toString(36)}.${randomTag()}`;
  const claim = async () => (await journal.claim(key, { owner, leaseMs, now: now() })).won === true;
  return {
    owner,
    take: claim,
    renew: claim,
    async release() {
      try {
        await journal.release(key, owner);
      } catch { /* it runs out by itself */ }
    },
  };
}

/** A queue message as js/core/jobs.js writes it; anything else is rejected (dropped, not retried). */
export function checkMessage(body) {
  if (!body || typeof body !== "object" || body.v !== 1) return { rejected: "the message is not a portal-migrate chunk (v: 1)" };
  if (!body.request || typeof body.request !== "object" || Array.isArray(body.request)) return { rejected: "the message has no request" };
  const int = (v, d) => (Number.isInteger(v) && v >= 0 ? v : d);
  return message({
    chain: typeof body.chain === "string" && body.chain ? body.chain : null,
    request: body.request,
    chunk: int(body.chunk, 1) || 1,
    attempts: int(body.attempts, 0),
    stalls: int(body.stalls, 0),
    unfinished: Number.isInteger(body.unfinished) ? body.unfinished : undefined,
  });
}

export function message({ chain, request, chunk, attempts = 0, stalls = 0, unfinished }) {
  const m = { v: 1, chain, chunk, attempts, stalls, request };
  if (unfinished !== undefined) m.unfinished = unfinished;
  return m;
}

/**
 * What a delivered message is to the job's record:
 *   "run"   the job's current chunk (or a job this host has no record of): run it
 *   "push"  the chunk that completed last, whose continuation is still to be pushed: push it
 *   "stale" a copy of a chunk that already completed, of an older chain, or of a finished job
 */
export function judge(rec, msg) {
  if (!rec) return "run";
  // A message of another chain, or one from before chains (none) once the record has one.
  if (rec.chain && msg.chain !== rec.chain) return "stale";
  if (TERMINAL.has(rec.state)) return "stale";
  const last = rec.lastChunk ?? 0;
  if (msg.chunk <= last) return rec.state === "pushing" && msg.chunk === last ? "push" : "stale";
  return "run";
}

export function errorInfo(err) {
  const out = { code: err?.code ?? "INTERNAL", message: String(err?.message ?? err) };
  if (typeof err?.retryable === "boolean") out.retryable = err.retryable;
  return out;
}
