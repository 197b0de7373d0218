// The untrusted edge of the Forge web trigger and the Worker endpoint: caller authentication, body
// limits, JSON parsing, error bodies, and the host `fetch` that adds the Atlassian credentials.
//
// Host-neutral on purpose (Web APIs only: crypto.subtle, TextEncoder, fetch, AbortSignal), so the
// Forge host (Node 22+) and the Worker host (workerd) share one implementation of the security
// checks. It belongs with the hosts, not in js/core: it decides nothing about migrations.
//
// Error messages never echo what the caller sent (headers, body fragments, ids): an answer must
// not help anyone probe the endpoint, and logs of answers must not carry customer data.
import {
  SIGNATURE_HEADER, TIMESTAMP_HEADER, WINDOW_SECONDS, parseSignature, sha256Hex, verifySignature,
} from "./signature.js";

export {
  SIGNATURE_HEADER, TIMESTAMP_HEADER, WINDOW_SECONDS, canonicalTarget, signRequest, stringToSign, targetOf,
} from "./signature.js";

/** Request bodies above this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An error that becomes an HTTP answer: `{error: {code, message}}` with `status`. */
export class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function errorBody(code, message, extra = {}) {
  return { error: { code, message, ...extra } };
}

const encoder = new TextEncoder();

export function byteLength(text) {
  return typeof text === "string" ? encoder.encode(text).length : text?.byteLength ?? 0;
}

/** A configured secret shorter than this is ignored: it could be guessed. */
export const MIN_SECRET_CHARS = 16;

/**
 * The caller secrets (docs/worker.md "Secrets"), each at least MIN_SECRET_CHARS long and all
 * different:
 *   startToken  PORTAL_MIGRATE_TOKEN        bearer token that starts jobs (Jira Automation)
 *   startHmac   PORTAL_MIGRATE_HMAC_SECRET  key of v1 signatures; a signature is good for exactly
 *                                           the request it signs (a start, or one job's read)
 *   readToken   PORTAL_MIGRATE_READ_TOKEN   bearer token that reads any job, starts nothing
 */
export function callerSecrets(env) {
  const usable = (v) => (typeof v === "string" && v.length >= MIN_SECRET_CHARS ? v : null);
  const startToken = usable(env?.PORTAL_MIGRATE_TOKEN);
  const readToken = usable(env?.PORTAL_MIGRATE_READ_TOKEN);
  const startHmac = usable(env?.PORTAL_MIGRATE_HMAC_SECRET);
  // Scopes only mean something if the secrets differ: a reused value keeps its narrower use.
  return {
    startToken,
    readToken: readToken === startToken ? null : readToken,
    startHmac: startHmac === startToken || startHmac === readToken ? null : startHmac,
  };
}

/**
 * Decides whether a request may do `scope` ("start" | "read"). The signature form wins when its
 * headers are present; otherwise `Authorization: Bearer`. Every credential failure is the same
 * 401 (nothing tells a guesser which part was wrong); a valid credential for the other scope is a
 * 403; a correctly signed request outside the time window is a 401 STALE_SIGNATURE (only a
 * holder of the secret can get that far). With no usable secret for the scope every request is
 * refused (503): an unauthenticated migration endpoint must never exist by accident.
 *
 * `target` is the canonical path + query (signature.js canonicalTarget); `body` the raw body
 * (only read for signatures). Returns { scheme, credentialKey, replay? }: credentialKey names the
 * credential for throttling (a hash, never the secret); `replay` is { id, expiresAtMs } for the
 * host's seen-signature store.
 */
export async function authorize({ headers, scope, method, target, body, secrets, nowMs = Date.now() }) {
  const { startToken, startHmac, readToken } = secrets ?? {};
  const configured = scope === "start" ? startToken || startHmac : readToken || startHmac;
  if (!configured) {
    throw new HttpError(503, "NOT_CONFIGURED", scope === "start"
      ? "no caller secret is configured for starting jobs (PORTAL_MIGRATE_TOKEN or PORTAL_MIGRATE_HMAC_SECRET, at least 16 characters); refusing every request"
      : "no caller secret is configured for reading jobs (PORTAL_MIGRATE_READ_TOKEN or PORTAL_MIGRATE_HMAC_SECRET, at least 16 characters); refusing every request");
  }
  if (headers[SIGNATURE_HEADER] !== undefined || headers[TIMESTAMP_HEADER] !== undefined) {
    const parsed = parseSignature(headers);
    if (!parsed || !startHmac) throw unauthorized();
    const verdict = await verifySignature({
      secret: startHmac, method, target, body, ...parsed, nowSeconds: Math.floor(nowMs / 1000),
    });
    if (verdict === "bad") throw unauthorized();
    if (verdict === "stale") {
      throw new HttpError(401, "STALE_SIGNATURE", `the timestamp is more than ${WINDOW_SECONDS} s from the server's clock; sign again with the current time`);
    }
    return {
      scheme: "signature",
      credentialKey: "hmac",
      replay: { id: parsed.mac, expiresAtMs: (parsed.timestamp + WINDOW_SECONDS) * 1000 },
    };
  }
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? "");
  if (!m) throw unauthorized();
  // Both comparisons always run: the time taken does not say which token (if any) matched.
  const [isStart, isRead] = await Promise.all([
    timingSafeEqualText(m[1], startToken ?? ""),
    timingSafeEqualText(m[1], readToken ?? ""),
  ]);
  const granted = scope === "start" ? isStart && startToken : isRead && readToken;
  if (granted) return { scheme: "bearer", credentialKey: `bearer:${(await sha256Hex(m[1])).slice(0, 32)}` };
  if ((isStart && startToken) || (isRead && readToken)) {
    throw new HttpError(403, "WRONG_SCOPE", scope === "start"
      ? "this credential reads jobs; it cannot start them"
      : "this credential starts jobs; read them with PORTAL_MIGRATE_READ_TOKEN or a signed GET");
  }
  throw unauthorized();
}

