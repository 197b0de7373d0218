// Fault injection rules (POST /__sim/faults). Each rule has its own seeded Rng for `probability`.
// Kind `respond` overrides the answer with the rule's own status, headers and body (text, or any JSON
// value); with `commit: true` the real handler runs first (its state changes stay) and only its answer
// is replaced: a 2xx with an error envelope, a hostile id in a migrate answer, a day-long Retry-After.
import { Rng } from "./rng.js";

export const FAULT_KINDS = ["429", "429-bare", "500", "503", "latency", "reset", "commit-drop", "respond"];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const COMPUTED = new Set(["content-length", "transfer-encoding", "connection"]);

/** `{status, headers, body, commit}` of a `respond` rule, validated; header names lower-cased. */
function respondSpec(r, where) {
  const status = r.status ?? 200;
  if (!(Number.isInteger(status) && status >= 200 && status <= 599)) throw new Error(`${where}.status must be an integer in 200..599`);
  if (r.commit !== undefined && typeof r.commit !== "boolean") throw new Error(`${where}.commit must be a boolean`);
  const headers = {};
  if (r.headers !== undefined) {
    if (r.headers === null || typeof r.headers !== "object" || Array.isArray(r.headers)) throw new Error(`${where}.headers must be an object`);
    for (const [name, value] of Object.entries(r.headers)) {
      const key = name.toLowerCase();
      if (!TOKEN.test(name)) throw new Error(`${where}.headers: ${JSON.stringify(name)} is not a header name`);
      if (COMPUTED.has(key)) throw new Error(`${where}.headers.${key} is set by the simulator`);
      if (typeof value !== "string" && typeof value !== "number") throw new Error(`${where}.headers.${name} must be a string or number`);
      if (/[\r\n\0]/.test(String(value))) throw new Error(`${where}.headers.${name} must not contain CR, LF or NUL`);
      headers[key] = String(value);
    }
  }
  return { status, headers, body: r.body === undefined ? null : r.body, commit: r.commit ?? false };
}
export const SURFACES = ["jira", "assets", "admin", "confluence"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"];

export class Faults {
  constructor() {
    this.rules = [];
    this.injected = {};
  }

  /** Replace the rules. Throws Error with a readable message on a bad rule. */
  set(body, defaultSeed) {
    const rules = body?.rules;
    if (!Array.isArray(rules)) throw new Error("rules must be a list");
    const seed = body.seed ?? defaultSeed;
    this.rules = rules.map((r, i) => {
      const where = `rules[${i}]`;
      if (!FAULT_KINDS.includes(r?.kind)) throw new Error(`${where}.kind must be one of ${FAULT_KINDS.join(", ")}`);
      if (r.surface !== undefined && !SURFACES.includes(r.surface)) throw new Error(`${where}.surface must be one of ${SURFACES.join(", ")}`);
      if (r.method !== undefined && !METHODS.includes(String(r.method).toUpperCase())) throw new Error(`${where}.method is not an HTTP method`);
      if (r.probability !== undefined && !(r.probability >= 0 && r.probability <= 1)) throw new Error(`${where}.probability must be in 0..1`);
      if (r.count !== undefined && !(Number.isInteger(r.count) && r.count >= 0)) throw new Error(`${where}.count must be an integer >= 0`);
      let path = null;
      if (r.path !== undefined) {
        try { path = new RegExp(r.path); } catch (e) { throw new Error(`${where}.path is not a valid regex: ${e.message}`); }
      }
      return {
        spec: { ...r }, kind: r.kind, respond: r.kind === "respond" ? respondSpec(r, where) : null, surface: r.surface, method: r.method?.toUpperCase(), path,
        probability: r.probability, remaining: r.count ?? Infinity, retryAfter: r.retryAfter ?? 1,
        latencyMs: r.latencyMs ?? 200, rng: new Rng((Number(seed) >>> 0) + 7919 * (i + 1)),
      };
    });
  }

  clear() {
    this.rules = [];
  }

  /** Which faults fire for this request: summed latency, then at most one terminal fault. */
  pick(surface, method, path) {
    let latency = 0;
    for (const r of this.rules) {
      if (r.surface && r.surface !== surface) continue;
      if (r.method && r.method !== method) continue;
      if (r.path && !r.path.test(path)) continue;
      if (r.remaining <= 0) continue;
      if (r.probability !== undefined && !(r.rng.next() < r.probability)) continue;
      r.remaining--;
      this.injected[r.kind] = (this.injected[r.kind] ?? 0) + 1;
      if (r.kind === "latency") latency += r.latencyMs;
      else return { latency, action: r };
    }
    return { latency, action: null };
  }

  describe() {
    return this.rules.map((r) => ({ ...r.spec, remaining: r.remaining === Infinity ? null : r.remaining }));
  }
}
