// The simulator's surfaces, driven with raw fetch: shapes, rules and exact error bodies.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startSimulator } from "../../js/sim/index.js";

let sim;
let auth;
before(async () => {
  sim = await startSimulator({ port: 0, seed: 1, email: "demo@example.com", apiToken: "demo-token", scenario: "demo", quiet: true });
  auth = "Basic " + Buffer.from("demo@example.com:demo-token").toString("base64");
});
after(() => sim.close());
beforeEach(() => ctl("POST", "reset", {}));

async function call(method, path, body, { authorization = auth } = {}) {
  const headers = { accept: "application/json" };
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(sim.url + path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
const ctl = (method, path, body) => call(method, `/__sim/${path}`, body, { authorization: null });
const state = () => sim.state();
const ws = () => `/jsm/assets/workspace/${state().workspaceId}/v1`;
const admin = () => `/gateway/api/ex/jira/${state().cloudId}/rest/servicedesk/customer-management/noeyeball/1`;
const aql = (qlQuery, qs = "") => call("POST", `${ws()}/object/aql${qs}`, { qlQuery });
const customers = (company) => state().assets.objects.filter((o) => o.objectType === "Customer" && o.attributes.Company === company);
const linked = (company) => customers(company).filter((o) => o.attributes["Portal Account"]);
const group = (name) => state().groups.find((g) => g.name === name);

// --- tenant and auth -------------------------------------------------------------------------------

test("tenant_info answers the cloudId without auth", async () => {
  const r = await call("GET", "/_edge/tenant_info", undefined, { authorization: null });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { cloudId: state().cloudId });
});

test("every other route needs Basic auth: 401 with a Jira error body", async () => {
  const none = await call("GET", "/rest/api/3/user?accountId=x", undefined, { authorization: null });
  assert.equal(none.status, 401);
  assert.deepEqual(none.body, { errorMessages: ["Client must be authenticated to access this resource."], errors: {} });
  const wrong = await call("POST", `${ws()}/object/aql`, { qlQuery: "objectTypeId = 4" },
    { authorization: "Basic " + Buffer.from("demo@example.com:nope").toString("base64") });
  assert.equal(wrong.status, 401);
});

test("assets workspace discovery returns the JSM paged DTO, also on the deprecated insight path", async () => {
  for (const path of ["/rest/servicedeskapi/assets/workspace", "/rest/servicedeskapi/insight/workspace"]) {
    const r = await call("GET", path);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      _expands: [], size: 1, start: 0, limit: 50, isLastPage: true,
      _links: { base: `${sim.url}/rest/servicedeskapi`, context: "" },
      values: [{ workspaceId: state().workspaceId }],
    });
  }
});

test("config() is a ready portal-migrate config for the demo tenant", () => {
  const c = sim.config();
  assert.equal(c.siteUrl, sim.url);
  assert.equal(c.adminUrl, sim.url);
  assert.equal(c.apiUrl, sim.url);
  assert.deepEqual(c.companies, ["ACME", "GLOBEX", "INITECH"]);
  assert.deepEqual(c.groups, [group("portal-migrated").groupId]);
  assert.equal(c.assets.portalAccountAttribute, "Portal Account");
  assert.equal(c.cloudId, undefined);
  assert.deepEqual(c.confluence, { permissions: [] });
});

// --- Assets ----------------------------------------------------------------------------------------

