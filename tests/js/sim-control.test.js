// The simulator's control plane: reset/seed determinism, faults, rate limits, call counts, big scenarios.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startSimulator } from "../../js/sim/index.js";

let sim;
const auth = "Basic " + Buffer.from("demo@example.com:demo-token").toString("base64");
before(async () => { sim = await startSimulator({ port: 0, seed: 1, quiet: true }); });
after(() => sim.close());
beforeEach(() => ctl("POST", "reset", {}));

async function call(method, path, body, { authorization = auth } = {}) {
  const headers = {};
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(sim.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
const ctl = (method, path, body) => call(method, `/__sim/${path}`, body, { authorization: null });
const faults = (rules, seed) => ctl("POST", "faults", { rules, ...(seed === undefined ? {} : { seed }) });
const adminId = () => sim.state().users[0].accountId;
const getUser = () => call("GET", `/rest/api/3/user?accountId=${encodeURIComponent(adminId())}`);
const ws = () => `/jsm/assets/workspace/${sim.state().workspaceId}/v1`;
const migratePath = (qm) => `/gateway/api/ex/jira/${sim.state().cloudId}/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user/migrate-to-atlassian-account-user/${qm}`;
const firstQm = () => sim.state().users.find((u) => u.accountType === "customer").accountId;
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/;

// --- faults ----------------------------------------------------------------------------------------

test("fault 429: Retry-After, X-RateLimit-Reset and RateLimit-Reason; count limits how often it fires", async () => {
  assert.equal((await faults([{ surface: "jira", kind: "429", count: 1, retryAfter: 7 }])).status, 200);
  const r = await getUser();
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "7");
  assert.match(r.headers.get("x-ratelimit-reset"), STAMP);
  assert.equal(r.headers.get("ratelimit-reason"), "jira-burst-based");
  assert.equal((await getUser()).status, 200);
  assert.deepEqual(sim.state().faultsInjected, { 429: 1 });
});

test("fault 429-bare (Assets style) has no Retry-After; surface filter leaves other surfaces alone", async () => {
  await faults([{ surface: "assets", kind: "429-bare" }]);
  const r = await call("POST", `${ws()}/object/aql`, { qlQuery: "objectTypeId = 1" });
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), null);
  assert.equal((await getUser()).status, 200);
});

test("fault 500 and 503 (with Retry-After), filtered by method and path regex", async () => {
  await faults([
    { method: "POST", path: "/group/user$", kind: "500", count: 1 },
    { path: "^/wiki/", kind: "503", retryAfter: 3, count: 1 },
  ]);
  assert.equal((await getUser()).status, 200);
  const g = sim.state().groups.find((x) => x.name === "portal-migrated");
  const e500 = await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: adminId() });
  assert.equal(e500.status, 500);
  assert.deepEqual(e500.body, { errorMessages: ["Internal server error"], errors: {} });
  assert.deepEqual(sim.state().groups.find((x) => x.name === "portal-migrated").members, []);
  const e503 = await call("GET", "/wiki/api/v2/spaces?keys=ACME");
  assert.equal(e503.status, 503);
  assert.equal(e503.headers.get("retry-after"), "3");
  assert.equal((await call("GET", "/wiki/api/v2/spaces?keys=ACME")).status, 200);
});

test("fault latency delays the answer", async () => {
  await faults([{ kind: "latency", latencyMs: 150, count: 1 }]);
  const t0 = Date.now();
  assert.equal((await getUser()).status, 200);
  assert.ok(Date.now() - t0 >= 140);
  assert.deepEqual(sim.state().faultsInjected, { latency: 1 });
});

test("fault reset drops the connection before anything happens", async () => {
  const qm = firstQm();
  await faults([{ surface: "admin", kind: "reset", count: 1 }]);
  await assert.rejects(call("PUT", migratePath(qm)));
  assert.deepEqual(sim.state().migrations, []);
  assert.equal((await call("PUT", migratePath(qm))).status, 200);
});

