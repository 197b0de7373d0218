// Settings, secrets, the site's Durable Objects and the job runner for one Worker invocation
// (fetch, queue or scheduled).
//
// env: secrets ATLASSIAN_EMAIL, ATLASSIAN_API_TOKEN (and the caller secrets, js/worker/index.js);
//      var PORTAL_MIGRATE_CONFIG (the config, JSON text or a TOML table); optional vars
//      PORTAL_MIGRATE_INLINE_MS, PORTAL_MIGRATE_CHUNK_MS, PORTAL_MIGRATE_INLINE_MAX_CUSTOMERS,
//      PORTAL_MIGRATE_MAX_RUNNING_JOBS, PORTAL_MIGRATE_JOB_LEASE_MS, PORTAL_MIGRATE_STALE_MS,
//      PORTAL_MIGRATE_FETCH_TIMEOUT_MS; bindings JOBS (queue producer), JOURNAL (JournalDO), GUARD
//      (GuardDO).
import * as core from "../core/worker.js";
import { createAtlassianFetch, secretsOf } from "../core/edge.js";
import { createJobs } from "../core/jobs.js";
import { journalOfStub } from "./journal.js";
import { log } from "./log.js";

/**
 * Inline work stays far below what an HTTP caller (Jira Automation's web request gives up after
 * about 30 s) and the Worker CPU limit allow; a queue consumer may run 15 minutes of wall time, a
 * chunk stops starting customers after 10.
 */
export const DEFAULTS = Object.freeze({
  inlineMs: 20_000,
  chunkMs: 600_000,
  fetchTimeoutMs: 60_000,
  /** Jobs of one site running (inline or queued) at once; a start past it gets 429 TOO_MANY_JOBS. */
  maxRunningJobs: 4,
  /**
   * A job's slot expires this long after its last start or chunk, so a Worker that died mid-job
   * frees it. Longer than one chunk (10 min) plus the largest retry delay (15 min, js/core/jobs.js).
   */
  jobLeaseMs: 30 * 60_000,
});

/** The queues (wrangler.toml) and the main consumer's max_retries: a dead letter was delivered this often. */
export const JOBS_QUEUE = "portal-migrate-jobs";
export const DEAD_LETTER_QUEUE = "portal-migrate-jobs-dlq";
export const JOBS_MAX_RETRIES = 10;

export function configError(message) {
  const err = new Error(message);
  err.code = "CONFIG";
  err.retryable = false;
  return err;
}

function intVar(env, name, fallback) {
  const v = env[name];
  if (v === undefined || v === null || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw configError(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

/** The RPC stub of a site's JournalDO, shaped as the core's journal. */
function journalFor(env, siteUrl) {
  const ns = env.JOURNAL;
  if (!ns) throw configError("the JOURNAL Durable Object binding is missing (see wrangler.toml)");
  return journalOfStub(ns.get(ns.idFromName(new URL(siteUrl).host)));
}

/** The site's GuardDO (guard.js) as async functions (RPC returns thenables, not Promises). */
function guardFor(env, siteUrl) {
  const ns = env.GUARD;
  if (!ns) throw configError("the GUARD Durable Object binding is missing (see wrangler.toml)");
  const stub = ns.get(ns.idFromName(new URL(siteUrl).host));
  return {
    claimSignature: async (id, expiresAtMs) => await stub.claimSignature(id, expiresAtMs),
    acquireJob: async (jobId, opts) => await stub.acquireJob(jobId, opts),
    releaseJob: async (jobId) => {
      await stub.releaseJob(jobId);
    },
  };
}

/** Settings, secrets and the job runner for one invocation. */
export function setup(env) {
  let config = env.PORTAL_MIGRATE_CONFIG;
  if (config === undefined || config === null || config === "") {
    throw configError("PORTAL_MIGRATE_CONFIG is not set (a var with the config JSON, see wrangler.toml)");
  }
  if (typeof config === "string") {
    try {
      config = JSON.parse(config);
    } catch (e) {
      throw configError(`PORTAL_MIGRATE_CONFIG is not valid JSON: ${e.message}`);
    }
  }
  const urls = core.validateConfig(config); // code CONFIG with the JSON path
  for (const name of ["ATLASSIAN_EMAIL", "ATLASSIAN_API_TOKEN"]) {
    if (!env[name]) throw configError(`missing secret ${name} (wrangler secret put ${name})`);
  }
  if (!env.JOBS) throw configError("the JOBS queue binding is missing (see wrangler.toml)");
  const host = {
    fetch: createAtlassianFetch({
      fetchImpl: (url, init) => fetch(url, init),
      credentials: { email: env.ATLASSIAN_EMAIL, apiToken: env.ATLASSIAN_API_TOKEN },
      urls,
      timeoutMs: intVar(env, "PORTAL_MIGRATE_FETCH_TIMEOUT_MS", DEFAULTS.fetchTimeoutMs),
    }),
    journal: journalFor(env, urls.siteUrl),
    secrets: secretsOf({ email: env.ATLASSIAN_EMAIL, apiToken: env.ATLASSIAN_API_TOKEN }),
  };
  const limits = {};
  const inlineMax = intVar(env, "PORTAL_MIGRATE_INLINE_MAX_CUSTOMERS", null);
  if (inlineMax !== null) limits.inlineMaxCustomers = inlineMax;
  const staleMs = intVar(env, "PORTAL_MIGRATE_STALE_MS", null);
  if (staleMs !== null) limits.staleMs = staleMs;
  const jobs = createJobs({
    core, config, host, limits, log,
    // Queues allow delays up to 12 h (https://developers.cloudflare.com/queues/platform/limits/).
    enqueue: (body, { delaySeconds } = {}) =>
      env.JOBS.send(body, delaySeconds ? { delaySeconds: Math.min(43_200, Math.round(delaySeconds)) } : undefined),
  });
  return {
    core,
    jobs,
    journal: host.journal,
    guard: guardFor(env, urls.siteUrl),
    inlineMs: intVar(env, "PORTAL_MIGRATE_INLINE_MS", DEFAULTS.inlineMs),
    chunkMs: intVar(env, "PORTAL_MIGRATE_CHUNK_MS", DEFAULTS.chunkMs),
    maxRunningJobs: intVar(env, "PORTAL_MIGRATE_MAX_RUNNING_JOBS", DEFAULTS.maxRunningJobs),
    jobLeaseMs: intVar(env, "PORTAL_MIGRATE_JOB_LEASE_MS", DEFAULTS.jobLeaseMs),
  };
}
