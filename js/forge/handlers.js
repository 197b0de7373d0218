// The Forge app's handlers: product event trigger, workflow post function, Automation action, web
// trigger, queue consumer and the scheduled sweeper. Each turns its event into a MigrationRequest
// and hands it to the job runner (js/core/jobs.js); the core decides everything else.
//
//   const h = createHandlers({ platform, core });   // platform: js/forge/platform.js (or a fake)
//   export const onIssueUpdated = h.onIssueUpdated; ...
//
// Settings are per installation (js/forge/settings.js; the admin page writes them): the config,
// the trigger status, the groups allowed to run the Automation action, and the org admin's
// email and API token (KVS secret storage). Product calls go as the app (js/forge/product.js);
// only the admin-gateway migrate call uses the admin's token.
// Caller secrets of the web trigger (encrypted variables, `forge variables set --encrypt NAME`):
//   PORTAL_MIGRATE_TOKEN                   bearer token that starts jobs (web-trigger POST)
//   PORTAL_MIGRATE_HMAC_SECRET             key of v1 request signatures (docs/worker.md): starts
//                                          jobs, and a signed GET reads the one job it names
//   PORTAL_MIGRATE_READ_TOKEN              bearer token that reads jobs (web-trigger GET ?jobId=)
import {
  HttpError, authorize, callerSecrets, canonicalTarget, checkSize, describeError,
  isJobId, isPlainObject, normaliseHeaders, parseStartBody,
} from "../core/edge.js";
import { createJobs, readStatus } from "../core/jobs.js";
import { actorAllowed } from "./access.js";
import { forgeHost } from "./host.js";
import { kvsJournal } from "./journal.js";
import { CONFIG_KEY, TRIGGER_STATUS_KEY, createSettings } from "./settings.js";

export { CONFIG_KEY, TRIGGER_STATUS_KEY };

/**
 * Inline budgets stay well below each module's invocation limit (a customer in flight may finish
 * after the deadline): product triggers and post functions are assumed to get the general 25 s,
 * web triggers and actions get 55 s, the consumer function declares timeoutSeconds: 900
 * (https://developer.atlassian.com/platform/forge/platform-quotas-and-limits/#invocation-limits).
 * consumerTimeoutSeconds must match manifest.yml: it sets the consumer's egress budget.
 */
export const DEFAULT_BUDGETS = Object.freeze({
  trigger: 10_000,
  postFunction: 10_000,
  action: 25_000,
  webTrigger: 25_000,
  chunk: 600_000,
  fetchTimeout: 60_000,
  consumerTimeoutSeconds: 900,
});

const MAX_INPUT_CHARS = 64 * 1024;

