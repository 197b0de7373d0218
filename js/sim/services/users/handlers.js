// Jira users: parse and serialise only.
import { reply, intParam } from "../../http.js";
import * as E from "./errors.js";

export function avatarUrls(base, id) {
  const u = `${base}/sim-avatar/${encodeURIComponent(id)}`;
  return { "48x48": `${u}?s=48`, "24x24": `${u}?s=24`, "16x16": `${u}?s=16`, "32x32": `${u}?s=32` };
}

/** The `User` shape (also used for reporters, comment authors and group members). */
export function userJson(u, base) {
  return {
    self: `${base}/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}`,
    accountId: u.accountId,
    accountType: u.accountType,
    emailAddress: u.emailAddress,
    avatarUrls: avatarUrls(base, u.accountId),
    displayName: u.displayName,
    active: u.active,
    timeZone: u.timeZone,
    locale: u.locale,
  };
}

export function getUser({ tenant, query }) {
  const id = query.get("accountId");
  if (!id) throw E.accountIdRequired();
  const u = tenant.users.get(id);
  if (!u) throw E.userNotFound();
  const groups = tenant.groups.groupsOf(id);
  return reply(200, {
    ...userJson(u, tenant.baseUrl),
    groups: { size: groups.length, items: [] },
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
  return reply(200, found.slice(startAt, startAt + maxResults).map((u) => userJson(u, tenant.baseUrl)));
}

export function bulkUsers({ tenant, query, url }) {
  const ids = query.getAll("accountId");
  if (ids.length === 0) throw E.accountIdRequired();
  const startAt = intParam(query, "startAt", 0, 0);
  const maxResults = intParam(query, "maxResults", 10, 1, 200);
  const users = ids.map((id) => tenant.users.get(id)).filter(Boolean);
  const values = users.slice(startAt, startAt + maxResults).map((u) => userJson(u, tenant.baseUrl));
  const isLast = startAt + values.length >= users.length;
  const body = { self: `${tenant.baseUrl}${url}`, maxResults, startAt, total: users.length, isLast, values };
  if (!isLast) {
    const next = new URLSearchParams(query);
    next.set("startAt", String(startAt + values.length));
    body.nextPage = `${tenant.baseUrl}/rest/api/3/user/bulk?${next}`;
  }
  return reply(200, body);
}

/** `GET /rest/api/3/myself`: the caller (documented). */
export function myself({ tenant, caller }) {
  return reply(200, userJson(caller, tenant.baseUrl));
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
