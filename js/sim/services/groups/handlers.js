// Jira groups: parse and serialise only.
import { reply, intParam, boolParam } from "../../http.js";
import { userJson } from "../users/handlers.js";

const ref = (query) => ({ groupId: query.get("groupId"), groupname: query.get("groupname") ?? query.get("groupName") });
const groupSelf = (base, g) => `${base}/rest/api/3/group?groupId=${encodeURIComponent(g.groupId)}`;

export function addGroupMember({ tenant, query, json, caller }) {
  const g = tenant.groups.addMember(ref(query), json()?.accountId, caller.accountId);
  return reply(201, {
    name: g.name, groupId: g.groupId, self: groupSelf(tenant.baseUrl, g),
    users: { size: g.members.size, items: [], "max-results": 50, "start-index": 0, "end-index": 0 },
    expand: "users",
  });
}

export function removeGroupMember({ tenant, query }) {
  tenant.groups.removeMember(ref(query), query.get("accountId"));
  return reply(200, null);
}

export function groupMembers({ tenant, query, url }) {
  const g = tenant.groups.resolve(ref(query));
  const startAt = intParam(query, "startAt", 0, 0);
  const maxResults = intParam(query, "maxResults", 50, 1, 50);
  const all = tenant.groups.members(g, boolParam(query, "includeInactiveUsers", false));
  const values = all.slice(startAt, startAt + maxResults).map((u) => {
    const { locale, ...rest } = userJson(u, tenant);
    return rest;
  });
  const isLast = startAt + values.length >= all.length;
  const body = { self: `${tenant.baseUrl}${url}`, maxResults, startAt, total: all.length, isLast, values };
  if (!isLast) {
    const next = new URLSearchParams(query);
    next.set("startAt", String(startAt + values.length));
    body.nextPage = `${tenant.baseUrl}/rest/api/3/group/member?${next}`;
  }
  return reply(200, body);
}

export function groupBulk({ tenant, query, url }) {
  const names = query.getAll("groupName").map((n) => n.toLowerCase());
  const ids = query.getAll("groupId");
  const startAt = intParam(query, "startAt", 0, 0);
  const maxResults = intParam(query, "maxResults", 50, 1, 1000);
  const all = tenant.groups.all().filter((g) =>
    (names.length === 0 && ids.length === 0) || names.includes(g.name.toLowerCase()) || ids.includes(g.groupId));
  const values = all.slice(startAt, startAt + maxResults).map((g) => ({ groupId: g.groupId, name: g.name }));
  const isLast = startAt + values.length >= all.length;
  return reply(200, { self: `${tenant.baseUrl}${url}`, maxResults, startAt, total: all.length, isLast, values });
}

const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

export function groupsPicker({ tenant, query }) {
  const q = (query.get("query") ?? "").toLowerCase();
  const maxResults = intParam(query, "maxResults", 20, 0, 1000);
  const matches = tenant.groups.all().filter((g) => g.name.toLowerCase().includes(q));
  const groups = matches.slice(0, maxResults).map((g) => {
    const at = g.name.toLowerCase().indexOf(q);
    const html = q === "" ? escapeHtml(g.name)
      : escapeHtml(g.name.slice(0, at)) + "<b>" + escapeHtml(g.name.slice(at, at + q.length)) + "</b>" + escapeHtml(g.name.slice(at + q.length));
    return { name: g.name, groupId: g.groupId, html, labels: [] };
  });
  return reply(200, { header: `Showing ${groups.length} of ${matches.length} matching groups`, total: matches.length, groups });
}