test("aql pages ACME's 30 customers over 2 default pages with real booleans and string ids", async () => {
  const q = 'objectType = "Customer" AND "Company" = "ACME"';
  const p1 = await aql(q);
  assert.equal(p1.status, 200);
  assert.equal(p1.body.startAt, 0);
  assert.equal(p1.body.maxResults, 25);
  assert.equal(p1.body.total, 30);
  assert.equal(p1.body.isLast, false);
  assert.equal(p1.body.last, false);
  assert.equal(p1.body.values.length, 25);
  const p2 = await aql(q, "?startAt=25");
  assert.equal(p2.body.values.length, 5);
  assert.equal(p2.body.isLast, true);
  assert.equal(p2.body.last, true);
  const ids = [...p1.body.values, ...p2.body.values].map((o) => o.id);
  assert.equal(new Set(ids).size, 30);
  assert.ok(ids.every((id) => typeof id === "string"));
  const o = p1.body.values[0];
  assert.equal(o.objectType.id, "4");
  assert.equal(o.objectType.name, "Customer");
  assert.match(o.objectKey, /^CUS-\d+$/);
  assert.equal(o.globalId, `${state().workspaceId}:${o.id}`);
  const pa = o.attributes.find((a) => a.objectTypeAttributeId === "91");
  assert.match(pa.objectAttributeValues[0].value, /^qm:[0-9a-f-]{36}:[0-9a-f]{24}$/);
  assert.equal(pa.objectId, o.id);
  const defs = p1.body.objectTypeAttributes;
  assert.deepEqual(defs.map((d) => d.name), ["Name", "Email", "Company", "Xboarding", "Portal Account"]);
  assert.equal(defs.find((d) => d.name === "Portal Account").id, "91");
});

test("aql caps maxResults at 100 and reports the capped value; includeAttributes=false drops attributes", async () => {
  const r = await aql("objectTypeId = 4", "?maxResults=500&includeAttributes=false");
  assert.equal(r.body.maxResults, 100);
  assert.equal(r.body.total, 39);
  assert.equal(r.body.values.length, 39);
  assert.deepEqual(r.body.values[0].attributes, []);
});

test("one ACME customer has an empty Portal Account: the attribute is absent from the object", async () => {
  const empty = customers("ACME").filter((o) => o.attributes["Portal Account"] === null);
  assert.equal(empty.length, 1);
  const r = await aql(`objectType = Customer AND "Portal Account" IS EMPTY`);
  assert.deepEqual(r.body.values.map((o) => o.id), [empty[0].id]);
  assert.equal(r.body.values[0].attributes.find((a) => a.objectTypeAttributeId === "91"), undefined);
});

test("aql subset: IN, OR, parentheses, !=, case-insensitive keywords, names and values, escaped quotes", async () => {
  const count = async (q) => (await aql(q, "?maxResults=100")).body.total;
  assert.equal(await count('objecttype = customer and company in ("globex", "INITECH")'), 9);
  assert.equal(await count('(objectTypeId = 1) OR ("Company" = "GLOBEX" AND objectType = "Customer")'), 8);
  assert.equal(await count('objectType = "Company" AND Key != ACME'), 2);
  assert.equal(await count('objectType = "Company" AND Key = "AC\\"ME"'), 0);
  assert.equal(await count('objectType = "Company" AND "Confluence Space" = "glx"'), 1);
  const total = await call("POST", `${ws()}/object/aql/totalcount`, { qlQuery: '"Company" = "ACME"' });
  assert.deepEqual(total.body, { totalCount: 30 });
});

test("aql rejects bad syntax, unknown attributes and backslashes with 400 in the Jira shape", async () => {
  const cases = [
    ['objectType = "Customer" AND', "AQL: syntax error at position 27: expected an attribute name, found end of query"],
    ['objectType = "Customer" AND ("Company" = "ACME"', "AQL: syntax error at position 47: expected )"],
    ['"Nope" = "x"', 'AQL: the attribute "Nope" does not exist'],
    ['"Company" = "AC\\ME"', 'AQL: syntax error at position 15: unsupported escape sequence "\\M"'],
    ["Company = AC\\ME", "AQL: syntax error at position 12: backslash outside a quoted value"],
    ['"Company" = "ACME', "AQL: syntax error at position 12: unterminated quoted value"],
  ];
  for (const [q, msg] of cases) {
    const r = await aql(q);
    assert.equal(r.status, 400, q);
    assert.deepEqual(r.body, { errorMessages: [msg], errors: {} }, q);
  }
});

