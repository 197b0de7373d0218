// The Cloudflare Worker host of portal-migrate (wrangler.toml beside this file; docs/worker.md).
//
//   POST /migrate    {request, mode?}  start a job: small ones run inline under a deadline (200 with
//                    the report), big ones go to the JOBS queue (202 with the jobId)
//   GET  /jobs/:id   the job's record and report
//   queue handler    runs one chunk per message under a deadline, re-enqueues the continuation
//
// Callers (js/core/edge.js authorize, js/core/signature.js):
//   - signed: X-Portal-Migrate-Timestamp: <unix s> and X-Portal-Migrate-Signature: v1=<hex
//     HMAC-SHA256(PORTAL_MIGRATE_HMAC_SECRET, METHOD\npath?query\ntimestamp\nhex(sha256(body)))>;
//     ±300 s; each signature is accepted once (GuardDO), a replay gets 409. A signed GET reads
//     only the job in its path.
//   - bearer, for Jira Automation (it cannot compute an HMAC): Authorization: Bearer
//     <PORTAL_MIGRATE_TOKEN> starts jobs; <PORTAL_MIGRATE_READ_TOKEN> reads them. Neither does both.
// Order of checks, cheapest first: route → per-IP rate limit → size → credentials → per-credential
// rate limit → body → replay → per-site running-job slots → the job. Errors are JSON
// `{error: {code, message}}` with stable codes (docs/worker.md) and never echo the request.
//
// env: secrets ATLASSIAN_EMAIL, ATLASSIAN_API_TOKEN, PORTAL_MIGRATE_TOKEN, PORTAL_MIGRATE_HMAC_SECRET,
//      PORTAL_MIGRATE_READ_TOKEN (`wrangler secret put NAME`); var PORTAL_MIGRATE_CONFIG (the config,
//      JSON text or a TOML table); optional vars PORTAL_MIGRATE_INLINE_MS, PORTAL_MIGRATE_CHUNK_MS,
//      PORTAL_MIGRATE_INLINE_MAX_CUSTOMERS, PORTAL_MIGRATE_MAX_RUNNING_JOBS,
//      PORTAL_MIGRATE_JOB_LEASE_MS; bindings JOBS (queue producer), JOURNAL (JournalDO), GUARD
//      (GuardDO), RL_IP and RL_CREDENTIAL (rate limits, optional: see throttle.js).
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
import * as core from "../core/worker.js";
import {
  HttpError, secretsOf, MAX_BODY_BYTES, SIGNATURE_HEADER, TIMESTAMP_HEADER, authorize, callerSecrets, canonicalTarget,
  checkSize, createAtlassianFetch, describeError, isJobId, normaliseHeaders, parseStartBody, tooLarge,
} from "../core/edge.js";
import { createJobs, readStatus } from "../core/jobs.js";
import { log } from "./log.js";
import { throttleCredential, throttleIp } from "./throttle.js";

export { GuardDO } from "./guard.js";

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

/** The RPC stub of a site's JournalDO, shaped as the core's journal. */
function journalFor(env, siteUrl) {
  const ns = env.JOURNAL;
  if (!ns) throw configError("the JOURNAL Durable Object binding is missing (see wrangler.toml)");
  return journalOfStub(ns.get(ns.idFromName(new URL(siteUrl).host)));
}

/**
 * async wrappers: an RPC call returns an RpcPromise (a thenable proxy, not a Promise), and the
 * core's adapters await only real Promises.
 */
function journalOfStub(stub) {
  return {
    get: async (key) => await stub.get(key),
    put: async (key, value) => {
      await stub.put(key, value);
    },
    list: async (prefix) => await stub.list(prefix),
    // The answer crosses RPC as structured clone: a plain object, so spread it into a fresh one.
    claim: async (key, opts) => ({ ...(await stub.claim(key, { owner: opts?.owner, leaseMs: opts?.leaseMs, now: opts?.now })) }),
    release: async (key, owner) => await stub.release(key, owner),
  };
}

