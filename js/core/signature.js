// The v1 request signature of the Worker endpoint and the Forge web trigger (docs/worker.md).
//
//   X-Portal-Migrate-Timestamp: <unix seconds>
//   X-Portal-Migrate-Signature: v1=<hex HMAC-SHA256(secret, string to sign)>
//
//   string to sign = METHOD "\n" target "\n" timestamp "\n" hex(SHA-256(raw body))
//   target         = path + canonical query ("/migrate", "/jobs/job-0123", "/?jobId=job-0123")
//
// Binding method, path and query means a signature is good for one request only: the signature
// of `GET /jobs/A` does not read job B, and a start signature cannot be replayed as a read. The
// timestamp bounds how long captured bytes stay valid; the hosts remember signatures seen inside
// the window, so the same bytes are accepted once.
//
// Web Crypto only (crypto.subtle, TextEncoder): runs in workerd and Node alike.

export const SIGNATURE_HEADER = "x-portal-migrate-signature";
export const TIMESTAMP_HEADER = "x-portal-migrate-timestamp";
/** A timestamp more than this far from the server's clock, either way, is refused. */
export const WINDOW_SECONDS = 300;

const encoder = new TextEncoder();

function bytesOf(body) {
  if (body === undefined || body === null) return new Uint8Array(0);
  return typeof body === "string" ? encoder.encode(body) : body;
}

export function hex(bytes) {
  let out = "";
  for (const b of new Uint8Array(bytes)) out += b.toString(16).padStart(2, "0");
  return out;
}

export async function sha256Hex(body) {
  return hex(await crypto.subtle.digest("SHA-256", bytesOf(body)));
}

/**
 * Path plus query in one form both sides compute: query pairs sorted by name then value, each
 * percent-encoded with encodeURIComponent. `query` is URLSearchParams, [[k, v]...] or Forge's
 * {name: [values]}.
 */
export function canonicalTarget(path, query) {
  const pairs = [];
  if (query instanceof URLSearchParams) {
    for (const [k, v] of query) pairs.push([k, v]);
  } else if (Array.isArray(query)) {
    pairs.push(...query);
  } else if (query && typeof query === "object") {
    for (const [k, vs] of Object.entries(query)) for (const v of [].concat(vs)) pairs.push([k, String(v)]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const q = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  return (path || "/") + (q ? `?${q}` : "");
}

/** "/jobs/x?b=2&a=1" → "/jobs/x?a=1&b=2" (what a caller signs). */
export function targetOf(pathAndQuery) {
  const u = new URL(pathAndQuery, "http://target.invalid");
  return canonicalTarget(u.pathname, u.searchParams);
}

export async function stringToSign({ method, target, timestamp, body }) {
  return `${String(method).toUpperCase()}\n${target}\n${timestamp}\n${await sha256Hex(body)}`;
}

function hmacKey(secret, usages) {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, usages);
}

/**
 * The two headers for a request (lower-case names). `path` may carry a query; `timestamp`
 * defaults to now. For tests, scripts and the docs' example.
 */
export async function signRequest({ secret, method, path, body = "", timestamp = Math.floor(Date.now() / 1000) }) {
  const text = await stringToSign({ method, target: targetOf(path), timestamp, body });
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, ["sign"]), encoder.encode(text));
  return { [SIGNATURE_HEADER]: `v1=${hex(mac)}`, [TIMESTAMP_HEADER]: String(timestamp) };
}

/** Parses the two headers; null when either is missing or malformed. */
export function parseSignature(headers) {
  const sig = /^v1=([0-9a-f]{64})$/i.exec(String(headers[SIGNATURE_HEADER] ?? "").trim());
  const ts = /^[0-9]{1,15}$/.exec(String(headers[TIMESTAMP_HEADER] ?? "").trim());
  if (!sig || !ts) return null;
  return { mac: sig[1].toLowerCase(), timestamp: Number(ts[0]) };
}

/**
 * "ok" | "bad" | "stale". The MAC is checked first, with crypto.subtle.verify (constant time),
 * so only a holder of the secret ever learns that a timestamp was out of the window.
 */
export async function verifySignature({ secret, method, target, body, mac, timestamp, nowSeconds }) {
  const sig = new Uint8Array(32);
  for (let i = 0; i < 32; i++) sig[i] = parseInt(mac.slice(2 * i, 2 * i + 2), 16);
  const text = await stringToSign({ method, target, timestamp, body });
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret, ["verify"]), sig, encoder.encode(text));
  if (!ok) return "bad";
  return Math.abs(nowSeconds - timestamp) > WINDOW_SECONDS ? "stale" : "ok";
}