test("GET and PUT object: only listed attributes change; unknown attribute 400; unknown object 404", async () => {
  const target = linked("GLOBEX")[0];
  const put = await call("PUT", `${ws()}/object/${target.id}`, {
    attributes: [{ objectTypeAttributeId: "91", objectAttributeValues: [{ value: "712020:new" }] }],
  });
  assert.equal(put.status, 200);
  assert.equal(put.body.id, target.id);
  const vals = Object.fromEntries(put.body.attributes.map((a) => [a.objectTypeAttributeId, a.objectAttributeValues[0].value]));
  assert.equal(vals["91"], "712020:new");
  assert.equal(vals["88"], target.attributes.Email);
  const after = state().assets.objects.find((o) => o.id === target.id).attributes;
  assert.deepEqual(after, { ...target.attributes, "Portal Account": "712020:new" });
  const got = await call("GET", `${ws()}/object/${target.id}`);
  assert.deepEqual(got.body.attributes, put.body.attributes);
  const bad = await call("PUT", `${ws()}/object/${target.id}`, { attributes: [{ objectTypeAttributeId: "999", objectAttributeValues: [{ value: "x" }] }] });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { errorMessages: ["ObjectTypeAttribute with id 999 does not exist on object type Customer"], errors: {} });
  const other = await call("PUT", `${ws()}/object/${target.id}`, { attributes: [{ objectTypeAttributeId: "12", objectAttributeValues: [{ value: "x" }] }] });
  assert.equal(other.status, 400);
  const missing = await call("GET", `${ws()}/object/99999`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { errorMessages: ["Object with id 99999 was not found"], errors: {} });
  assert.equal((await call("PUT", `${ws()}/object/99999`, { attributes: [] })).status, 404);
});

test("unknown workspace is 404; object type attributes and schema list", async () => {
  const r = await call("POST", "/jsm/assets/workspace/nope/v1/object/aql", { qlQuery: "objectTypeId = 4" });
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { errorMessages: ["Workspace nope not found"], errors: {} });
  const attrs = await call("GET", `${ws()}/objecttype/4/attributes`);
  assert.deepEqual(attrs.body.map((a) => [a.id, a.name]),
    [["87", "Name"], ["88", "Email"], ["89", "Company"], ["90", "Xboarding"], ["91", "Portal Account"]]);
  assert.equal((await call("GET", `${ws()}/objecttype/77/attributes`)).status, 404);
  const schemas = await call("GET", `${ws()}/objectschema/list`);
  assert.equal(schemas.body.total, 1);
  assert.equal(schemas.body.values[0].id, "1");
  assert.equal(schemas.body.values[0].objectSchemaKey, "CUS");
});

// --- admin gateway ---------------------------------------------------------------------------------

test("local-servicedesk-user lists active portal-only customers, paged by start-index/max-results", async () => {
  const all = state().users.filter((u) => u.accountType === "customer" && u.active);
  const p1 = await call("GET", `${admin()}/local-servicedesk-user?active-filter=active&start-index=0&max-results=20`);
  const p2 = await call("GET", `${admin()}/local-servicedesk-user?active-filter=active&start-index=20&max-results=20`);
  assert.equal(p1.status, 200);
  assert.deepEqual(Object.keys(p1.body), ["localCustomers"]);
  const got = [...p1.body.localCustomers, ...p2.body.localCustomers];
  assert.equal(got.length, all.length);
  assert.equal(all.length, 38);
  assert.deepEqual(got[0], { username: all[0].accountId, emailAddress: all[0].emailAddress, displayName: all[0].displayName, active: true });
  const inactive = await call("GET", `${admin()}/local-servicedesk-user?active-filter=inactive&start-index=0&max-results=50`);
  assert.deepEqual(inactive.body.localCustomers.map((c) => c.emailAddress), ["former.customer@acme.example"]);
  const site = await call("GET", "/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user?max-results=5");
  assert.equal(site.body.localCustomers.length, 5);
  const wrong = await call("GET", "/gateway/api/ex/jira/wrong/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user");
  assert.equal(wrong.status, 404);
  assert.deepEqual(wrong.body, { errorMessages: ["Site wrong not found"], errors: {} });
});

