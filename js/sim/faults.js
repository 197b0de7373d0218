// Fault injection rules (POST /__sim/faults). Each rule has its own seeded Rng for `probability`.
import { Rng } from "./rng.js";

export const FAULT_KINDS = ["429", "429-bare", "500", "503", "latency", "reset", "commit-drop"];
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
        spec: { ...r }, kind: r.kind, surface: r.surface, method: r.method?.toUpperCase(), path,
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
