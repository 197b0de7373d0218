// The Worker's queue consumers and cron sweeper (wrangler.toml: two [[queues.consumers]] entries
// and [triggers] crons), over the host-neutral job runner (js/core/jobs.js):
//
//   portal-migrate-jobs       one chunk per message; a message the handler cannot finish (the host
//                             could not record or push) is delivered again after the core's
//                             retryDelay(msg.attempts)
//   portal-migrate-jobs-dlq   a chunk delivered max_retries + 1 times without finishing: its job is
//                             marked failed with the reason, the message acked
//   scheduled()               the sweeper: pushes again the next message of jobs whose push failed
//                             or whose message was lost
//
// Queues deliver at least once (https://developers.cloudflare.com/queues/reference/delivery-guarantees/);
// each message carries `attempts`, the deliveries so far, for back-off
// (https://developers.cloudflare.com/queues/configuration/batching-retries/).
import { DEAD_LETTER_QUEUE, JOBS_MAX_RETRIES, setup } from "./setup.js";
import { log } from "./log.js";

/** Chunk outcomes after which the job holds no slot (js/core/jobs.js runChunk). */
const FINISHED = new Set(["done", "failed", "rejected"]);

const jobIdOf = (body) => (typeof body?.request?.jobId === "string" ? body.request.jobId : null);

export async function queue(batch, env) {
  let ctx;
  try {
    ctx = setup(env);
  } catch (err) {
    log("error", "queue: cannot set up", { queue: batch.queue, code: err?.code, message: err?.message });
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  if (batch.queue === DEAD_LETTER_QUEUE) return deadLetters(batch, ctx);
  for (const msg of batch.messages) {
    const jobId = jobIdOf(msg.body);
    try {
      // A chunk of an admitted job renews its slot even past the limit (guard.js acquireJob).
      if (jobId) await ctx.guard.acquireJob(jobId, { max: ctx.maxRunningJobs, leaseMs: ctx.jobLeaseMs, force: true });
      const out = await ctx.jobs.runChunk(msg.body, { chunkMs: ctx.chunkMs, attempt: msg.attempts });
      if (out.jobId && (FINISHED.has(out.status) || (out.status === "stale" && out.finished))) await ctx.guard.releaseJob(out.jobId);
      msg.ack();
    } catch (err) {
      // The chunk could not be recorded or its continuation not pushed: deliver it again.
      const delaySeconds = ctx.core.retryDelay(msg.attempts, ctx.jobs.limits);
      log("error", "queue: chunk could not finish; it is delivered again", { jobId, code: err?.code, message: err?.message, attempts: msg.attempts, delaySeconds });
      msg.retry({ delaySeconds });
    }
  }
}

async function deadLetters(batch, ctx) {
  for (const msg of batch.messages) {
    try {
      const out = await ctx.jobs.deadLetter(msg.body, { attempts: JOBS_MAX_RETRIES + 1 });
      if (out.status === "failed") await ctx.guard.releaseJob(out.jobId);
      log(out.status === "failed" ? "error" : "info", "dead letter", { jobId: out.jobId, status: out.status });
      msg.ack();
    } catch (err) {
      log("error", "dead letter: the job could not be marked failed", { jobId: jobIdOf(msg.body), code: err?.code, attempts: msg.attempts });
      msg.retry({ delaySeconds: ctx.core.retryDelay(msg.attempts, ctx.jobs.limits) });
    }
  }
}

/**
 * The cron sweeper (https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/:
 * the first failed waitUntil is the event's status in Cron Events). Duplicate or overlapping
 * sweeps are harmless: each job is judged under its lease (js/core/jobs.js sweep).
 */
export function scheduled(controller, env, ctx) {
  ctx.waitUntil(sweep(env));
}

async function sweep(env) {
  let c;
  try {
    c = setup(env);
  } catch (err) {
    log("error", "sweep: cannot set up", { code: err?.code, message: err?.message });
    throw err;
  }
  const { closedJobs, ...counts } = await c.jobs.sweep();
  for (const jobId of closedJobs) await c.guard.releaseJob(jobId).catch(() => {});
  log(counts.errors ? "warn" : "info", "sweep", { ...counts, finished: closedJobs.length });
  return counts;
}
