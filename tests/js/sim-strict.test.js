// The simulator's settings and its strict profile, the documented routes added for later work (myself
// groups, user/bulk paging, JSM organizations, v2 space permissions), the comment length limit, and the
// hostile modes (respond faults, echoCredentials). Raw fetch; exact statuses and bodies.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startSimulator, SETTING_NAMES, preset } from "../../js/sim/index.js";

let sim;
const EMAIL = "demo@example.com";
const TOKEN = "demo-token";
const auth = "Basic " + Buffer.from(`${EMAIL}:${TOKEN}`).toString("base64");
before(async () => { sim = await startSimulator({ port: 0, seed: 3, quiet: true }); });
after(() => sim.close());
beforeEach(() => ctl("POST", "reset", {}));

async function call(method, path, body, { authorization = auth } = {}) {
  const headers = { accept: "application/json" };
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(sim.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
const ctl = (method, path, body) => call(method, `/__sim/${path}`, body, { authorization: null });
const state = () => sim.state();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ws = () => `/jsm/assets/workspace/${state().workspaceId}/v1`;
const admin = () => `/gateway/api/ex/jira/${state().cloudId}/rest/servicedesk/customer-management/noeyeball/1`;
const customers = (company) => state().assets.objects.filter((o) => o.objectType === "Customer" && o.attributes.Company === company);
const linked = (company) => customers(company).filter((o) => o.attributes["Portal Account"]);
const group = (name) => state().groups.find((g) => g.name === name);
const adminId = () => state().users[0].accountId;
const userPath = (id) => `/rest/api/3/user?accountId=${encodeURIComponent(id)}`;
const migrateOne = (qm) => call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${qm}`);
const bulk = (ids) => call("PUT", `${admin()}/local-servicedesk-user/bulk-migrate-to-atlassian-account`, { customerAccountIds: ids });
const adf = (...texts) => ({ type: "doc", version: 1, content: [{ type: "paragraph", content: texts.map((text) => ({ type: "text", text })) }] });

const STRICT = {
  latencyMs: 0, propagationDelayMs: 1500, migrateAsGuest: false, aqlPageCap: 50, aqlEchoRequestedMax: true,
  aqlIsLastString: true, aqlTotal: "absent", hideEmails: true, bulkMigrateDelayMs: 1000, objectTypeIdRequired: true,
  singleMigrateRoute: "gone", directoryPaging: "offset", directoryPageCap: 25, userBulkPageCap: 10,
  callerSiteAdmin: true, echoCredentials: false,
};
const DEFAULT = {
  latencyMs: 0, propagationDelayMs: 0, migrateAsGuest: false, aqlPageCap: 100, aqlEchoRequestedMax: false,
  aqlIsLastString: false, aqlTotal: "present", hideEmails: false, bulkMigrateDelayMs: 0, objectTypeIdRequired: false,
  singleMigrateRoute: "present", directoryPaging: "offset", directoryPageCap: null, userBulkPageCap: 200,
  callerSiteAdmin: true, echoCredentials: false,
};

// --- settings and presets --------------------------------------------------------------------------

test("the default profile is every setting at its default; state shows profile, settings and overrides", async () => {
  const s = state();
  assert.equal(s.profile, "default");
  assert.deepEqual(s.settings, DEFAULT);
  assert.deepEqual(s.overrides, []);
  assert.deepEqual(preset("strict"), STRICT);
  const got = await ctl("GET", "settings");
  assert.deepEqual(got.body, { profile: "default", settings: DEFAULT, overrides: [] });
});

test("reset {profile: strict} sets every strict value; settings given alongside override the preset", async () => {
  const r = await ctl("POST", "reset", { profile: "strict" });
  assert.equal(r.status, 200);
  assert.equal(r.body.profile, "strict");
  assert.deepEqual(r.body.settings, STRICT);
  assert.deepEqual(state().settings, STRICT);
  const o = await ctl("POST", "reset", { profile: "strict", hideEmails: false, aqlPageCap: 7 });
  assert.deepEqual(o.body.settings, { ...STRICT, hideEmails: false, aqlPageCap: 7 });
  assert.deepEqual(o.body.overrides, ["aqlPageCap", "hideEmails"]);
  const http = await ctl("GET", "state");
  assert.equal(http.body.profile, "strict");
  assert.deepEqual(http.body.overrides, ["aqlPageCap", "hideEmails"]);
  // a reset without a profile keeps the start profile (default) and forgets the earlier one
  assert.deepEqual((await ctl("POST", "reset", {})).body.settings, DEFAULT);
});

test("POST /__sim/settings: a profile resets every setting to that preset; single settings merge", async () => {
  const a = await ctl("POST", "settings", { profile: "strict", singleMigrateRoute: "present" });
  assert.deepEqual(a.body, { ok: true, profile: "strict", settings: { ...STRICT, singleMigrateRoute: "present" }, overrides: ["singleMigrateRoute"] });
  const b = await ctl("POST", "settings", { bulkMigrateDelayMs: 0 });
  assert.deepEqual(b.body.settings, { ...STRICT, singleMigrateRoute: "present", bulkMigrateDelayMs: 0 });
  assert.deepEqual(b.body.overrides, ["bulkMigrateDelayMs", "singleMigrateRoute"]);
  const c = await ctl("POST", "settings", { profile: "default" });
  assert.deepEqual(c.body.settings, DEFAULT);
  assert.equal(c.body.profile, "default");
});

test("unknown setting names, bad values and unknown profiles are 400 naming what is valid", async () => {
  const valid = SETTING_NAMES.join(", ");
  const r1 = await ctl("POST", "settings", { hideEmail: true });
  assert.equal(r1.status, 400);
  assert.deepEqual(r1.body, { error: `unknown setting "hideEmail"; valid settings: ${valid} (and profile)` });
  const r2 = await ctl("POST", "reset", { seed: 2, bogus: 1 });
  assert.equal(r2.status, 400);
  assert.deepEqual(r2.body, { error: `unknown setting "bogus"; valid settings: ${valid} (and profile, seed, scenario)` });
  assert.deepEqual((await ctl("POST", "settings", { aqlTotal: "maybe" })).body, { error: 'aqlTotal must be one of "present", "absent"' });
  assert.deepEqual((await ctl("POST", "settings", { directoryPaging: "cursor" })).body,
    { error: 'directoryPaging must be one of "offset", "ignored", "page-number"' });
  assert.deepEqual((await ctl("POST", "settings", { aqlPageCap: 0 })).body, { error: "aqlPageCap must be an integer >= 1" });
  assert.deepEqual((await ctl("POST", "settings", { directoryPageCap: "10" })).body, { error: "directoryPageCap must be null or an integer >= 1" });
  assert.deepEqual((await ctl("POST", "settings", { hideEmails: "yes" })).body, { error: "hideEmails must be a boolean" });
  assert.deepEqual((await ctl("POST", "settings", { profile: "lenient" })).body, { error: 'unknown profile "lenient"; valid profiles: default, strict' });
  assert.deepEqual((await ctl("POST", "reset", { profile: "lenient" })).body, { error: 'unknown profile "lenient"; valid profiles: default, strict' });
  assert.deepEqual(state().settings, DEFAULT);
});

test("startSimulator({profile: 'strict', settings}) starts strict; reset without a profile keeps it", async () => {
  const other = await startSimulator({ port: 0, seed: 3, quiet: true, profile: "strict", settings: { hideEmails: false } });
  try {
    assert.equal(other.state().profile, "strict");
    assert.deepEqual(other.state().settings, { ...STRICT, hideEmails: false });
    other.reset({ aqlPageCap: 20 });
    assert.deepEqual(other.state().settings, { ...STRICT, hideEmails: false, aqlPageCap: 20 });
    other.reset({ profile: "default" });
    assert.deepEqual(other.state().settings, DEFAULT);
  } finally {
    await other.close();
  }
  await assert.rejects(startSimulator({ port: 0, settings: { nope: 1 } }), /unknown setting "nope"/);
});

// --- 1. Assets AQL paging --------------------------------------------------------------------------

const CO1 = 'objectType = "Customer" AND "Company" = "CO1"';
const aqlPage = (startAt, maxResults) => call("POST", `${ws()}/object/aql?startAt=${startAt}&maxResults=${maxResults}`, { qlQuery: CO1 });

test("strict AQL: 60 customers at maxResults 100 come in pages of 50 that report 100, isLast as a string, no total", async () => {
  await ctl("POST", "reset", { profile: "strict", scenario: { companies: 1, customersPerCompany: 60 } });
  const p1 = await aqlPage(0, 100);
  assert.equal(p1.status, 200);
  assert.equal(p1.body.values.length, 50);
  assert.equal(p1.body.maxResults, 100);
  assert.equal(p1.body.startAt, 0);
  assert.equal(p1.body.isLast, "false");
  assert.equal(p1.body.last, "false");
  assert.equal("total" in p1.body, false);
  const p2 = await aqlPage(50, 100);
  assert.equal(p2.body.values.length, 10);
  assert.equal(p2.body.startAt, 50);
  assert.equal(p2.body.maxResults, 100);
  assert.equal(p2.body.isLast, "true");
  const ids = [...p1.body.values, ...p2.body.values].map((o) => o.id);
  assert.equal(new Set(ids).size, 60);
  assert.deepEqual(ids, customers("CO1").map((o) => o.id));
  // startAt stays an offset, also off a page boundary
  const mid = await aqlPage(7, 5);
  assert.deepEqual(mid.body.values.map((o) => o.id), ids.slice(7, 12));
  assert.equal(mid.body.maxResults, 5);
  await ctl("POST", "settings", { aqlTotal: "present", aqlIsLastString: false, aqlEchoRequestedMax: false });
  const p3 = await aqlPage(0, 100);
  assert.deepEqual([p3.body.maxResults, p3.body.total, p3.body.isLast, p3.body.values.length], [50, 60, false, 50]);
});

test("default AQL is unchanged: one page of 60 at maxResults 100, real booleans, total, capped size reported", async () => {
  await ctl("POST", "reset", { scenario: { companies: 1, customersPerCompany: 60 } });
  const p = await aqlPage(0, 100);
  assert.deepEqual([p.body.values.length, p.body.maxResults, p.body.total, p.body.isLast, p.body.last], [60, 100, 60, true, true]);
  const big = await aqlPage(0, 5000);
  assert.equal(big.body.maxResults, 100);
});

// --- 2. hidden emails ------------------------------------------------------------------------------

test("hideEmails: no emailAddress for Atlassian accounts, \"\" for customers, yet an exact-email query still matches", async () => {
  await ctl("POST", "reset", { profile: "strict" });
  const made = await ctl("POST", "users", { email: "Pat.Lee@partner.example", displayName: "Pat Lee" });
  const aa = made.body.accountId;
  const u = await call("GET", userPath(aa));
  assert.equal(u.status, 200);
  assert.equal("emailAddress" in u.body, false);
  assert.equal(u.body.displayName, "Pat Lee");
  const c = linked("GLOBEX")[0];
  const cu = await call("GET", userPath(c.attributes["Portal Account"]));
  assert.equal(cu.body.emailAddress, "");
  assert.equal(cu.body.displayName, c.attributes.Email);
  const exact = await call("GET", "/rest/api/3/user/search?query=pat.lee%40partner.example");
  assert.deepEqual(exact.body.map((x) => x.accountId), [aa]);
  assert.equal("emailAddress" in exact.body[0], false);
  const prefix = await call("GET", "/rest/api/3/user/search?query=pat.lee%40partner");
  assert.deepEqual(prefix.body, []);
  const byName = await call("GET", "/rest/api/3/user/search?query=pat");
  assert.ok(byName.body.some((x) => x.accountId === aa));
  const b = await call("GET", `/rest/api/3/user/bulk?accountId=${encodeURIComponent(aa)}&accountId=${encodeURIComponent(c.attributes["Portal Account"])}`);
  assert.equal("emailAddress" in b.body.values[0], false);
  assert.equal(b.body.values[1].emailAddress, "");
  const me = await call("GET", "/rest/api/3/myself");
  assert.equal(me.body.emailAddress, EMAIL);
});

test("without hideEmails every user route shows the email (default profile unchanged)", async () => {
  const made = await ctl("POST", "users", { email: "pat.lee@partner.example", displayName: "Pat Lee" });
  const u = await call("GET", userPath(made.body.accountId));
  assert.equal(u.body.emailAddress, "pat.lee@partner.example");
  const prefix = await call("GET", "/rest/api/3/user/search?query=pat.lee%40partner");
  assert.deepEqual(prefix.body.map((x) => x.accountId), [made.body.accountId]);
});

// --- 3. asynchronous bulk migrate, 5. propagation ---------------------------------------------------

test("async bulk migrate: the old id reads as a customer until the delay passes, then 404 and a new account exists", async () => {
  await ctl("POST", "reset", { profile: "strict", bulkMigrateDelayMs: 250, propagationDelayMs: 400 });
  const c = linked("INITECH")[0];
  const qm = c.attributes["Portal Account"];
  const t0 = Date.now();
  const r = await bulk([qm]);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {});
  const still = await call("GET", userPath(qm));
  assert.equal(still.status, 200);
  assert.equal(still.body.accountType, "customer");
  assert.equal(state().users.filter((u) => u.emailAddress === c.attributes.Email).length, 1);
  assert.deepEqual(state().migrations, []);
  assert.deepEqual(state().pendingMigrations.map((p) => p.qmId), [qm]);
  assert.ok(Date.now() - t0 < 250, "the checks before the delay ran too slowly to mean anything");
  await sleep(270 - (Date.now() - t0));
  const gone = await call("GET", userPath(qm));
  assert.equal(gone.status, 404);
  const s = state();
  assert.deepEqual(s.pendingMigrations, []);
  assert.equal(s.migrations.length, 1);
  const next = s.users.find((u) => u.emailAddress === c.attributes.Email);
  assert.equal(next.accountType, "atlassian");
  assert.equal(s.migrations[0].accountId, next.accountId);
  // propagation counts from the migration: group add answers 404 user-not-found until it has passed
  const g = group("portal-migrated");
  const early = await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: next.accountId });
  assert.equal(early.status, 404);
  assert.deepEqual(early.body, { errorMessages: ["Specified user does not exist or you do not have required permissions"], errors: {} });
  await sleep(t0 + 250 + 420 - Date.now());
  assert.equal((await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: next.accountId })).status, 201);
});

test("a pending bulk id sent again keeps its first due time; a second bulk of migrated ids changes nothing", async () => {
  await ctl("POST", "reset", { bulkMigrateDelayMs: 150 });
  const qm = linked("GLOBEX")[1].attributes["Portal Account"];
  await bulk([qm]);
  const due = state().pendingMigrations[0].due;
  await sleep(20);
  await bulk([qm]);
  assert.deepEqual(state().pendingMigrations, [{ qmId: qm, due }]);
  await sleep(160);
  assert.equal((await call("GET", userPath(qm))).status, 404);
  assert.equal((await bulk([qm])).status, 200);
  assert.equal(state().migrations.length, 1);
  assert.deepEqual(state().pendingMigrations, []);
});

// --- 4. objectTypeId required ----------------------------------------------------------------------

test("objectTypeIdRequired: PUT object without objectTypeId or with the wrong type is 400; with the right one 200", async () => {
  await ctl("POST", "reset", { profile: "strict" });
  const obj = customers("ACME")[0];
  const attributes = [{ objectTypeAttributeId: "90", objectAttributeValues: [{ value: "true" }] }];
  const missing = await call("PUT", `${ws()}/object/${obj.id}`, { attributes });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { errorMessages: [], errors: { objectTypeId: "The object type id is required" } });
  const wrong = await call("PUT", `${ws()}/object/${obj.id}`, { objectTypeId: "1", attributes });
  assert.equal(wrong.status, 400);
  assert.deepEqual(wrong.body, { errorMessages: [], errors: { objectTypeId: `Object ${obj.id} is of object type 4, not 1` } });
  assert.equal(state().assets.objects.find((o) => o.id === obj.id).attributes.Xboarding, "false");
  const ok = await call("PUT", `${ws()}/object/${obj.id}`, { objectTypeId: "4", attributes });
  assert.equal(ok.status, 200);
  assert.equal(state().assets.objects.find((o) => o.id === obj.id).attributes.Xboarding, "true");
  assert.equal((await call("PUT", `${ws()}/object/${obj.id}`, { objectTypeId: 4, attributes })).status, 200);
  assert.equal((await call("PUT", `${ws()}/object/99999`, { attributes })).status, 404);
  await ctl("POST", "settings", { profile: "default" });
  assert.equal((await call("PUT", `${ws()}/object/${obj.id}`, { attributes })).status, 200);
});

// --- 6. comment length (every profile) --------------------------------------------------------------

test("a comment of 32,768 characters is 400 with Jira's message; 32,767 (over two text nodes) is 201", async () => {
  const long = await call("POST", "/rest/api/3/issue/SUP-1/comment", { body: adf("x".repeat(32000), "y".repeat(768)) });
  assert.equal(long.status, 400);
  assert.deepEqual(long.body, {
    errorMessages: [], errors: { comment: "The entered text is too long. It exceeds the allowed limit of 32,767 characters." },
  });
  assert.deepEqual(state().comments["SUP-1"], []);
  const fits = await call("POST", "/rest/api/3/issue/SUP-1/comment", { body: adf("x".repeat(32000), "y".repeat(767)) });
  assert.equal(fits.status, 201);
  assert.equal(state().comments["SUP-1"].length, 1);
  await ctl("POST", "reset", { profile: "strict" });
  assert.equal((await call("POST", "/rest/api/3/issue/SUP-2/comment", { body: adf("z".repeat(32768)) })).status, 400);
});

// --- 7. single migrate route gone -------------------------------------------------------------------

test("singleMigrateRoute gone: both single forms answer a generic 404 and migrate nothing; bulk still works", async () => {
  await ctl("POST", "reset", { profile: "strict", bulkMigrateDelayMs: 0 });
  const qm = linked("ACME")[3].attributes["Portal Account"];
  const single = await migrateOne(qm);
  assert.equal(single.status, 404);
  assert.deepEqual(single.body, { code: 404, message: "Not Found" });
  const legacy = await call("PUT", `/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user/migrate-to-atlassian-account-user?username=${encodeURIComponent(qm)}`);
  assert.equal(legacy.status, 404);
  assert.deepEqual(legacy.body, { code: 404, message: "Not Found" });
  assert.deepEqual(state().migrations, []);
  assert.equal((await bulk([qm])).status, 200);
  assert.deepEqual(state().migrations.map((m) => m.qmId), [qm]);
});

// --- 8. directory paging ---------------------------------------------------------------------------

const directory = async (qs) => (await call("GET", `${admin()}/local-servicedesk-user?active-filter=active&${qs}`)).body.localCustomers.map((c) => c.username);

test("directoryPaging: ignored repeats the first page; page-number reads start-index as a page; the cap is silent", async () => {
  const all = await directory("start-index=0&max-results=1000");
  assert.equal(all.length, 38);
  assert.deepEqual(await directory("start-index=5&max-results=5"), all.slice(5, 10));
  await ctl("POST", "settings", { directoryPaging: "ignored" });
  assert.deepEqual(await directory("start-index=0&max-results=5"), all.slice(0, 5));
  assert.deepEqual(await directory("start-index=5&max-results=5"), all.slice(0, 5));
  assert.deepEqual(await directory("start-index=100&max-results=5"), all.slice(0, 5));
  await ctl("POST", "settings", { directoryPaging: "page-number" });
  assert.deepEqual(await directory("start-index=1&max-results=5"), all.slice(5, 10));
  assert.deepEqual(await directory("start-index=5&max-results=5"), all.slice(25, 30));
  await ctl("POST", "settings", { directoryPaging: "offset", directoryPageCap: 7 });
  assert.deepEqual(await directory("start-index=0&max-results=50"), all.slice(0, 7));
  assert.deepEqual(await directory("start-index=7&max-results=3"), all.slice(7, 10));
  await ctl("POST", "settings", { profile: "strict" });
  assert.deepEqual(await directory("start-index=0&max-results=1000"), all.slice(0, 25));
  assert.deepEqual(await directory("start-index=25&max-results=1000"), all.slice(25));
});

// --- 9. documented routes --------------------------------------------------------------------------

test("v2 space permissions list exactly the grants made through v1, paged by cursor, ids of the v1 answers", async () => {
  const v2 = await call("GET", "/wiki/api/v2/spaces?keys=ACME");
  const spaceId = v2.body.results[0].id;
  assert.equal(typeof spaceId, "string");
  const qm = linked("ACME")[0].attributes["Portal Account"];
  const aa = (await migrateOne(qm)).body.aaUser.accountId;
  const grant = (type, identifier, key, target) =>
    call("POST", "/wiki/rest/api/space/ACME/permission", { subject: { type, identifier }, operation: { key, target } });
  const g = group("confluence-guests");
  const made = [
    await grant("user", aa, "read", "space"), await grant("user", aa, "create", "page"), await grant("group", "confluence-guests", "read", "space"),
  ];
  assert.deepEqual(made.map((r) => r.status), [200, 200, 200]);
  const seen = [];
  let path = `/wiki/api/v2/spaces/${spaceId}/permissions?limit=2`;
  for (let pages = 0; path && pages < 10; pages++) {
    const r = await call("GET", path);
    assert.equal(r.status, 200);
    assert.ok(r.body.results.length <= 2);
    seen.push(...r.body.results);
    path = r.body._links.next ?? null;
    if (path) assert.match(r.headers.get("link"), /rel="next"/);
  }
  const want = state().spaces.find((s) => s.key === "ACME").permissions.map((p) => ({
    id: String(p.id), principal: { type: p.subject.type, id: p.subject.identifier }, operation: { key: p.operation.key, targetType: p.operation.target },
  }));
  assert.deepEqual(seen, want);
  for (const r of made) assert.ok(seen.some((p) => p.id === String(r.body.id)));
  assert.deepEqual(seen.at(-1), { id: String(made[2].body.id), principal: { type: "group", id: g.groupId }, operation: { key: "read", targetType: "space" } });
  assert.equal((await call("GET", "/wiki/api/v2/spaces/1/permissions")).status, 404);
});

test("myself?expand=groups lists site-admins and jira-admins; callerSiteAdmin false drops the caller's site admin", async () => {
  const plain = await call("GET", "/rest/api/3/myself");
  assert.equal(plain.status, 200);
  assert.equal("groups" in plain.body, false);
  const me = await call("GET", "/rest/api/3/myself?expand=groups");
  const sa = group("site-admins");
  const ja = group("jira-admins");
  assert.deepEqual(me.body.groups, {
    size: 2,
    items: [
      { name: "site-admins", groupId: sa.groupId, self: `${sim.url}/rest/api/3/group?groupId=${sa.groupId}` },
      { name: "jira-admins", groupId: ja.groupId, self: `${sim.url}/rest/api/3/group?groupId=${ja.groupId}` },
    ],
  });
  assert.equal(me.body.accountId, adminId());
  await ctl("POST", "settings", { callerSiteAdmin: false });
  const not = await call("GET", "/rest/api/3/myself?expand=groups");
  assert.deepEqual(not.body.groups.items.map((g) => g.name), ["jira-admins"]);
  const perm = await call("GET", "/rest/api/3/mypermissions?permissions=ADMINISTER");
  assert.equal(perm.body.permissions.ADMINISTER.havePermission, false);
  const g = group("portal-migrated");
  const add = await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: adminId() });
  assert.equal(add.status, 403);
  assert.deepEqual(add.body, {
    errorMessages: ["You must be a site administrator (a member of the site-admins group) to add users to groups."], errors: {},
  });
  await ctl("POST", "settings", { callerSiteAdmin: true });
  assert.equal((await call("GET", "/rest/api/3/myself?expand=groups")).body.groups.size, 2);
  assert.equal((await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: adminId() })).status, 201);
  await ctl("POST", "reset", { callerSiteAdmin: false });
  assert.deepEqual(group("site-admins").members, []);
});

test("user/bulk: repeated accountId, PageBeanUser, default maxResults 10, assumed maximum 200, strict cap 10", async () => {
  const ids = state().users.filter((u) => u.active).map((u) => u.accountId);
  assert.ok(ids.length > 30);
  const qs = (extra = "") => `/rest/api/3/user/bulk?${ids.map((id) => `accountId=${encodeURIComponent(id)}`).join("&")}${extra}`;
  const first = await call("GET", qs());
  assert.equal(first.status, 200);
  assert.deepEqual(Object.keys(first.body).sort(), ["isLast", "maxResults", "nextPage", "self", "startAt", "total", "values"]);
  assert.deepEqual([first.body.maxResults, first.body.startAt, first.body.total, first.body.isLast, first.body.values.length], [10, 0, ids.length, false, 10]);
  assert.deepEqual(first.body.values.map((u) => u.accountId), ids.slice(0, 10));
  assert.match(first.body.nextPage, /[?&]startAt=10(&|$)/);
  const all = await call("GET", qs("&maxResults=500"));
  assert.deepEqual([all.body.maxResults, all.body.isLast, all.body.values.length], [200, true, ids.length]);
  assert.equal("nextPage" in all.body, false);
  await ctl("POST", "settings", { profile: "strict" });
  const capped = await call("GET", qs("&maxResults=50&startAt=10"));
  assert.deepEqual([capped.body.maxResults, capped.body.startAt, capped.body.isLast, capped.body.values.length], [10, 10, false, 10]);
  assert.deepEqual(capped.body.values.map((u) => u.accountId), ids.slice(10, 20));
  assert.deepEqual((await call("GET", "/rest/api/3/user/bulk")).body, { errorMessages: ["The query parameter 'accountId' is required."], errors: {} });
});

test("JSM organizations: one per company with its customers, JSM paged shape, filter by accountId, 404 for unknown", async () => {
  const list = await call("GET", "/rest/servicedeskapi/organization");
  assert.equal(list.status, 200);
  const base = `${sim.url}/rest/servicedeskapi`;
  assert.deepEqual(list.body, {
    _expands: [], size: 3, start: 0, limit: 50, isLastPage: true,
    _links: { self: `${base}/organization`, base, context: "" },
    values: [
      { id: "1", name: "Acme Corporation", scimManaged: false, _links: { self: `${base}/organization/1` } },
      { id: "2", name: "Globex", scimManaged: false, _links: { self: `${base}/organization/2` } },
      { id: "3", name: "Initech", scimManaged: false, _links: { self: `${base}/organization/3` } },
    ],
  });
  const page = await call("GET", "/rest/servicedeskapi/organization?start=1&limit=1");
  assert.deepEqual([page.body.size, page.body.isLastPage, page.body.values[0].name], [1, false, "Globex"]);
  assert.equal(page.body._links.next, `${base}/organization?start=2&limit=1`);
  assert.equal(page.body._links.prev, `${base}/organization?start=0&limit=1`);
  const c = linked("GLOBEX")[2];
  const qm = c.attributes["Portal Account"];
  const mine = await call("GET", `/rest/servicedeskapi/organization?accountId=${encodeURIComponent(qm)}`);
  assert.deepEqual(mine.body.values.map((o) => o.name), ["Globex"]);
  assert.deepEqual((await call("GET", "/rest/servicedeskapi/organization?accountId=nobody")).body.values, []);
  const users = await call("GET", "/rest/servicedeskapi/organization/1/user?limit=10");
  assert.deepEqual([users.body.size, users.body.start, users.body.limit, users.body.isLastPage], [10, 0, 10, false]);
  assert.deepEqual(users.body.values.map((u) => u.accountId), linked("ACME").slice(0, 10).map((o) => o.attributes["Portal Account"]));
  const u0 = users.body.values[0];
  const rest = `${sim.url}/rest/api/2/user?accountId=${encodeURIComponent(u0.accountId)}`;
  assert.deepEqual(Object.keys(u0), ["accountId", "emailAddress", "displayName", "active", "timeZone", "_links"]);
  assert.equal(u0._links.jiraRest, rest);
  assert.equal(users.body._links.next, `${base}/organization/1/user?limit=10&start=10`);
  const acme = await call("GET", "/rest/servicedeskapi/organization/1/user?limit=100");
  assert.equal(acme.body.size, 29);
  assert.equal(acme.body.isLastPage, true);
  const one = await call("GET", "/rest/servicedeskapi/organization/2");
  assert.deepEqual(one.body, { id: "2", name: "Globex", scimManaged: false, _links: { self: `${base}/organization/2` } });
  const missing = await call("GET", "/rest/servicedeskapi/organization/99/user");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, {
    errorMessage: "The organization with id 99 does not exist.",
    i18nErrorMessage: { i18nKey: "sd.organization.error.not.found", parameters: ["99"] },
  });
  // after a migration the membership follows the new account (assumed)
  const aa = (await migrateOne(qm)).body.aaUser.accountId;
  const after = await call("GET", `/rest/servicedeskapi/organization?accountId=${encodeURIComponent(aa)}`);
  assert.deepEqual(after.body.values.map((o) => o.name), ["Globex"]);
  assert.deepEqual((await call("GET", `/rest/servicedeskapi/organization?accountId=${encodeURIComponent(qm)}`)).body.values, []);
  const members = state().organizations.find((o) => o.name === "Globex").members;
  assert.equal(members[2], aa);
  assert.equal(members.includes(qm), false);
});

test("organization members follow hideEmails like the platform user routes", async () => {
  await ctl("POST", "reset", { profile: "strict" });
  const users = await call("GET", "/rest/servicedeskapi/organization/3/user");
  const c = linked("INITECH")[0];
  assert.equal(users.body.values[0].emailAddress, "");
  assert.equal(users.body.values[0].displayName, c.attributes.Email);
});

// --- 10. respond faults and echoCredentials --------------------------------------------------------

const faults = (rules) => ctl("POST", "faults", { rules });

test("respond without commit: the rule's status, headers and body answer and nothing is processed", async () => {
  const obj = customers("ACME")[1];
  assert.equal((await faults([{ kind: "respond", surface: "assets", method: "PUT", status: 200, body: { errorMessages: ["Object update failed"], errors: {} }, count: 1 }])).status, 200);
  const r = await call("PUT", `${ws()}/object/${obj.id}`, { attributes: [{ objectTypeAttributeId: "90", objectAttributeValues: [{ value: "true" }] }] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { errorMessages: ["Object update failed"], errors: {} });
  assert.equal(state().assets.objects.find((o) => o.id === obj.id).attributes.Xboarding, "false");
  const day = await faults([{ kind: "respond", surface: "jira", status: 429, headers: { "Retry-After": 86400 }, body: { errorMessages: ["Rate limit exceeded."], errors: {} } }]);
  assert.equal(day.status, 200);
  const limited = await call("GET", userPath(adminId()));
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "86400");
  await faults([{ kind: "respond", path: "/object/aql$", status: 200, body: "<html>gateway error</html>", headers: { "content-type": "text/html" } }]);
  const html = await call("POST", `${ws()}/object/aql`, { qlQuery: "objectTypeId = 1" });
  assert.deepEqual([html.status, html.text, html.headers.get("content-type")], [200, "<html>gateway error</html>", "text/html"]);
  assert.equal(state().faultsInjected.respond, 3);
});

test("respond with commit: the real handler changes state, then the answer is replaced (2xx envelope, hostile id)", async () => {
  const g = group("portal-migrated");
  await faults([{ kind: "respond", commit: true, path: "/group/user$", method: "POST", status: 200, body: { errorMessages: ["Something went wrong"], errors: {} }, count: 1 }]);
  const add = await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: adminId() });
  assert.deepEqual([add.status, add.body], [200, { errorMessages: ["Something went wrong"], errors: {} }]);
  assert.deepEqual(group("portal-migrated").members, [adminId()]);
  const qm = linked("GLOBEX")[0].attributes["Portal Account"];
  const hostile = { aaUser: { accountId: "../../admin/v1/orgs?x=<script>", emailAddress: "evil@attacker.example" } };
  await faults([{ kind: "respond", commit: true, surface: "admin", method: "PUT", status: 200, body: hostile, count: 1 }]);
  const m = await migrateOne(qm);
  assert.deepEqual([m.status, m.body], [200, hostile]);
  const log = state().migrations;
  assert.equal(log.length, 1);
  assert.equal(log[0].qmId, qm);
  assert.match(log[0].accountId, /^712020:/);
  await faults([{ kind: "respond", commit: true, surface: "assets", path: "/object/aql$", status: 200, body: { errorMessages: ["AQL failed"], errors: {} } }]);
  const aql = await call("POST", `${ws()}/object/aql`, { qlQuery: "objectTypeId = 1" });
  assert.deepEqual(aql.body, { errorMessages: ["AQL failed"], errors: {} });
});

test("respond rules are validated", async () => {
  assert.deepEqual((await faults([{ kind: "respond", status: 99 }])).body, { error: "rules[0].status must be an integer in 200..599" });
  assert.deepEqual((await faults([{ kind: "respond", commit: "yes" }])).body, { error: "rules[0].commit must be a boolean" });
  assert.deepEqual((await faults([{ kind: "respond", headers: { "content-length": "1" } }])).body, { error: "rules[0].headers.content-length is set by the simulator" });
  assert.deepEqual((await faults([{ kind: "respond", headers: { "x-a": "b\r\nSet-Cookie: c" } }])).body, { error: "rules[0].headers.x-a must not contain CR, LF or NUL" });
  assert.deepEqual((await faults([{ kind: "respond", headers: { "bad name": "1" } }])).body, { error: 'rules[0].headers: "bad name" is not a header name' });
  assert.deepEqual((await faults([{ kind: "respond", headers: [] }])).body, { error: "rules[0].headers must be an object" });
});

test("echoCredentials: every 4xx/5xx body carries the received Authorization and the decoded email:token", async () => {
  await ctl("POST", "settings", { echoCredentials: true });
  const note = `received Authorization: ${auth}; decoded credentials: ${EMAIL}:${TOKEN}`;
  const missing = await call("GET", userPath("nobody"));
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, {
    errorMessages: ["Specified user does not exist or you do not have required permissions", note], errors: {},
    receivedAuthorization: auth, decodedCredentials: `${EMAIL}:${TOKEN}`,
  });
  const wrongAuth = "Basic " + Buffer.from(`${EMAIL}:wrong-token`).toString("base64");
  const denied = await call("GET", userPath(adminId()), undefined, { authorization: wrongAuth });
  assert.equal(denied.status, 401);
  assert.equal(denied.body.decodedCredentials, `${EMAIL}:wrong-token`);
  const space = await call("GET", "/wiki/rest/api/space/NOPE");
  assert.equal(space.status, 404);
  assert.ok(space.body.message.endsWith(`No space with key : NOPE (${note})`), space.body.message);
  const org = await call("GET", "/rest/servicedeskapi/organization/99");
  assert.ok(org.body.errorMessage.includes(`${EMAIL}:${TOKEN}`));
  const gone = await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/qm:none`);
  assert.equal(gone.status, 404);
  assert.ok(gone.body.errorMessages.includes(note));
  await faults([{ kind: "500", count: 1 }]);
  const boom = await call("GET", userPath(adminId()));
  assert.deepEqual(boom.body.errorMessages, ["Internal server error", note]);
  const ok = await call("GET", userPath(adminId()));
  assert.equal(ok.status, 200);
  assert.equal("receivedAuthorization" in ok.body, false);
  assert.equal((await ctl("POST", "settings", { bogus: 1 })).body.receivedAuthorization, undefined);
  await ctl("POST", "settings", { echoCredentials: false });
  assert.equal("receivedAuthorization" in (await call("GET", userPath("nobody"))).body, false);
});