test("migrate: new Atlassian account, qm id gone, out of localCustomers, logged; repeat is 400", async () => {
  const c = linked("ACME")[0];
  const qm = c.attributes["Portal Account"];
  const r = await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${qm.replaceAll(":", "%3A")}`);
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body), ["aaUser"]);
  const { accountId, emailAddress, displayName } = r.body.aaUser;
  assert.match(accountId, /^712020:[0-9a-f-]{36}$/);
  assert.equal(emailAddress, c.attributes.Email);
  assert.equal(displayName, c.attributes.Name);
  assert.equal((await call("GET", `/rest/api/3/user?accountId=${encodeURIComponent(qm)}`)).status, 404);
  const user = await call("GET", `/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`);
  assert.equal(user.body.accountType, "atlassian");
  assert.equal(user.body.emailAddress, c.attributes.Email);
  const list = await call("GET", `${admin()}/local-servicedesk-user?start-index=0&max-results=100`);
  assert.ok(!list.body.localCustomers.some((x) => x.username === qm));
  const again = await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${qm}`);
  assert.equal(again.status, 400);
  assert.deepEqual(again.body, { errorMessages: [`${qm} is not a local customer`], errors: {} });
  const log = state().migrations;
  assert.equal(log.length, 1);
  assert.deepEqual([log[0].qmId, log[0].accountId, log[0].linked], [qm, accountId, false]);
});

test("migrate: an Atlassian account id is not a local customer (400); an unknown qm id is 404", async () => {
  const adminId = state().users[0].accountId;
  const r = await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${adminId}`);
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errorMessages: [`${adminId} is not a local customer`], errors: {} });
  const unknown = "qm:00000000-0000-4000-8000-000000000000:000000000000000000000000";
  const n = await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${unknown}`);
  assert.equal(n.status, 404);
  assert.deepEqual(n.body, { errorMessages: [`No local customer found with id ${unknown}`], errors: {} });
});

