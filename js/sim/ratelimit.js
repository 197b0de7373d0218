// Token buckets per surface (POST /__sim/ratelimit).
import { SURFACES } from "./faults.js";

export class RateLimits {
  constructor() {
    this.buckets = new Map();
    this.limited = {};
  }

  /** `{surface: {rps, burst?, bare?} | null, ...}` or null to clear all. */
  configure(body, now) {
    if (body === null) { this.buckets.clear(); return; }
    if (typeof body !== "object" || Array.isArray(body)) throw new Error("body must be an object keyed by surface, or null");
    for (const [surface, cfg] of Object.entries(body)) {
      if (!SURFACES.includes(surface)) throw new Error(`unknown surface ${surface}; use ${SURFACES.join(", ")}`);
      if (cfg === null) { this.buckets.delete(surface); continue; }
      if (!(typeof cfg?.rps === "number" && cfg.rps > 0)) throw new Error(`${surface}.rps must be a number > 0`);
      const burst = cfg.burst ?? Math.max(1, Math.ceil(cfg.rps));
      if (!(typeof burst === "number" && burst >= 1)) throw new Error(`${surface}.burst must be a number >= 1`);
      this.buckets.set(surface, { rps: cfg.rps, burst, bare: Boolean(cfg.bare), tokens: burst, at: now });
    }
  }

  /** null when allowed; otherwise {retryAfter (whole seconds >= 1), bare, limit}. */
  take(surface, now) {
    const b = this.buckets.get(surface);
    if (!b) return null;
    b.tokens = Math.min(b.burst, b.tokens + ((now - b.at) / 1000) * b.rps);
    b.at = now;
    if (b.tokens >= 1) { b.tokens -= 1; return null; }
    this.limited[surface] = (this.limited[surface] ?? 0) + 1;
    return { retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / b.rps)), bare: b.bare, limit: b.burst };
  }

  describe() {
    return Object.fromEntries([...this.buckets].map(([s, b]) => [s, { rps: b.rps, burst: b.burst, bare: b.bare }]));
  }
}