function defaultLog(level, message, fields = {}) {
  const line = JSON.stringify({ level, message, ...fields });
  (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(line);
}

export function createHandlers({ platform, core, limits = {}, budgets = {}, log = defaultLog }) {
  const B = { ...DEFAULT_BUDGETS, ...budgets };
  const journal = kvsJournal(platform.kvs);
  const settings = createSettings({ platform, core });

  /** A job runner for this invocation: fresh settings, product fetch, the egress budget. */
  async function jobsFor(context, timeoutSeconds) {
    const { jobs, budget } = await forgeHost({ platform, core, settings, context, timeoutSeconds, fetchTimeoutMs: B.fetchTimeout, limits, log });
    return { jobs, budget };
  }

  /**
   * Seconds before the platform delivers an event again: the core's back-off for the delivery
   * that follows this one (event.retryContext.retryCount counts the retries so far; absent on a
   * first delivery: https://developer.atlassian.com/platform/forge/runtime-reference/async-events-api/#retries).
   */
  const retryAfter = (event) => core.retryDelay((Number(event?.retryContext?.retryCount) || 0) + 1, limits);

  /**
   * Event-driven starts: a retryable failure goes to the queue; only a failed push (or a host
   * failure) asks Forge to deliver the event again, at most four times
   * (https://developer.atlassian.com/platform/forge/events-reference/product_events/).
   */
  async function startFromEvent(event, request, context, inlineMs, what) {
    try {
      const { jobs } = await jobsFor(context);
      const out = await jobs.start(request, { mode: "auto", inlineMs, onRetryable: "queue" });
      return brief(out);
    } catch (err) {
      log("error", `${what} failed`, { code: err?.code, message: err?.message, issueKey: request.issueKey });
      if (err?.code === "CONFIG" || err?.code === "REQUEST") return { status: "failed", error: describeError(err).body.error };
      return platform.retry({ retryAfter: retryAfter(event), retryData: { issueKey: request.issueKey ?? null } });
    }
  }

  /** trigger on avi:jira:updated:issue: acts only on a status change into the configured status. */
  async function onIssueUpdated(event, context) {
    const want = await settings.triggerStatus();
    if (want === null) return skip("no trigger status configured (admin page, or PORTAL_MIGRATE_TRIGGER_STATUS)");
    const issueKey = event?.issue?.key;
    if (typeof issueKey !== "string" || !issueKey) return skip("the event has no issue key");
    const change = statusChange(event?.changelog, String(want));
    if (!change) return skip(`not a status change into ${JSON.stringify(String(want))}`);
    return startFromEvent(event, { issueKey }, context, B.trigger, "onIssueUpdated");
  }

  /** jira:workflowPostFunction: the admin put it on the transition, so every call starts a job. */
  async function postFunction(event, context) {
    const issueKey = event?.issue?.key;
    if (typeof issueKey !== "string" || !issueKey) return skip("the post function event has no issue key");
    return startFromEvent(event, { issueKey }, context, B.postFunction, "postFunction");
  }

  /**
   * Automation action (action + automation:actionProvider). Inputs (the config form's fields, smart
   * values already rendered by Automation): issueKey, companies and customers (lists separated by
   * commas, semicolons or whitespace, or JSON arrays), dryRun. The rule's actor
   * (context.principal) must be a site admin or in settings:actionAllowedGroups (access.js):
   * checked before anything else. Errors go back as { errors: [{ message }] }, which
   * stops the rule and shows in its audit log.
   */
  async function automationAction(payload, context) {
    try {
      const verdict = await actorAllowed({
        product: platform.product,
        accountId: context?.principal?.accountId,
        allowedGroups: await settings.allowedGroups(),
      });
      if (!verdict.ok) {
        log("warn", "automationAction refused", { reason: verdict.reason });
        return { errors: [{ message: `FORBIDDEN: ${verdict.reason}` }] };
      }
      const request = actionRequest(payload);
      const { jobs } = await jobsFor(context);
      return brief(await jobs.start(request, { mode: "auto", inlineMs: B.action }));
    } catch (err) {
      const { body } = describeError(err);
      log("error", "automationAction failed", body.error);
      return { errors: [{ message: `${body.error.code}: ${body.error.message}` }] };
    }
  }

  /**
   * webtrigger (dynamic response). POST {request, mode?} starts a job (200 done, 202 queued);
   * GET ?jobId=… returns the job's record and report. The same scheme as the Worker
   * (js/core/edge.js authorize, docs/worker.md), with the web trigger URL as the root: a signed
   * request signs "/" plus anything appended to the URL, then the query ("/?jobId=job-…"), so a
   * signed GET reads only the job it names. Bearer: PORTAL_MIGRATE_TOKEN starts,
   * PORTAL_MIGRATE_READ_TOKEN reads. Forge throttles web triggers itself; this adds no limiter.
   */
  async function webTrigger(req, context) {
    try {
      const headers = normaliseHeaders(req?.headers);
      const method = String(req?.method ?? "").toUpperCase();
      const body = typeof req?.body === "string" ? req.body : "";
      const path = "/" + String(req?.userPath ?? "").replace(/^\/+/, "");
      const args = { headers, method, body, secrets: callerSecrets(platform.env), nowMs: platform.now(), target: canonicalTarget(path, req?.queryParameters) };
      if (method === "POST") {
        checkSize({ contentLength: headers["content-length"], text: body });
        const auth = await authorize({ ...args, scope: "start" });
        const { request, mode } = parseStartBody(body, headers["content-type"]);
        core.jobId(request); // code REQUEST (400): validated before the signature is spent
        await refuseReplay(auth);
        const { jobs } = await jobsFor(context);
        const out = await jobs.start(request, { mode, inlineMs: B.webTrigger });
        return respond(out.status === "done" ? 200 : 202, out);
      }
      if (method === "GET") {
        const auth = await authorize({ ...args, scope: "read" });
        const jobId = req?.queryParameters?.jobId?.[0];
        if (!isJobId(jobId)) throw new HttpError(400, "BAD_JOB_ID", "give ?jobId=<job id> (letters, digits, '-' or '_')");
        await refuseReplay(auth);
        const status = await readStatus(core, journal, jobId);
        if (!status) throw new HttpError(404, "NOT_FOUND", "no such job");
        return respond(200, status);
      }
      throw new HttpError(405, "METHOD_NOT_ALLOWED", "use POST to start a job or GET ?jobId= to read one", { allow: "GET, POST" });
    } catch (err) {
      const { status, headers, body } = describeError(err);
      if (status >= 500) log("error", "webTrigger failed", body.error);
      return respond(status, body, headers);
    }
  }

  /**
   * A signature is accepted once: its MAC goes into KVS with a TTL to the end of its window.
   * platform.kvs.claim is an atomic create-if-absent (FAIL_IF_EXISTS); without it this falls back
   * to get-then-set, which two simultaneous deliveries can both pass (best effort).
   */
  async function refuseReplay(auth) {
    if (!auth.replay) return;
    const key = `sig:${auth.replay.id}`;
    const ttlSeconds = Math.max(1, Math.ceil((auth.replay.expiresAtMs - platform.now()) / 1000));
    let fresh;
    if (typeof platform.kvs.claim === "function") {
      fresh = await platform.kvs.claim(key, ttlSeconds);
    } else {
      fresh = (await platform.kvs.get(key)) === undefined;
      if (fresh) await platform.kvs.set(key, 1, { ttl: { value: ttlSeconds, unit: "SECONDS" } });
    }
    if (!fresh) throw new HttpError(409, "REPLAYED", "this signature was already used; sign each request afresh");
  }

  /**
   * @forge/events consumer: one chunk per event, the continuation goes back on the queue. The
   * chunk stops starting customers at the earlier of its time budget and its egress budget's
   * deadline (egress.js).
   */
  async function queueConsumer(event, context) {
    const attempt = (Number(event?.retryContext?.retryCount) || 0) + 1;
    try {
      const { jobs, budget } = await jobsFor(context, B.consumerTimeoutSeconds);
      const chunkMs = Math.max(0, Math.min(B.chunk, budget.deadlineMs() - platform.now()));
      return brief(await jobs.runChunk(event?.body, { chunkMs, attempt }));
    } catch (err) {
      // Could not load settings, record or push: let the platform deliver the event again (it
      // does within the event's 24 h retention window; after that the sweeper resumes the job).
      log("error", "queueConsumer failed", { code: err?.code, message: err?.message, attempt });
      return platform.retry({ retryAfter: retryAfter(event) });
    }
  }

  /**
   * scheduledTrigger (interval hour): pushes again the next message of jobs whose push failed or
   * whose message was lost (js/core/jobs.js sweep). Needs neither the config nor the token: only
   * the journal and the queue. Duplicate invocations can happen and a thrown error is not retried
   * (https://developer.atlassian.com/platform/forge/manifest-reference/modules/scheduled-trigger/):
   * each job is judged under its lease, and errors are logged. Answers 204, the success the
   * platform expects (https://developer.atlassian.com/platform/forge/events-reference/scheduled-trigger/).
   */
  async function sweeper() {
    try {
      core.reset?.(); // tenant safety, as in forgeHost
      const jobs = createJobs({
        core, config: null, host: { journal }, limits, log,
        now: () => platform.now(),
        enqueue: (body, opts) => platform.queue.push(body, opts),
      });
      const { closedJobs, ...counts } = await jobs.sweep();
      log(counts.errors ? "warn" : "info", "sweep", { ...counts, finished: closedJobs.length });
    } catch (err) {
      log("error", "sweep failed", { code: err?.code, message: err?.message });
    }
    return { statusCode: 204 };
  }

  function skip(reason) {
    return { status: "skipped", reason };
  }

  return { onIssueUpdated, postFunction, automationAction, webTrigger, queueConsumer, sweeper };
}

/**
 * The changelog item showing a status change into `want` (a status name, compared without case,
 * or a status id), or null. Trusts only own string properties: `toString` on a plain object would
 * otherwise be Object.prototype.toString.
 */
export function statusChange(changelog, want) {
  const items = changelog?.items;
  if (!Array.isArray(items)) return null;
  const target = want.trim().toLowerCase();
  for (const item of items) {
    if (!isPlainObject(item)) continue;
    if (item.field !== "status" && item.fieldId !== "status") continue;
    const name = Object.hasOwn(item, "toString") && typeof item.toString === "string" ? item.toString : null;
    const id = item.to === undefined || item.to === null ? null : String(item.to);
    if ((name !== null && name.trim().toLowerCase() === target) || (id !== null && id === want.trim())) return item;
  }
  return null;
}

/** Builds the request of an Automation action from its inputs (top level, or under `inputs`). */
export function actionRequest(payload) {
  const inputs = isPlainObject(payload?.inputs) ? payload.inputs : isPlainObject(payload) ? payload : {};
  const request = {};
  const issueKey = text(inputs.issueKey, "issueKey");
  if (issueKey) request.issueKey = issueKey;
  const companies = list(inputs.companies, "companies");
  if (companies.length) request.companies = companies;
  const customers = list(inputs.customers, "customers");
  if (customers.length) request.customers = customers;
  if (inputs.dryRun === true || inputs.dryRun === "true") request.dryRun = true;
  if (!request.issueKey && !request.companies && !request.customers) {
    throw new HttpError(400, "BAD_INPUT", "give at least one of the inputs issueKey, companies or customers");
  }
  return request;
}

function text(v, name) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new HttpError(400, "BAD_INPUT", `${name} must be text`);
  if (v.length > MAX_INPUT_CHARS) throw new HttpError(413, "BAD_INPUT", `${name} is longer than ${MAX_INPUT_CHARS} characters`);
  return v.trim() || null;
}

function list(v, name) {
  if (v === undefined || v === null || v === "") return [];
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === "string")) throw new HttpError(400, "BAD_INPUT", `${name} must be a list of text values`);
    if (v.join(",").length > MAX_INPUT_CHARS) throw new HttpError(413, "BAD_INPUT", `${name} is longer than ${MAX_INPUT_CHARS} characters`);
    return v.map((x) => x.trim()).filter(Boolean);
  }
  const s = text(v, name);
  if (!s) return [];
  if (s.startsWith("[")) {
    let parsed;
    try {
      parsed = JSON.parse(s);
    } catch {
      throw new HttpError(400, "BAD_INPUT", `${name} starts with '[' but is not a JSON list`);
    }
    return list(parsed, name);
  }
  return s.split(/[\s,;]+/).filter(Boolean);
}

/** What a handler returns for a job: small, no customer data (Forge logs return values). */
function brief(out) {
  const { report, ...rest } = out;
  return rest;
}

function respond(statusCode, body, headers = {}) {
  const h = { "Content-Type": ["application/json"], "Cache-Control": ["no-store"] };
  for (const [k, v] of Object.entries(headers)) h[k] = [String(v)];
  return { statusCode, headers: h, body: JSON.stringify(body) };
}

