// An in-memory fake of js/forge/platform.js for the Forge tests: KVS with Forge's key and value
// rules (and secret storage), a queue that records pushes, a virtual clock, and product fetch
// (asApp / asUser requestJira, requestConfluence) that reaches the simulator with the app's
// identity, which the simulator knows as its seeded admin. Every call is recorded in `requests`
// with its kind: "product" (asApp), "user" (asUser) or "external" (egress fetch).
import assert from "node:assert/strict";
import Resolver from "@forge/resolver";

const KVS_KEY = /^[a-zA-Z0-9:._\s\-#]+$/;

export const TOKEN = "web-trigger-token-0123456789";
export const READ = "web-trigger-read-token-0123456789";
export const HMAC = "hmac-secret-abcdef-0123456789";

/** The function context Forge passes (installContext ARI, the invoking user). */
export function forgeContext(sim, { accountId } = {}) {
  const context = { installContext: `ari:cloud:jira::site/${sim.state().cloudId}` };
  if (accountId) context.principal = { accountId };
  return context;
}

export function adminAccountId(sim) {
  return sim.state().users.find((u) => u.emailAddress === sim.credentials.email).accountId;
}

export function fakePlatform(sim, { env = {}, tick = 20, kvsSeed = {}, secrets = {}, viewerIsAdmin = true } = {}) {
  const store = new Map(Object.entries(kvsSeed));
  const secretStore = new Map(Object.entries(secrets));
  const expiries = new Map(); // key → epoch ms (KVS TTL, on the virtual clock)
  const pushes = [];
  const requests = [];
  const clock = { t: Date.UTC(2026, 10, 1) };
  const appAuth = "Basic " + Buffer.from(`${sim.credentials.email}:${sim.credentials.apiToken}`).toString("base64");
  const checkKey = (k) => {
    assert.ok(typeof k === "string" && k.length <= 500 && KVS_KEY.test(k), `invalid Forge KVS key ${JSON.stringify(k)}`);
  };
  const product = (kind) => async (path, init = {}) => {
    assert.equal(typeof path, "string", "product fetch takes a site-relative path");
    assert.ok(path.startsWith("/"), `site-relative path: ${path}`);
    const headers = { ...(init.headers ?? {}) };
    assert.ok(!Object.keys(headers).some((k) => k.toLowerCase() === "authorization"), "product fetch carries no Authorization from the app code");
    clock.t += tick;
    requests.push({ kind, method: init.method ?? "GET", path, url: sim.url + path, authorization: null, redirect: init.redirect });
    if (kind === "user" && !viewerIsAdmin && /mypermissions/.test(path)) {
      return new Response(JSON.stringify({ permissions: { ADMINISTER: { havePermission: false } } }), { status: 200, headers: { "content-type": "application/json" } });
    }
    return fetch(sim.url + path, { ...init, headers: { ...headers, authorization: appAuth } });
  };
  return {
    expiries,
    store,
    secretStore,
    pushes,
    clock,
    requests,
    env: {
      PORTAL_MIGRATE_TOKEN: TOKEN,
      PORTAL_MIGRATE_HMAC_SECRET: HMAC,
      PORTAL_MIGRATE_READ_TOKEN: READ,
      ATLASSIAN_EMAIL: sim.credentials.email,
      ATLASSIAN_API_TOKEN: sim.credentials.apiToken,
      PORTAL_MIGRATE_CONFIG: JSON.stringify(sim.config()),
      PORTAL_MIGRATE_TRIGGER_STATUS: "Converted",
      ...env,
    },
    async fetch(url, init) {
      clock.t += tick; // every call takes `tick` ms of virtual time
      requests.push({ kind: "external", method: init?.method ?? "GET", url, authorization: init?.headers?.authorization ?? null, redirect: init?.redirect });
      return fetch(url, init);
    },
    product: { requestJira: product("product"), requestConfluence: product("product") },
    productAsUser: { requestJira: product("user") },
    kvs: {
      async get(k) {
        checkKey(k);
        return store.has(k) ? structuredClone(store.get(k)) : undefined;
      },
      async set(k, v) {
        checkKey(k);
        assert.ok(JSON.stringify(v).length <= 240 * 1024, `KVS value for ${k} is over 240 KiB`);
        store.set(k, structuredClone(v));
      },
      async delete(k) {
        checkKey(k);
        store.delete(k);
      },
      async getSecret(k) {
        checkKey(k);
        return secretStore.has(k) ? secretStore.get(k) : undefined;
      },
      async setSecret(k, v) {
        checkKey(k);
        assert.ok(JSON.stringify(v).length <= 128 * 1024, "secret values are limited to 128 KiB");
        secretStore.set(k, v);
      },
      async query(prefix, cursor, limit = 100) {
        assert.ok(limit <= 100, "KVS query limit is 100");
        const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
        const start = cursor ? Number(cursor) : 0;
        const page = keys.slice(start, start + limit);
        return {
          results: page.map((key) => ({ key, value: structuredClone(store.get(key)) })),
          nextCursor: start + limit < keys.length ? String(start + limit) : undefined,
        };
      },
      // keyPolicy FAIL_IF_EXISTS with a TTL (js/forge/platform.js)
      async claim(k, ttlSeconds) {
        checkKey(k);
        assert.ok(Number.isInteger(ttlSeconds) && ttlSeconds >= 1, `TTL ${ttlSeconds}`);
        if (store.has(k) && !(expiries.get(k) <= clock.t)) return false;
        store.set(k, 1);
        expiries.set(k, clock.t + ttlSeconds * 1000);
        return true;
      },
      // keyPolicy FAIL_IF_EXISTS without a TTL (js/forge/kvs-claims.js): atomic create-if-absent
      async create(k, v) {
        checkKey(k);
        await Promise.resolve();
        if (store.has(k) && !(expiries.get(k) <= clock.t)) return false;
        store.set(k, structuredClone(v));
        expiries.delete(k);
        return true;
      },
    },
    queue: {
      async push(body, opts = {}) {
        assert.ok(JSON.stringify(body).length < 200 * 1024, "a Forge queue push is limited to 200 KB");
        pushes.push({ body: structuredClone(body), ...opts });
        return { jobId: `forge-job-${pushes.length}` };
      },
    },
    retry: (opts) => ({ __retry: true, ...opts }),
    now: () => clock.t,
    sleep: async (ms) => {
      clock.t += Math.max(0, ms);
    },
    Resolver: Resolver.default ?? Resolver,
  };
}

/** Calls one resolver function the way Forge does (invoke payload + function context). */
export function invoker(definitions, context = {}) {
  return (functionKey, payload = {}) =>
    definitions({ call: { functionKey, payload }, context: { moduleKey: "portal-migrate-admin", ...context } }, { installContext: context.installContext, principal: context.accountId ? { accountId: context.accountId } : undefined });
}
