// Caller throttling for the Worker: two Workers Rate Limiting bindings (wrangler.toml
// [[ratelimits]]), checked before the body is read and before any Durable Object call, so a
// flood of bad requests costs one cheap invocation each and never reaches storage.
//
//   RL_IP          keyed by CF-Connecting-IP, checked first on every request
//   RL_CREDENTIAL  keyed by the credential a request proved (a hash of the bearer token, or
//                  "hmac"), checked right after authentication: a leaked token or a runaway
//                  Automation rule is slowed even when it comes from many addresses. It is not
//                  checked before authentication on purpose: forged signatures from many addresses
//                  would then use up the real signer's budget.
//
// The binding counts per Cloudflare location and only answers { success }
// (https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/), so a limit is a
// brake, not an exact quota. When a binding is absent (an older wrangler, a test harness without
// it) the same fixed-window limit runs in this isolate's memory: weaker (per isolate), never off.
import { HttpError } from "../core/edge.js";

/** Keep in step with wrangler.toml [[ratelimits]] (the fallback cannot read the binding's config). */
export const FALLBACK_LIMITS = Object.freeze({
  RL_IP: { limit: 100, period: 60 },
  RL_CREDENTIAL: { limit: 200, period: 60 },
});

const windows = new Map(); // "BINDING\0key" → { epoch, count }, this isolate only
const MAX_KEYS = 10_000;

/** A fixed-window counter with the binding's shape: limit({ key }) → { success }. */
export function memoryLimiter(name, { limit, period }, now = Date.now) {
  return {
    async limit({ key }) {
      const epoch = Math.floor(now() / (period * 1000));
      const id = `${name}\0${key}`;
      let w = windows.get(id);
      if (!w || w.epoch !== epoch) {
        if (windows.size >= MAX_KEYS) windows.clear(); // bounded memory under a key flood
        w = { epoch, count: 0 };
        windows.set(id, w);
      }
      if (w.count >= limit) return { success: false };
      w.count++;
      return { success: true };
    },
  };
}

/** The binding, or the in-memory limiter when it is absent or its call fails. */
async function allowed(env, name, key) {
  const b = env[name];
  if (b && typeof b.limit === "function") {
    try {
      return (await b.limit({ key })).success === true;
    } catch {
      // fall through: a broken binding must not switch throttling off
    }
  }
  return (await memoryLimiter(name, FALLBACK_LIMITS[name]).limit({ key })).success;
}

function tooMany(period) {
  return new HttpError(429, "RATE_LIMITED", "too many requests; slow down", { "retry-after": String(period) });
}

/** The caller's address as Cloudflare saw it; "unknown" outside Cloudflare (then one shared bucket). */
export function clientIp(request) {
  return request.headers.get("cf-connecting-ip") || "unknown";
}

export async function throttleIp(env, request) {
  if (!(await allowed(env, "RL_IP", `ip:${clientIp(request)}`))) throw tooMany(FALLBACK_LIMITS.RL_IP.period);
}

/** credentialKey comes from authorize(): a hash or a constant, never a secret. */
export async function throttleCredential(env, credentialKey) {
  if (!(await allowed(env, "RL_CREDENTIAL", `cred:${credentialKey}`))) throw tooMany(FALLBACK_LIMITS.RL_CREDENTIAL.period);
}
