// Jira users: parse and serialise only.
import { reply, intParam } from "../../http.js";
import * as E from "./errors.js";

export function avatarUrls(base, id) {
  const u = `${base}/sim-avatar/${encodeURIComponent(id)}`;
  return { "48x48": `${u}?s=48`, "24x24": `${u}?s=24`, "16x16": `${u}?s=16`, "32x32": `${u}?s=32` };
}

/** The `User` shape (also used for reporters, comment authors and group members). `emailAddress` is
 *  left out when hidden by profile visibility (see UsersStore.view). */
export function userJson(u, tenant, { own = false } = {}) {
  const base = tenant.baseUrl;
  const view = tenant.users.view(u, { own });
  const out = {
    self: `${base}/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}`,
    accountId: u.accountId,
    accountType: u.accountType,
  };
  if (view.emailAddress !== undefined) out.emailAddress = view.emailAddress;
  return Object.assign(out, {
    avatarUrls: avatarUrls(base, u.accountId),
    displayName: view.displayName,
    active: u.active,
    timeZone: u.timeZone,
    locale: u.locale,
  });
}

const expands = (query) => (query.get("expand") ?? "").split(",").map((e) => e.trim());

/** `groups` (SimpleListWrapperGroupName, doc): items `{name, groupId, self}` only when expanded. */
function groupsJson(tenant, accountId, expanded) {
  const groups = tenant.groups.groupsOf(accountId);
  const items = !expanded ? [] : groups.map((g) => ({
    name: g.name, groupId: g.groupId, self: `${tenant.baseUrl}/rest/api/3/group?groupId=${encodeURIComponent(g.groupId)}`,
  }));
  return { size: groups.length, items };
}

export function getUser({ tenant, query }) {
  const id = query.get("accountId");
  if (!id) throw E.accountIdRequired();
  const u = tenant.users.get(id);
  if (!u) throw E.userNotFound();
  return reply(200, {
    ...userJson(u, tenant),
    groups: groupsJson(tenant, id, expands(query).includes("groups")),
    applicationRoles: { size: 0, items: [] },
    expand: "groups,applicationRoles",
  });
}

export function searchUsers({ tenant, query }) {
  const q = query.get("query");
  const id = query.get("accountId");
  if (q !== null && id !== null) throw E.queryAndAccountId();
  if (q === null && id === null) throw E.searchNeedsQuery();
  const startAt = intParam(query, "startAt", 0, 0);
  const maxResults = intParam(query, "maxResults", 50, 0, 1000);
  let found;
  if (id !== null) {
    const u = tenant.users.get(id);
    found = u && u.active ? [u] : [];
  } else {
    found = tenant.users.search(q);
  }
  return reply(200, found.slice(startAt, startAt + maxResults).map((u) => userJson(u, tenant)));
}

export function bulkUsers({ tenant, query, url }) {
  const ids = query.getAll("accountId");
  if (ids.length === 0) throw E.accountIdRequired();
  const startAt = intParam(query, "startAt", 0, 0);
  const page = tenant.users.bulk(ids, startAt, intParam(query, "maxResults", 10, 1));
  const values = page.values.map((u) => userJson(u, tenant));
  const { isLast, maxResults } = page;
  const body = { self: `${tenant.baseUrl}${url}`, maxResults, startAt, total: page.users.length, isLast, values };
  if (!isLast) {
    const next = new URLSearchParams(query);
    next.set("startAt", String(startAt + values.length));
    body.nextPage = `${tenant.baseUrl}/rest/api/3/user/bulk?${next}`;
  }
  return reply(200, body);
}

/** `GET /rest/api/3/myself[?expand=groups,applicationRoles]`: the caller (documented). Without an
 *  expand the body is the plain `User`; `expand=groups` adds `groups {size, items:[{name, groupId, self}]}`. */
export function myself({ tenant, caller, query }) {
  const body = userJson(caller, tenant, { own: true });
  const wanted = expands(query);
  if (wanted.includes("groups")) body.groups = groupsJson(tenant, caller.accountId, true);
  if (wanted.includes("applicationRoles")) body.applicationRoles = { size: 0, items: [] };
  if (wanted.includes("groups") || wanted.includes("applicationRoles")) body.expand = "groups,applicationRoles";
  return reply(200, body);
}

/** `GET /rest/api/3/mypermissions?permissions=A,B` (documented): the caller's global permissions.
 *  The caller is in site-admins, so ADMINISTER (needed to add group members) is granted. */
export function myPermissions({ tenant, query, caller }) {
  const keys = (query.get("permissions") ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) throw E.permissionsRequired();
  const admin = tenant.groups.groupsOf(caller.accountId).some((g) => g.name === "site-admins");
  const permissions = {};
  for (const key of keys) permissions[key] = { key, type: "GLOBAL", havePermission: key === "ADMINISTER" ? admin : true };
  return reply(200, { permissions });
}