test("fault commit-drop changes state and then drops the connection: migrated exactly once", async () => {
  const qm = firstQm();
  await faults([{ surface: "admin", method: "PUT", kind: "commit-drop", count: 1 }]);
  await assert.rejects(call("PUT", migratePath(qm)));
  const log = sim.state().migrations;
  assert.equal(log.length, 1);
  assert.equal(log[0].qmId, qm);
  const again = await call("PUT", migratePath(qm));
  assert.equal(again.status, 400);
  assert.deepEqual(again.body, { errorMessages: [`${qm} is not a local customer`], errors: {} });
  assert.equal(sim.state().migrations.length, 1);
  assert.deepEqual(sim.state().faultsInjected, { "commit-drop": 1 });
});

test("fault probability is drawn from the rule's seeded generator: same seed, same pattern", async () => {
  const pattern = async () => {
    await faults([{ surface: "jira", kind: "500", probability: 0.5 }], 42);
    const out = [];
    for (let i = 0; i < 16; i++) out.push((await getUser()).status);
    return out.join(",");
  };
  const a = await pattern();
  const b = await pattern();
  assert.equal(a, b);
  assert.ok(a.includes("500") && a.includes("200"), a);
});

test("DELETE /__sim/faults clears the rules; bad rules are rejected with 400", async () => {
  await faults([{ kind: "500" }]);
  assert.equal((await getUser()).status, 500);
  await ctl("DELETE", "faults");
  assert.equal((await getUser()).status, 200);
  const bad = await faults([{ kind: "explode" }]);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^rules\[0\]\.kind must be one of/);
  assert.equal((await faults([{ kind: "500", path: "(" }])).status, 400);
});

// --- rate limits -----------------------------------------------------------------------------------

test("rate limit: token bucket per surface answers 429 with Retry-After computed from the refill time", async () => {
  await ctl("POST", "ratelimit", { jira: { rps: 0.25, burst: 2 } });
  assert.equal((await getUser()).status, 200);
  assert.equal((await getUser()).status, 200);
  const r = await getUser();
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "4");
  assert.match(r.headers.get("x-ratelimit-reset"), STAMP);
  assert.equal(r.headers.get("ratelimit-reason"), "jira-burst-based");
  assert.equal((await call("GET", "/wiki/api/v2/spaces")).status, 200);
  assert.deepEqual(sim.state().rateLimited, { jira: 1 });
  await ctl("POST", "ratelimit", null);
  assert.equal((await getUser()).status, 200);
});

test("rate limit on assets: bare omits Retry-After; otherwise Retry-After is at least 1", async () => {
  await ctl("POST", "ratelimit", { assets: { rps: 1, burst: 1, bare: true } });
  const aql = () => call("POST", `${ws()}/object/aql`, { qlQuery: "objectTypeId = 1" });
  assert.equal((await aql()).status, 200);
  const bare = await aql();
  assert.equal(bare.status, 429);
  assert.equal(bare.headers.get("retry-after"), null);
  await ctl("POST", "ratelimit", { assets: { rps: 1, burst: 1 } });
  await aql();
  const r = await aql();
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "1");
  assert.equal((await ctl("POST", "ratelimit", { nope: { rps: 1 } })).status, 400);
});

// --- reset, state, determinism ---------------------------------------------------------------------

test("state counts calls per surface and per METHOD route; reset clears counts, faults and limits", async () => {
  await getUser();
  await call("GET", "/_edge/tenant_info", undefined, { authorization: null });
  await call("GET", "/wiki/api/v2/spaces");
  await call("DELETE", "/nowhere");
  const { calls } = sim.state();
  assert.deepEqual(calls.bySurface, { jira: 3, confluence: 1 });
  assert.deepEqual(calls.byRoute, { "GET getUser": 1, "GET tenantInfo": 1, "GET getSpacesV2": 1, "DELETE unmatched": 1 });
  await faults([{ kind: "500" }]);
  await ctl("POST", "ratelimit", { jira: { rps: 1, burst: 1 } });
  await ctl("POST", "reset", {});
  assert.equal((await getUser()).status, 200);
  assert.equal((await getUser()).status, 200);
  assert.deepEqual(sim.state().calls.bySurface, { jira: 2 });
});