test("migrate links to an existing Atlassian account with the same email", async () => {
  const c = linked("INITECH")[0];
  const made = await ctl("POST", "users", { email: c.attributes.Email.toUpperCase(), displayName: "Existing" });
  assert.equal(made.status, 201);
  const r = await call("PUT", `/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user/migrate-to-atlassian-account-user/${c.attributes["Portal Account"]}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.aaUser.accountId, made.body.accountId);
  assert.equal(state().migrations[0].linked, true);
  const holders = state().users.filter((u) => u.emailAddress.toLowerCase() === c.attributes.Email);
  assert.deepEqual(holders.map((u) => [u.accountId, u.accountType]), [[made.body.accountId, "atlassian"]]);
});

test("bulk migrate: more than 1000 ids is 400; otherwise synchronous, {} body, non-local ids ignored", async () => {
  const many = Array.from({ length: 1001 }, (_, i) => `qm:x:${i}`);
  const big = await call("PUT", `${admin()}/local-servicedesk-user/bulk-migrate-to-atlassian-account`, { customerAccountIds: many });
  assert.equal(big.status, 400);
  assert.deepEqual(big.body, { errorMessages: ["customerAccountIds must contain at most 1000 ids, got 1001"], errors: {} });
  const ids = linked("GLOBEX").map((o) => o.attributes["Portal Account"]);
  const r = await call("PUT", `${admin()}/local-servicedesk-user/bulk-migrate-to-atlassian-account`,
    { customerAccountIds: [...ids, "qm:unknown", state().users[0].accountId] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {});
  assert.deepEqual(state().migrations.map((m) => m.qmId), ids);
  const bad = await call("PUT", `${admin()}/local-servicedesk-user/bulk-migrate-to-atlassian-account`, { ids: [] });
  assert.equal(bad.status, 400);
});

// --- Jira users ------------------------------------------------------------------------------------

test("user lookup: User shape, 404 for unknown, accountId required", async () => {
  const qm = linked("ACME")[0].attributes["Portal Account"];
  const r = await call("GET", `/rest/api/3/user?accountId=${encodeURIComponent(qm)}`);
  assert.equal(r.status, 200);
  for (const k of ["self", "accountId", "accountType", "emailAddress", "avatarUrls", "displayName", "active", "timeZone", "locale"]) {
    assert.ok(k in r.body, k);
  }
  assert.equal(r.body.accountType, "customer");
  const missing = await call("GET", "/rest/api/3/user?accountId=nobody");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { errorMessages: ["Specified user does not exist or you do not have required permissions"], errors: {} });
  assert.equal((await call("GET", "/rest/api/3/user")).status, 400);
});

test("user search: bare array, case-insensitive prefix on email or name, active only, query+accountId is 400", async () => {
  const c = linked("GLOBEX")[0];
  const r = await call("GET", `/rest/api/3/user/search?query=${encodeURIComponent(c.attributes.Email.toUpperCase())}`);
  assert.equal(r.status, 200);
  assert.ok(Array.isArray(r.body));
  assert.deepEqual(r.body.map((u) => u.accountId), [c.attributes["Portal Account"]]);
  const byName = await call("GET", `/rest/api/3/user/search?query=${encodeURIComponent(c.attributes.Name.split(" ")[1].toLowerCase())}`);
  assert.ok(byName.body.some((u) => u.accountId === c.attributes["Portal Account"]));
  const inactive = await call("GET", "/rest/api/3/user/search?query=former.customer");
  assert.deepEqual(inactive.body, []);
  const both = await call("GET", "/rest/api/3/user/search?query=a&accountId=b");
  assert.equal(both.status, 400);
  assert.deepEqual(both.body, { errorMessages: ["The 'query' and 'accountId' query parameters cannot be used together."], errors: {} });
  const bulk = await call("GET", `/rest/api/3/user/bulk?accountId=${encodeURIComponent(c.attributes["Portal Account"])}&accountId=zzz`);
  assert.equal(bulk.body.total, 1);
  assert.equal(bulk.body.isLast, true);
});

// --- groups ----------------------------------------------------------------------------------------

test("group add: 201 Group, duplicate 400 with the exact message, unknown group/user 404, missing params 400", async () => {
  const g = group("portal-migrated");
  const adminId = state().users[0].accountId;
  const r = await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: adminId });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, {
    name: "portal-migrated", groupId: g.groupId, self: `${sim.url}/rest/api/3/group?groupId=${g.groupId}`,
    users: { size: 1, items: [], "max-results": 50, "start-index": 0, "end-index": 0 }, expand: "users",
  });
  const dup = await call("POST", "/rest/api/3/group/user?groupname=portal-migrated", { accountId: adminId });
  assert.equal(dup.status, 400);
  assert.deepEqual(dup.body, { errorMessages: ["Cannot add user. User is already a member of 'portal-migrated'"], errors: {} });
  const noGroup = await call("POST", "/rest/api/3/group/user?groupId=00000000-0000-4000-8000-000000000000", { accountId: adminId });
  assert.equal(noGroup.status, 404);
  assert.deepEqual(noGroup.body, { errorMessages: ["Specified group does not exist."], errors: {} });
  const noUser = await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: "nobody" });
  assert.equal(noUser.status, 404);
  assert.deepEqual(noUser.body, { errorMessages: ["Specified user does not exist or you do not have required permissions"], errors: {} });
  assert.equal((await call("POST", "/rest/api/3/group/user", { accountId: adminId })).status, 400);
  assert.equal((await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, {})).status, 400);
  assert.deepEqual(group("portal-migrated").members, [adminId]);
});

test("group member, bulk and picker", async () => {
  const g = group("site-admins");
  const m = await call("GET", `/rest/api/3/group/member?groupId=${g.groupId}&maxResults=500`);
  assert.equal(m.status, 200);
  assert.equal(m.body.maxResults, 50);
  assert.equal(m.body.total, 1);
  assert.equal(m.body.isLast, true);
  assert.equal(m.body.values[0].accountType, "atlassian");
  const b = await call("GET", "/rest/api/3/group/bulk?groupName=portal-migrated");
  assert.deepEqual(b.body.values, [{ groupId: group("portal-migrated").groupId, name: "portal-migrated" }]);
  assert.equal(b.body.isLast, true);
  const p = await call("GET", "/rest/api/3/groups/picker?query=guest");
  assert.equal(p.body.total, 1);
  assert.deepEqual(p.body.groups[0], { name: "confluence-guests", groupId: group("confluence-guests").groupId, html: "confluence-<b>guest</b>s", labels: [] });
});

test("a freshly migrated account is invisible to group add and space grants during propagationDelayMs", async () => {
  await ctl("POST", "settings", { propagationDelayMs: 300 });
  const qm = linked("ACME")[1].attributes["Portal Account"];
  const id = (await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${qm}`)).body.aaUser.accountId;
  const g = group("portal-migrated");
  const early = await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: id });
  assert.equal(early.status, 404);
  const grant = await call("POST", "/wiki/rest/api/space/ACME/permission", { subject: { type: "user", identifier: id }, operation: { key: "read", target: "space" } });
  assert.equal(grant.status, 404);
  assert.equal(grant.body.message, `com.atlassian.confluence.api.service.exceptions.NotFoundException: User not found: ${id}`);
  await new Promise((r) => setTimeout(r, 320));
  assert.equal((await call("POST", `/rest/api/3/group/user?groupId=${g.groupId}`, { accountId: id })).status, 201);
});