function unauthorized() {
  return new HttpError(401, "UNAUTHORIZED", "missing or invalid credentials", { "www-authenticate": 'Bearer realm="portal-migrate"' });
}

/**
 * Constant-time string equality: both sides are hashed first, so the comparison always runs over
 * 32 bytes and leaks neither the content nor the length of the secret.
 */
export async function timingSafeEqualText(a, b) {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(String(text))));
}

/** Refuses a declared or actual body size above MAX_BODY_BYTES (413). */
export function checkSize({ contentLength, text }) {
  const declared = contentLength === undefined || contentLength === null || contentLength === "" ? null : Number(contentLength);
  if (declared !== null && Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  if (text !== undefined) {
    const n = byteLength(text);
    if (n > MAX_BODY_BYTES) throw tooLarge();
  }
}

export function tooLarge() {
  return new HttpError(413, "BODY_TOO_LARGE", `the body is too large: the limit is ${MAX_BODY_BYTES} bytes (64 KiB)`);
}

/**
 * Parses a start body: `{request: {...}, mode?: "auto" | "inline" | "queue"}`. The request's own
 * fields are the core's to validate (its errors come back as 400 REQUEST).
 */
export function parseStartBody(text, contentType) {
  if (contentType && !/^application\/json\b/i.test(contentType.trim())) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, "MALFORMED_JSON", "the body is not valid JSON");
  }
  if (!isPlainObject(body)) throw new HttpError(400, "BAD_BODY", "the body must be a JSON object: {\"request\": {...}}");
  const unknown = Object.keys(body).filter((k) => k !== "request" && k !== "mode");
  if (unknown.length) throw new HttpError(400, "BAD_BODY", `the body has an unknown field; expected {"request": {...}, "mode"?: "auto"|"inline"|"queue"}`);
  if (!isPlainObject(body.request)) throw new HttpError(400, "BAD_BODY", "\"request\" must be an object, e.g. {\"request\": {\"companies\": [\"ACME\"]}}");
  const mode = body.mode ?? "auto";
  if (!["auto", "inline", "queue"].includes(mode)) throw new HttpError(400, "BAD_BODY", "\"mode\" must be \"auto\", \"inline\" or \"queue\"");
  if ("deadlineMs" in body.request) throw new HttpError(400, "BAD_BODY", "\"request.deadlineMs\" is set by the host, not by the caller");
  return { request: body.request, mode };
}