const ids = (s) => ({
  cloudId: s.cloudId, workspaceId: s.workspaceId, users: s.users.map((u) => [u.accountId, u.emailAddress]),
  groups: s.groups.map((g) => g.groupId), spaces: s.spaces.map((x) => [x.id, x.permissions.map((p) => p.id)]),
  objects: s.assets.objects,
});

test("same seed gives the same ids, also for accounts created by migration; another seed differs", async () => {
  const other = await startSimulator({ port: 0, seed: 1, quiet: true });
  try {
    assert.deepEqual(ids(other.state()), ids(sim.state()));
    const qm = firstQm();
    const a = await call("PUT", migratePath(qm));
    const res = await fetch(`${other.url}${migratePath(qm).replace(sim.state().cloudId, other.state().cloudId)}`, { method: "PUT", headers: { authorization: auth } });
    assert.equal((await res.json()).aaUser.accountId, a.body.aaUser.accountId);
  } finally {
    await other.close();
  }
  await ctl("POST", "reset", { seed: 2 });
  const two = sim.state();
  assert.equal(two.seed, 2);
  const back = await startSimulator({ port: 0, seed: 2, quiet: true });
  try {
    assert.deepEqual(ids(back.state()), ids(two));
  } finally {
    await back.close();
  }
  await ctl("POST", "reset", {});
  assert.notEqual(sim.state().cloudId, two.cloudId);
});

test("users/guest and settings control routes validate their input", async () => {
  assert.equal((await ctl("POST", "users/guest", { accountId: "nobody", space: "ACME" })).status, 404);
  assert.equal((await ctl("POST", "users/guest", { accountId: adminId(), space: "NOPE" })).status, 404);
  assert.equal((await ctl("POST", "settings", { latencyMs: -1 })).status, 400);
  const ok = await ctl("POST", "settings", { propagationDelayMs: 5 });
  assert.equal(ok.body.settings.propagationDelayMs, 5);
  assert.equal((await ctl("GET", "nothing")).status, 404);
  assert.deepEqual((await ctl("GET", "config")).body, sim.config());
});

// --- generated scenarios ---------------------------------------------------------------------------

test("generated scenario with 10,000 customers: indexed AQL and paging stay cheap", async () => {
  const r = await ctl("POST", "reset", { scenario: { companies: 10, customersPerCompany: 1000 }, seed: 5 });
  assert.equal(r.status, 200);
  const s = sim.state();
  assert.equal(s.users.filter((u) => u.accountType === "customer").length, 10000);
  assert.deepEqual(s.companies, ["CO1", "CO2", "CO3", "CO4", "CO5", "CO6", "CO7", "CO8", "CO9", "CO10"]);
  assert.equal(new Set(s.users.map((u) => u.emailAddress)).size, s.users.length);
  let startAt = 0;
  let seen = 0;
  for (;;) {
    const page = await call("POST", `${ws()}/object/aql?startAt=${startAt}&maxResults=100`, { qlQuery: 'objectType = "Customer" AND "Company" = "CO7"' });
    assert.equal(page.body.total, 1000);
    seen += page.body.values.length;
    startAt += page.body.values.length;
    if (page.body.isLast) break;
  }
  assert.equal(seen, 1000);
  const company = await call("POST", `${ws()}/object/aql`, { qlQuery: 'objectType = "Company" AND Key = "CO7"' });
  const space = company.body.values[0].attributes.find((a) => a.objectTypeAttributeId === "12");
  assert.equal(space.objectAttributeValues[0].value, "SP7");
  assert.equal(sim.config().companies.length, 10);
});

test("generated scenario with a total is split over the companies", async () => {
  await ctl("POST", "reset", { scenario: { companies: 3, customers: 10 } });
  const per = sim.state().assets.objects.filter((o) => o.objectType === "Customer")
    .reduce((m, o) => ({ ...m, [o.attributes.Company]: (m[o.attributes.Company] ?? 0) + 1 }), {});
  assert.deepEqual(per, { CO1: 4, CO2: 3, CO3: 3 });
  assert.equal((await ctl("POST", "reset", { scenario: { companies: 0 } })).status, 400);
});