// --- Confluence ------------------------------------------------------------------------------------

const grant = (key, identifier, op = ["read", "space"], type = "user") =>
  call("POST", `/wiki/rest/api/space/${key}/permission`, { subject: { type, identifier }, operation: { key: op[0], target: op[1] } });

function envelope(status, text) {
  return {
    statusCode: status,
    data: { authorized: false, valid: true, allowedInReadOnlyMode: true, errors: [{ message: { key: undefined, args: undefined, translation: text } }], successful: false },
    message: `com.atlassian.confluence.api.service.exceptions.${status === 404 ? "NotFoundException" : "BadRequestException"}: ${text}`,
    reason: status === 404 ? "Not Found" : "Bad Request",
  };
}
function assertEnvelope(r, status, text) {
  assert.equal(r.status, status);
  const want = envelope(status, text);
  const got = structuredClone(r.body);
  delete got.data.errors[0].message.key;
  delete got.data.errors[0].message.args;
  delete want.data.errors[0].message.key;
  delete want.data.errors[0].message.args;
  assert.deepEqual(got, want);
}

test("spaces: v2 lookup by key, v1 space, 404 for unknown", async () => {
  const v2 = await call("GET", "/wiki/api/v2/spaces?keys=GLX");
  assert.equal(v2.status, 200);
  assert.equal(v2.body.results.length, 1);
  const s = v2.body.results[0];
  assert.deepEqual([s.key, s.name, s.type, s.status, typeof s.id], ["GLX", "Globex", "global", "current", "string"]);
  assert.ok("_links" in v2.body);
  const v1 = await call("GET", "/wiki/rest/api/space/GLX");
  assert.equal(v1.body.id, Number(s.id));
  assertEnvelope(await call("GET", "/wiki/rest/api/space/NOPE"), 404, "No space with key : NOPE");
});