function configError(message) {
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

/** Settings, secrets and the job runner for one invocation. */
function setup(env) {
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
  const jobs = createJobs({
    core, config, host, limits, log,
    enqueue: (body, { delaySeconds } = {}) =>
      env.JOBS.send(body, delaySeconds ? { delaySeconds: Math.min(43_200, Math.round(delaySeconds)) } : undefined),
  });
  return {
    jobs,
    journal: host.journal,
    guard: guardFor(env, urls.siteUrl),
    inlineMs: intVar(env, "PORTAL_MIGRATE_INLINE_MS", DEFAULTS.inlineMs),
    chunkMs: intVar(env, "PORTAL_MIGRATE_CHUNK_MS", DEFAULTS.chunkMs),
    maxRunningJobs: intVar(env, "PORTAL_MIGRATE_MAX_RUNNING_JOBS", DEFAULTS.maxRunningJobs),
    jobLeaseMs: intVar(env, "PORTAL_MIGRATE_JOB_LEASE_MS", DEFAULTS.jobLeaseMs),
  };
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** Reads at most MAX_BODY_BYTES (the declared length is checked first), as raw bytes. */
async function readBody(request) {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

function utf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "MALFORMED_BODY", "the body is not UTF-8 text");
  }
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

/** A signature is good once: the second delivery of the same signed bytes is a 409. */
async function refuseReplay(ctx, auth) {
  if (!auth.replay) return;
  if (!(await ctx.guard.claimSignature(auth.replay.id, auth.replay.expiresAtMs))) {
    throw new HttpError(409, "REPLAYED", "this signature was already used; sign each request afresh");
  }
}

function targetOf(request) {
  const url = new URL(request.url);
  return canonicalTarget(url.pathname, url.searchParams);
}

/**
 * Authorizes before the body is read when it can (bearer: the body plays no part), after it when
 * it must (a signature covers the body); throttles the proved credential either way.
 */
async function authorizeAndRead(request, env, headers, scope) {
  const args = { headers, scope, method: request.method, target: targetOf(request), secrets: callerSecrets(env) };
  const signed = headers[SIGNATURE_HEADER] !== undefined || headers[TIMESTAMP_HEADER] !== undefined;
  let auth = signed ? null : await authorize({ ...args, body: null });
  if (auth) await throttleCredential(env, auth.credentialKey);
  const bytes = await readBody(request);
  if (!auth) {
    auth = await authorize({ ...args, body: bytes });
    await throttleCredential(env, auth.credentialKey);
  }
  return { auth, bytes };
}

async function startJob(request, env) {
  const headers = normaliseHeaders(request.headers);
  checkSize({ contentLength: headers["content-length"] });
  const { auth, bytes } = await authorizeAndRead(request, env, headers, "start");
  const { request: req, mode } = parseStartBody(utf8(bytes), headers["content-type"]);
  const jobId = core.jobId(req); // code REQUEST (400): validated before the signature is spent
  const ctx = setup(env);
  await refuseReplay(ctx, auth);
  const slot = await ctx.guard.acquireJob(jobId, { max: ctx.maxRunningJobs, leaseMs: ctx.jobLeaseMs });
  if (!slot.ok) {
    log("warn", "start refused: running-job limit", { jobId, running: slot.running, max: slot.max });
    throw new HttpError(429, "TOO_MANY_JOBS",
      `${slot.running} jobs of this site are running (limit ${slot.max}); try again when one has finished`,
      { "retry-after": "60" });
  }
  let out;
  try {
    out = await ctx.jobs.start(req, { mode, inlineMs: ctx.inlineMs });
  } finally {
    if (out?.status !== "queued" && out?.status !== "running") await ctx.guard.releaseJob(jobId);
  }
  log("info", "job started", { jobId: out.jobId, status: out.status, scheme: auth.scheme });
  return json(out.status === "done" ? 200 : 202, out);
}

async function jobStatus(request, env, jobId) {
  const headers = normaliseHeaders(request.headers);
  checkSize({ contentLength: headers["content-length"] });
  const { auth } = await authorizeAndRead(request, env, headers, "read");
  if (!isJobId(jobId)) throw new HttpError(400, "BAD_JOB_ID", "a job id is 1-64 letters, digits, '-' or '_'");
  const ctx = setup(env);
  await refuseReplay(ctx, auth);
  const status = await readStatus(core, ctx.journal, jobId);
  if (!status) throw new HttpError(404, "NOT_FOUND", "no such job");
  return json(200, status);
}

function route(request) {
  const { pathname } = new URL(request.url);
  if (pathname === "/migrate") {
    if (request.method !== "POST") throw new HttpError(405, "METHOD_NOT_ALLOWED", "POST /migrate starts a job", { allow: "POST" });
    return { name: "migrate" };
  }
  const m = /^\/jobs\/([^/]*)$/.exec(pathname);
  if (m) {
    if (request.method !== "GET") throw new HttpError(405, "METHOD_NOT_ALLOWED", "GET /jobs/:id reads a job", { allow: "GET" });
    let id;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      id = null;
    }
    return { name: "job", id };
  }
  throw new HttpError(404, "NOT_FOUND", "routes: POST /migrate, GET /jobs/:id");
}

/** Chunk outcomes after which the job holds no slot (js/core/jobs.js runChunk). */
const FINISHED = new Set(["done", "failed", "rejected"]);

export default {
  async fetch(request, env) {
    const t0 = Date.now();
    let r = { name: "unknown" };
    try {
      r = route(request);
      await throttleIp(env, request);
      return r.name === "migrate" ? await startJob(request, env) : await jobStatus(request, env, r.id);
    } catch (err) {
      const { status, headers, body } = describeError(err);
      // Ids and codes only: no address, no header, no body. Throttled requests are left to the
      // invocation log: a flood must not also cost a log line each.
      if (!(status === 429 && body.error.code === "RATE_LIMITED")) {
        log(status >= 500 ? "error" : "info", "request refused", { route: r.name, status, code: body.error.code, ms: Date.now() - t0 });
      }
      return json(status, body, headers);
    }
  },

  async queue(batch, env) {
    let ctx;
    try {
      ctx = setup(env);
    } catch (err) {
      log("error", "queue: cannot set up", { code: err?.code, message: err?.message });
      batch.retryAll({ delaySeconds: 60 });
      return;
    }
    for (const msg of batch.messages) {
      const jobId = typeof msg.body?.request?.jobId === "string" ? msg.body.request.jobId : null;
      try {
        // A chunk of an admitted job renews its slot even past the limit (guard.js acquireJob).
        if (jobId) await ctx.guard.acquireJob(jobId, { max: ctx.maxRunningJobs, leaseMs: ctx.jobLeaseMs, force: true });
        const out = await ctx.jobs.runChunk(msg.body, { chunkMs: ctx.chunkMs });
        if (out.jobId && FINISHED.has(out.status)) await ctx.guard.releaseJob(out.jobId);
        msg.ack();
      } catch (err) {
        // The chunk could not be recorded or its continuation not enqueued: deliver it again.
        log("error", "queue: chunk could not finish", { jobId, code: err?.code, message: err?.message, attempts: msg.attempts });
        msg.retry({ delaySeconds: 60 });
      }
    }
  },
};
