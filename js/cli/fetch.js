// host.fetch for the core: the hosts' shared credentialed fetch (js/core/edge.js) — credentials only
// for the configured Atlassian origins (a URL from an answer must never receive the token), no
// redirects followed, a timeout, an answer-size cap — over the CLI's own transport: a node:http /
// node:https client on keep-alive Agents.
//
// Why not the global fetch: undici's fetch wraps every answer in WHATWG streams and Response
// objects, which cost about a fifth of the CLI's CPU on the bench (the CLI is otherwise waiting on
// the network). node:http hands the body over as Buffers on one socket per request, and a
// keep-alive Agent reuses connections (no TCP/TLS handshake per request). bench/transport.js
// measures both, and undici's Agent too (HACKING.md "The CLI's transport").
//
// node:http never follows redirects (a 3xx is just an answer), so the "no redirect" rule holds by
// construction. `PORTAL_MIGRATE_TRANSPORT=fetch` switches back to the global fetch.
import http from "node:http";
import https from "node:https";
import zlib from "node:zlib";
import { createAtlassianFetch, MAX_ANSWER_BYTES } from "../core/edge.js";

const DEFAULT_TIMEOUT_MS = 60_000;

export function timeoutFromEnv(env = process.env) {
  const v = Number(env.PORTAL_MIGRATE_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_MS;
}

export function createFetch({ credentials, origins, timeoutMs = timeoutFromEnv(), maxBodyBytes, transport = process.env.PORTAL_MIGRATE_TRANSPORT }) {
  if (transport === "fetch") return createAtlassianFetch({ fetchImpl: fetch, credentials, origins, timeoutMs, maxBodyBytes });
  return createAtlassianFetch({ send: createSend(), credentials, origins, timeoutMs, maxBodyBytes });
}

/**
 * A `send` for createAtlassianFetch (js/core/edge.js): one request on a keep-alive Agent, the
 * whole exchange under `timeoutMs`, the (decoded) body refused past `maxBodyBytes`.
 *   maxSockets: per origin. The core's limiter already caps requests per surface; this only
 *   bounds what a bug could open.
 */
export function createSend({ maxSockets = 256, maxFreeSockets = 64 } = {}) {
  const options = { keepAlive: true, maxSockets, maxFreeSockets, scheduling: "lifo" };
  const agents = { "http:": new http.Agent(options), "https:": new https.Agent(options) };
  const send = function send({ method, url, headers, body, timeoutMs = DEFAULT_TIMEOUT_MS, maxBodyBytes = MAX_ANSWER_BYTES }) {
    return new Promise((resolve, reject) => {
      let u;
      try {
        u = new URL(url);
      } catch {
        reject(sendError("BAD_URL", "not a URL"));
        return;
      }
      const lib = u.protocol === "https:" ? https : u.protocol === "http:" ? http : null;
      if (!lib) {
        reject(sendError("BAD_URL", `unsupported protocol ${u.protocol}`));
        return;
      }
      const h = {};
      for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() !== "content-length") h[k] = v;
      if (!Object.keys(h).some((k) => k.toLowerCase() === "accept-encoding")) h["accept-encoding"] = "gzip, deflate";
      const payload = body === null || body === undefined ? null : Buffer.from(String(body));
      if (payload) h["content-length"] = String(payload.length);
      let settled = false;
      const fail = (e) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req?.destroy();
        reject(e);
      };
      let req = null;
      const timer = setTimeout(() => fail(sendError("TIMEOUT", "timed out")), timeoutMs);
      const onResponse = (res) => {
        const declared = Number(res.headers["content-length"]);
        const encoding = String(res.headers["content-encoding"] ?? "").trim().toLowerCase();
        // A declared length is of the encoded bytes: it only proves "too large" when not encoded.
        if (!encoding && declared > maxBodyBytes) {
          res.resume();
          fail(sendError("TOO_LARGE", "answer too large"));
          return;
        }
        let stream = res;
        if (encoding === "gzip" || encoding === "x-gzip") stream = res.pipe(zlib.createGunzip());
        else if (encoding === "deflate") stream = res.pipe(zlib.createInflate());
        else if (encoding === "br") stream = res.pipe(zlib.createBrotliDecompress());
        const chunks = [];
        let size = 0;
        stream.on("data", (c) => {
          size += c.length;
          if (size > maxBodyBytes) {
            fail(sendError("TOO_LARGE", "answer too large"));
            return;
          }
          chunks.push(c);
        });
        stream.on("error", (e) => fail(e.code ? e : sendError("DECODE", e.message)));
        res.on("aborted", () => fail(sendError("ECONNRESET", "the answer was cut short")));
        stream.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const out = {};
          for (const [k, v] of Object.entries(res.headers)) out[k] = Array.isArray(v) ? v.join(", ") : String(v);
          // The body is decoded here: the headers must not claim an encoding or a length it lost.
          if (encoding && stream !== res) {
            delete out["content-encoding"];
            delete out["content-length"];
          }
          resolve({ status: res.statusCode, headers: out, body: chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8") });
        });
      };
      try {
        // Throws at once for what can never be sent (a header value with a line break, …).
        req = lib.request(u, { method, headers: h, agent: agents[u.protocol] }, onResponse);
      } catch (e) {
        fail(e.code ? e : sendError("BAD_REQUEST", e.message));
        return;
      }
      req.on("error", (e) => fail(e));
      req.end(payload ?? undefined);
    });
  };
  send.agents = agents;
  /** Closes idle keep-alive sockets (tests; the CLI exits and they go with it). */
  send.close = () => {
    for (const a of Object.values(agents)) a.destroy();
  };
  return send;
}

function sendError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}