export function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A job id as the core makes them (and as a caller may give one): safe in keys and paths. */
export function isJobId(id) {
  return typeof id === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/** HTTP status for an error thrown by the core (see HACKING.md "errors"). */
export function statusForCoreError(err) {
  switch (err?.code) {
    case "REQUEST": return 400;
    case "CONFIG": return 500;
    case "RATE_LIMITED": return 503;
    case "ATLASSIAN_API":
    case "TRANSPORT":
    case "DECODE": return 502;
    case "JOURNAL": return 503;
    default: return 500;
  }
}

/** The JSON error body for any thrown value; never includes a stack or a secret. */
export function describeError(err) {
  if (err instanceof HttpError) return { status: err.status, headers: err.headers, body: errorBody(err.code, err.message) };
  const extra = {};
  if (err?.path) extra.path = err.path;
  if (typeof err?.retryable === "boolean") extra.retryable = err.retryable;
  if (err?.surface) extra.surface = err.surface;
  // The core's advice for a known failure (src/advice.rs): what to change, for the caller to show.
  if (typeof err?.fix === "string") extra.fix = err.fix;
  if (typeof err?.advice === "string") extra.advice = err.advice;
  return {
    status: statusForCoreError(err),
    headers: {},
    body: errorBody(err?.code ?? "INTERNAL", String(err?.message ?? err), extra),
  };
}

/** Lower-cases header names; joins repeated values (Forge gives `{name: [values]}`). */
export function normaliseHeaders(headers) {
  const out = {};
  if (!headers || typeof headers !== "object") return out;
  const entries = typeof headers.forEach === "function" && !Array.isArray(headers) && typeof headers.entries === "function"
    ? [...headers.entries()]
    : Object.entries(headers);
  for (const [k, v] of entries) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  return out;
}

/**
 * host.fetch for the core (HACKING.md): one request, redirects never followed, a timeout, and the
 * Basic credentials only for the configured Atlassian origins (siteUrl, adminUrl, apiUrl). Any
 * other origin (a URL taken from an answer) gets no Authorization header at all.
 *   fetchImpl: the platform's fetch (Forge: @forge/api fetch, checked against the egress list;
 *   Worker: the global fetch).
 *   send: optional, replaces fetchImpl and the body reading for a host with its own transport (the
 *   CLI's keep-alive node:http client, js/cli/fetch.js): `send({method, url, headers, body,
 *   timeoutMs, maxBodyBytes})` → `{status, headers: {lower-case name: value}, body: string}`. It
 *   must not follow redirects, must stop after timeoutMs and must refuse answers over maxBodyBytes;
 *   it rejects with an error whose `code` is "TIMEOUT", "TOO_LARGE" or the socket's (ECONNRESET, …).
 *   The credential decision stays here either way: `send` only ever gets the headers built below.
 */
/** The largest answer read (an AQL page of 1,000 objects is a few MB); past it the request fails. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export function createAtlassianFetch({ fetchImpl = globalThis.fetch, send, credentials, urls, origins: given, timeoutMs = 60_000, maxBodyBytes = MAX_ANSWER_BYTES }) {
  if (!credentials?.email || !credentials?.apiToken) throw new Error("createAtlassianFetch: credentials {email, apiToken} are required");
  const authorization = "Basic " + base64(`${credentials.email}:${credentials.apiToken}`);
  // The core's own origins (validateConfig → urls.origins): the one host rule lives there; this
  // compares the request's parsed origin against them, never a string prefix.
  const origins = given ?? new Set(urls.origins ?? [urls.siteUrl, urls.adminUrl, urls.apiUrl].filter(Boolean).map((u) => new URL(u).origin));
  return async function hostFetch({ method, url, headers = {}, body }) {
    const h = {};
    for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() !== "authorization") h[k] = v;
    let origin;
    try {
      origin = new URL(url).origin;
    } catch {
      throw transportError("BAD_URL", `${method} ${url}: not a URL`);
    }
    if (origins.has(origin)) h.authorization = authorization;
    if (send) {
      try {
        return await send({ method, url, headers: h, body: body ?? null, timeoutMs, maxBodyBytes });
      } catch (e) {
        if (e?.code === "TOO_LARGE") throw transportError("TOO_LARGE", `answer larger than ${maxBodyBytes} bytes from ${origin}`);
        if (e?.code === "TIMEOUT") throw transportError("TIMEOUT", `${method} ${origin}: timed out`);
        throw transportError(e?.code ?? "FETCH", `${method} ${origin}: ${e?.message ?? String(e)}`);
      }
    }
    let res;
    try {
      res = await fetchImpl(url, {
        method,
        headers: h,
        body: body ?? undefined,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const timeout = e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError";
      const code = timeout ? "TIMEOUT" : e?.cause?.code ?? e?.code ?? "FETCH";
      throw transportError(code, `${method} ${origin}: ${timeout ? "timed out" : e?.cause?.message ?? e?.message ?? String(e)}`);
    }
    const out = {};
    res.headers.forEach((v, k) => { out[k.toLowerCase()] = v; });
    return { status: res.status, headers: out, body: await readCapped(res, maxBodyBytes, origin) };
  };
}

/** The body as text, refusing more than `max` bytes instead of buffering whatever arrives. */
async function readCapped(res, max, origin) {
  const tooLarge = () => transportError("TOO_LARGE", `answer larger than ${max} bytes from ${origin}`);
  if (Number(res.headers.get("content-length")) > max) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      // The timeout's abort can land while the body streams in: it is a TIMEOUT too, not a DOMException.
      const timeout = e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError";
      throw transportError(timeout ? "TIMEOUT" : e?.cause?.code ?? (typeof e?.code === "string" ? e.code : "FETCH"),
        `${origin}: ${timeout ? "timed out while reading the answer" : e?.cause?.message ?? e?.message ?? String(e)}`);
    }
    const { done, value } = chunk;
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

function transportError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/**
 * The strings the core must keep out of everything it returns or writes (host.secrets): the token
 * and the Basic credential built from it.
 */
export function secretsOf(credentials) {
  if (!credentials?.email || !credentials?.apiToken) return [];
  return [credentials.apiToken, base64(`${credentials.email}:${credentials.apiToken}`)];
}

/** UTF-8 safe base64 (btoa only takes Latin-1). */
export function base64(text) {
  let bin = "";
  for (const b of encoder.encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}
