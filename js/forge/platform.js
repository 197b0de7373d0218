// The one file that touches the Forge platform packages. @forge/api, @forge/kvs and @forge/events
// only work inside the Forge runtime (they call the runtime's injected proxy), so the handlers get
// this adapter injected (js/forge/handlers.js) and tests pass an in-memory fake of the same shape:
//
//   env                      process.env: encrypted variables (bootstrap settings, caller secrets)
//   fetch(url, init)         egress fetch (permissions.external.fetch.backend in manifest.yml):
//                            counted against the invocation's egress budget
//   product.requestJira(path, init), product.requestConfluence(path, init)
//                            api.asApp() product fetch; `path` is used as is (assumeTrustedRoute),
//                            so callers check it (js/forge/product.js)
//   productAsUser.requestJira(path, init)   api.asUser(): the resolver's viewer
//   kvs.get(key)             → value | undefined
//   kvs.set(key, value), kvs.delete(key)
//   kvs.getSecret(key), kvs.setSecret(key, value)   secret storage (encrypted, not queryable)
//   kvs.query(prefix, cursor, limit) → { results: [{key, value}], nextCursor }
//   kvs.claim(key, ttlSeconds) → true if it created the key, false if it existed (atomic)
//   kvs.create(key, value)   → the same without a TTL (the journal's claims, kvs-claims.js)
//   queue.push(body, {delaySeconds})  → { jobId }
//   retry({ retryAfter, retryReason, retryData })  → what a trigger or consumer returns to be retried
//   now()                    epoch ms; sleep(ms) → Promise
//   Resolver                 @forge/resolver's class (define(name, fn), getDefinitions())
import api, { assumeTrustedRoute, fetch as forgeFetch } from "@forge/api";
import Resolver from "@forge/resolver";
import { kvs, WhereConditions } from "@forge/kvs";
import { kvsClaimMethods, isKeyConflict } from "./kvs-claims.js";
import { Queue, InvocationError, InvocationErrorCode } from "@forge/events";

/** The @forge/events queue the consumer in manifest.yml listens to. */
export const QUEUE_KEY = "portal-migrate-jobs";
/**
 * At most this many chunks of one installation run at once (a concurrency key is scoped to the
 * installation: https://developer.atlassian.com/platform/forge/runtime-reference/async-events-api/#controlling-processing-concurrency).
 * For the site's rate limits, not for correctness: the host lease and the core's claims make
 * concurrent chunks safe. The same number as the Worker's max_concurrency.
 */
export const CHUNK_CONCURRENCY = Object.freeze({ key: "portal-migrate-chunks", limit: 4 });

export function forgePlatform({ env = process.env } = {}) {
  const queue = new Queue({ key: QUEUE_KEY });
  return {
    env,
    fetch: (url, init) => forgeFetch(url, init),
    // https://developer.atlassian.com/platform/forge/apis-reference/fetch-api-product.requestjira/
    product: {
      requestJira: (path, init) => api.asApp().requestJira(assumeTrustedRoute(path), init),
      requestConfluence: (path, init) => api.asApp().requestConfluence(assumeTrustedRoute(path), init),
    },
    productAsUser: {
      requestJira: (path, init) => api.asUser().requestJira(assumeTrustedRoute(path), init),
    },
    kvs: {
      get: (key) => kvs.get(key),
      set: (key, value) => kvs.set(key, value),
      delete: (key) => kvs.delete(key),
      // https://developer.atlassian.com/platform/forge/runtime-reference/storage-api-secret/
      getSecret: (key) => kvs.getSecret(key),
      setSecret: (key, value) => kvs.setSecret(key, value),
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
          if (isKeyConflict(err)) return false;
          throw err;
        }
      },
      // create(key, value): the journal's claims (js/forge/kvs-claims.js).
      ...kvsClaimMethods(kvs),
    },
    // delayInSeconds ≤ 900; 50 events and 200 KB a push, 100 KB an event for a consumer with a
    // timeout over 55 s, 500 events a minute (https://developer.atlassian.com/platform/forge/limits-async-events/).
    // A push that throws (RateLimitError, …) leaves the job "pushing" (js/core/jobs.js).
    queue: {
      push: (body, { delaySeconds } = {}) =>
        queue.push(delaySeconds
          ? { body, delayInSeconds: Math.min(900, Math.max(1, Math.round(delaySeconds))), concurrency: { ...CHUNK_CONCURRENCY } }
          : { body, concurrency: { ...CHUNK_CONCURRENCY } }),
    },
    retry: ({ retryAfter = 60, retryReason = InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData } = {}) =>
      new InvocationError({ retryAfter: Math.min(900, Math.max(1, retryAfter)), retryReason, retryData }),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    Resolver: Resolver.default ?? Resolver,
  };
}
