// The Cloudflare Worker host of portal-migrate (wrangler.toml beside this file; docs/worker.md).
//
//   POST /migrate    {request, mode?}  start a job: small ones run inline under a deadline (200 with
//                    the report), big ones go to the JOBS queue (202 with the jobId)
//   GET  /jobs/:id   the job's record and report
//   queue, scheduled the chunk consumer, the dead-letter consumer and the cron sweeper (queue.js)
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
// env (the rest in setup.js): secrets PORTAL_MIGRATE_TOKEN, PORTAL_MIGRATE_HMAC_SECRET,
//      PORTAL_MIGRATE_READ_TOKEN (`wrangler secret put NAME`); bindings RL_IP and RL_CREDENTIAL
//      (rate limits, optional: see throttle.js). The journal is the site's JournalDO (journal.js),
//      replay protection and job slots its GuardDO (guard.js).
import * as core from "../core/worker.js";
import {
  HttpError, MAX_BODY_BYTES, SIGNATURE_HEADER, TIMESTAMP_HEADER, authorize, callerSecrets, canonicalTarget,
  checkSize, describeError, isJobId, normaliseHeaders, parseStartBody, tooLarge,
} from "../core/edge.js";
import { readStatus } from "../core/jobs.js";
import { log } from "./log.js";
import { queue, scheduled } from "./queue.js";
import { setup } from "./setup.js";
import { throttleCredential, throttleIp } from "./throttle.js";

export { GuardDO } from "./guard.js";
export { JournalDO } from "./journal.js";
export { DEFAULTS } from "./setup.js";

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

/** Start answers (js/core/jobs.js start) of a job that is still under way. */
const PENDING = new Set(["queued", "running", "pushing"]);

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
    // A job still under way keeps its slot; its last chunk releases it.
    if (!PENDING.has(out?.status)) await ctx.guard.releaseJob(jobId);
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

  queue,
  scheduled,
};
