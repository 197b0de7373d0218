// The one file that touches the Forge platform packages. @forge/api, @forge/kvs and @forge/events
// only work inside the Forge runtime (they call the runtime's injected proxy), so the handlers get
// this adapter injected (js/forge/handlers.js) and tests pass an in-memory fake of the same shape:
//
//   env                      process.env: encrypted variables (ATLASSIAN_API_TOKEN, ...), settings
//   fetch(url, init)         egress fetch (permissions.external.fetch.backend in manifest.yml)
//   kvs.get(key)             → value | undefined
//   kvs.set(key, value)
//   kvs.query(prefix, cursor, limit) → { results: [{key, value}], nextCursor }
//   kvs.claim(key, ttlSeconds) → true if it created the key, false if it existed (atomic)
//   queue.push(body, {delaySeconds})  → { jobId }
//   retry({ retryAfter, retryReason, retryData })  → what a trigger or consumer returns to be retried
//   now()                    epoch ms
import { fetch as forgeFetch } from "@forge/api";
import { kvs, WhereConditions } from "@forge/kvs";
import { Queue, InvocationError, InvocationErrorCode } from "@forge/events";

/** The @forge/events queue the consumer in manifest.yml listens to. */
export const QUEUE_KEY = "portal-migrate-jobs";

export function forgePlatform({ env = process.env } = {}) {
  const queue = new Queue({ key: QUEUE_KEY });
  return {
    env,
    fetch: (url, init) => forgeFetch(url, init),
    kvs: {
      get: (key) => kvs.get(key),
      set: (key, value) => kvs.set(key, value),
      async query(prefix, cursor, limit = 100) {
        let q = kvs.query().where("key", WhereConditions.beginsWith(prefix)).limit(limit);
        if (cursor) q = q.cursor(cursor);
        const page = await q.getMany();
        return { results: page.results ?? [], nextCursor: page.nextCursor };
      },
      // keyPolicy FAIL_IF_EXISTS is an atomic create-if-absent (@forge/kvs >= 1.3, see its
      // PolicySetOptions type); the rejection's code is taken to be KEY_CONFLICT / HTTP 409, as
      // reported by users: not in Atlassian's reference. Any other error propagates (fail closed).
      async claim(key, ttlSeconds) {
        try {
          await kvs.set(key, 1, { keyPolicy: "FAIL_IF_EXISTS", ttl: { value: ttlSeconds, unit: "SECONDS" } });
          return true;
        } catch (err) {
          if (err?.code === "KEY_CONFLICT" || err?.responseDetails?.status === 409) return false;
          throw err;
        }
      },
    },
    queue: {
      push: (body, { delaySeconds } = {}) =>
        queue.push(delaySeconds ? { body, delayInSeconds: Math.min(900, Math.max(1, Math.round(delaySeconds))) } : { body }),
    },
    retry: ({ retryAfter = 60, retryReason = InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData } = {}) =>
      new InvocationError({ retryAfter: Math.min(900, Math.max(1, retryAfter)), retryReason, retryData }),
    now: () => Date.now(),
  };
}