test("space permission: 200 SpacePermissionV2, duplicate 400, non-read before read 400, invalid pair 400, unknown space 404", async () => {
  const c = linked("ACME")[2];
  const id = (await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${c.attributes["Portal Account"]}`)).body.aaUser.accountId;
  assertEnvelope(await grant("ACME", id, ["create", "page"]), 400,
    "Cannot grant create page: the subject does not have the read space permission; grant read space first");
  const ok = await grant("ACME", id);
  assert.equal(ok.status, 200);
  assert.equal(typeof ok.body.id, "number");
  assert.deepEqual(ok.body.subject, { type: "user", identifier: id });
  assert.deepEqual(ok.body.operation, { key: "read", target: "space" });
  assert.ok(ok.body._links);
  assertEnvelope(await grant("ACME", id), 400, "Permission already exists: read space for this subject");
  assert.equal((await grant("ACME", id, ["create", "page"])).status, 200);
  assertEnvelope(await grant("ACME", id, ["administer", "page"]), 400, "Invalid operation: key 'administer' with target 'page' is not a valid permission");
  assertEnvelope(await grant("NOPE", id), 404, "No space with key : NOPE");
  const g = group("confluence-guests");
  assert.equal((await grant("ACME", g.groupId, ["read", "space"], "group")).status, 200);
  assertEnvelope(await grant("ACME", "no-such-group", ["read", "space"], "group"), 400, "No group found with identifier: no-such-group");
  const sp = state().spaces.find((x) => x.key === "ACME");
  const list = await call("GET", `/wiki/api/v2/spaces/${sp.id}/permissions`);
  assert.deepEqual(list.body.results.filter((p) => p.principal.id === id).map((p) => p.operation), [
    { key: "read", targetType: "space" }, { key: "create", targetType: "page" }]);
});

test("a guest with another assigned space cannot be granted this one; the message names the other space", async () => {
  const c = linked("GLOBEX")[0];
  const id = (await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${c.attributes["Portal Account"]}`)).body.aaUser.accountId;
  assert.equal((await ctl("POST", "users/guest", { accountId: id, space: "ACME" })).status, 200);
  assertEnvelope(await grant("GLX", id), 400, "Cannot grant space permission: guest already has a space assigned: ACME");
  assert.equal((await grant("ACME", id)).status, 200);
  assertEnvelope(await grant("ACME", id, ["administer", "space"]), 400, "Guests cannot be granted administer space");
  assert.deepEqual(state().guests, [{ accountId: id, email: c.attributes.Email, space: "ACME" }]);
  // A guest with no space gets the first space it is granted.
  const other = linked("GLOBEX")[1];
  const id2 = (await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${other.attributes["Portal Account"]}`)).body.aaUser.accountId;
  await ctl("POST", "users/guest", { email: other.attributes.Email, space: null });
  assert.equal((await grant("GLX", id2)).status, 200);
  assertEnvelope(await grant("INI", id2), 400, "Cannot grant space permission: guest already has a space assigned: GLX");
});

test("cgraphql updateSpacePermissions: 200 with success, or 200 with errors on failure", async () => {
  const c = linked("INITECH")[0];
  const id = (await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${c.attributes["Portal Account"]}`)).body.aaUser.accountId;
  const op = (spaceKey) => [{
    operationName: "UpdateSpacePermissionsPrincipals",
    variables: { spaceKey, subjectPermissionDeltasList: [{ subjectKeyInput: { permissionDisplayType: "GUEST_USER", subjectId: id }, permissionsToAdd: ["CREATE_PAGE", "VIEW_SPACE"], permissionsToRemove: [] }] },
    query: "mutation UpdateSpacePermissionsPrincipals(...) { updateSpacePermissions(...) { success errors { message } } }",
  }];
  const ok = await call("POST", "/cgraphql?q=UpdateSpacePermissionsPrincipals", op("INI"));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, [{ data: { updateSpacePermissions: { success: true, errors: [] } } }]);
  const again = await call("POST", "/cgraphql", op("INI"));
  assert.equal(again.body[0].data.updateSpacePermissions.success, true);
  await ctl("POST", "users/guest", { accountId: id, space: "INI" });
  const fail = await call("POST", "/cgraphql", op("ACME"));
  assert.equal(fail.status, 200);
  assert.equal(fail.body[0].data.updateSpacePermissions.success, false);
  assert.equal(fail.body[0].errors[0].message, "Cannot grant space permission: guest already has a space assigned: INI");
  const other = await call("POST", "/cgraphql", [{ operationName: "GuestDataQuery", variables: {}, query: "query GuestDataQuery {}" }]);
  assert.equal(other.status, 501);
});

// --- issues and comments ---------------------------------------------------------------------------

