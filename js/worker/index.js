// The Cloudflare Worker host of portal-migrate (wrangler.toml beside this file).
//
//   POST /migrate    {request, mode?}  start a job: small ones run inline under a deadline (200 with
//                    the report), big ones go to the JOBS queue (202 with the jobId)
//   GET  /jobs/:id   the job's record and report
//   queue handler    runs one chunk per message under a deadline, re-enqueues the continuation
//
// Both endpoints need `Authorization: Bearer <PORTAL_MIGRATE_TOKEN>` or
// `X-Portal-Migrate-Signature: sha256=<HMAC-SHA256(PORTAL_MIGRATE_HMAC_SECRET, body)>`; bodies over
// 64 KiB get 413, malformed ones 400, every error a JSON `{error: {code, message}}`.
//
// env: secrets ATLASSIAN_EMAIL, ATLASSIAN_API_TOKEN, PORTAL_MIGRATE_TOKEN and/or
//      PORTAL_MIGRATE_HMAC_SECRET (`wrangler secret put NAME`); var PORTAL_MIGRATE_CONFIG (the config,
//      JSON text or a TOML table); optional vars PORTAL_MIGRATE_INLINE_MS, PORTAL_MIGRATE_CHUNK_MS,
//      PORTAL_MIGRATE_INLINE_MAX_CUSTOMERS; bindings JOBS (queue producer), JOURNAL (JournalDO).
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
  HttpError, MAX_BODY_BYTES, authenticate, checkSize, createAtlassianFetch, describeError, isJobId,
  normaliseHeaders, parseStartBody, tooLarge,
} from "../core/edge.js";
import { createJobs, readStatus } from "../core/jobs.js";

/**
 * Inline work stays far below what an HTTP caller (Jira Automation's web request gives up after
 * about 30 s) and the Worker CPU limit allow; a queue consumer may run 15 minutes of wall time, a
 * chunk stops starting customers after 10.
 */
export const DEFAULTS = Object.freeze({ inlineMs: 20_000, chunkMs: 600_000, fetchTimeoutMs: 60_000 });

/** The journal's owner: the core's {get, put, list} over Durable Object storage, called by RPC. */
export class JournalDO extends DurableObject {
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
}

/** The RPC stub of a site's JournalDO, shaped as the core's journal. */
function journalFor(env, siteUrl) {
  const ns = env.JOURNAL;
  if (!ns) throw configError("the JOURNAL Durable Object binding is missing (see wrangler.toml)");
  const stub = ns.get(ns.idFromName(new URL(siteUrl).host));
  // async wrappers: an RPC call returns an RpcPromise (a thenable proxy, not a Promise), and the
  // core's adapters await only real Promises.
  return {
    get: async (key) => await stub.get(key),
    put: async (key, value) => {
      await stub.put(key, value);
    },
    list: async (prefix) => await stub.list(prefix),
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
    inlineMs: intVar(env, "PORTAL_MIGRATE_INLINE_MS", DEFAULTS.inlineMs),
    chunkMs: intVar(env, "PORTAL_MIGRATE_CHUNK_MS", DEFAULTS.chunkMs),
  };
}

function log(level, message, fields = {}) {
  const line = JSON.stringify({ level, message, ...fields });
  (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(line);
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** Reads at most MAX_BODY_BYTES (the declared length is checked first), as raw bytes. */
async function readBody(request) {
  checkSize({ contentLength: request.headers.get("content-length") ?? undefined });
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
      throw tooLarge(total);
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

function secretsOf(env) {
  return { token: env.PORTAL_MIGRATE_TOKEN, hmacSecret: env.PORTAL_MIGRATE_HMAC_SECRET };
}

async function startJob(request, env) {
  const headers = normaliseHeaders(request.headers);
  const bytes = await readBody(request);
  await authenticate({ headers, body: bytes, secrets: secretsOf(env) });
  const { request: req, mode } = parseStartBody(utf8(bytes), headers["content-type"]);
  const { jobs, inlineMs } = setup(env);
  const out = await jobs.start(req, { mode, inlineMs });
  return json(out.status === "done" ? 200 : 202, out);
}

async function jobStatus(request, env, jobId) {
  const headers = normaliseHeaders(request.headers);
  await authenticate({ headers, body: new Uint8Array(0), secrets: secretsOf(env) });
  if (!isJobId(jobId)) throw new HttpError(400, "BAD_JOB_ID", "a job id is 1-64 letters, digits, '-' or '_'");
  const { journal } = setup(env);
  const status = await readStatus(core, journal, jobId);
  if (!status) throw new HttpError(404, "NOT_FOUND", `no job ${jobId}`);
  return json(200, status);
}

export default {
  async fetch(request, env) {
    try {
      const { pathname } = new URL(request.url);
      if (pathname === "/migrate") {
        if (request.method !== "POST") throw new HttpError(405, "METHOD_NOT_ALLOWED", "POST /migrate starts a job", { allow: "POST" });
        return await startJob(request, env);
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
        return await jobStatus(request, env, id);
      }
      throw new HttpError(404, "NOT_FOUND", "routes: POST /migrate, GET /jobs/:id");
    } catch (err) {
      const { status, headers, body } = describeError(err);
      if (status >= 500) log("error", "request failed", body.error);
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
      try {
        await ctx.jobs.runChunk(msg.body, { chunkMs: ctx.chunkMs });
        msg.ack();
      } catch (err) {
        // The chunk could not be recorded or its continuation not enqueued: deliver it again.
        log("error", "queue: chunk could not finish", { code: err?.code, message: err?.message, attempts: msg.attempts });
        msg.retry({ delaySeconds: 60 });
      }
    }
  },
};