const adf = (text) => ({ type: "doc", version: 1, content: [{ type: "paragraph", content: [{ type: "text", text }] }] });

test("comments: 201 Comment; jsdPublic false only with sd.public.comment internal; list; 404 for unknown issue", async () => {
  const pub = await call("POST", "/rest/api/3/issue/SUP-1/comment", { body: adf("hello") });
  assert.equal(pub.status, 201);
  assert.equal(pub.body.jsdPublic, true);
  assert.equal(pub.body.author.accountId, state().users[0].accountId);
  assert.deepEqual(pub.body.body, adf("hello"));
  for (const k of ["self", "id", "created", "updated"]) assert.ok(k in pub.body, k);
  const internal = await call("POST", "/rest/api/3/issue/SUP-1/comment",
    { body: adf("note"), properties: [{ key: "sd.public.comment", value: { internal: true } }] });
  assert.equal(internal.body.jsdPublic, false);
  assert.deepEqual(internal.body.properties, [{ key: "sd.public.comment", value: { internal: true } }]);
  const notInternal = await call("POST", "/rest/api/3/issue/SUP-1/comment",
    { body: adf("x"), properties: [{ key: "sd.public.comment", value: { internal: false } }] });
  assert.equal(notInternal.body.jsdPublic, true);
  const list = await call("GET", "/rest/api/3/issue/SUP-1/comment");
  assert.deepEqual([list.body.startAt, list.body.maxResults, list.body.total], [0, 100, 3]);
  assert.deepEqual(list.body.comments.map((c) => c.jsdPublic), [true, false, true]);
  assert.deepEqual(state().comments["SUP-1"].map((c) => c.jsdPublic), [true, false, true]);
  const missing = await call("POST", "/rest/api/3/issue/NOPE-9/comment", { body: adf("x") });
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { errorMessages: ["Issue does not exist or you do not have permission to see it."], errors: {} });
  const empty = await call("POST", "/rest/api/3/issue/SUP-1/comment", {});
  assert.deepEqual([empty.status, empty.body], [400, { errorMessages: [], errors: { comment: "Comment body can not be empty!" } }]);
  assert.equal((await call("POST", "/rest/api/3/issue/SUP-1/comment", { body: "plain" })).status, 400);
});

test("issue reporter is a portal customer; after migration it follows the new account", async () => {
  const r = await call("GET", "/rest/api/3/issue/SUP-2?fields=reporter");
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body.fields), ["reporter"]);
  const rep = r.body.fields.reporter;
  assert.equal(rep.accountType, "customer");
  assert.match(rep.accountId, /^qm:/);
  for (const k of ["accountId", "emailAddress", "displayName", "accountType"]) assert.ok(k in rep, k);
  const moved = await call("PUT", `${admin()}/local-servicedesk-user/migrate-to-atlassian-account-user/${rep.accountId}`);
  const after = await call("GET", "/rest/api/3/issue/SUP-2?fields=reporter");
  assert.equal(after.body.fields.reporter.accountId, moved.body.aaUser.accountId);
  assert.equal(after.body.fields.reporter.accountType, "atlassian");
  assert.equal((await call("GET", "/rest/api/3/issue/SUP-99")).status, 404);
});

// --- fallback and host forms -----------------------------------------------------------------------

test("anything unmatched is 501 naming method and path", async () => {
  const r = await call("PUT", "/rest/api/3/nothing/here");
  assert.equal(r.status, 501);
  assert.deepEqual(r.body, { errorMessages: ["no simulator route for PUT /rest/api/3/nothing/here"], errors: {} });
});

test("the api.atlassian.com /ex/jira/{cloudId} form serves the same routes; a wrong cloudId is 404", async () => {
  const ok = await call("POST", `/ex/jira/${state().cloudId}${ws()}/object/aql`, { qlQuery: "objectTypeId = 1" });
  assert.equal(ok.body.total, 3);
  assert.equal((await call("GET", "/ex/jira/wrong/rest/api/3/user?accountId=x")).status, 404);
});
