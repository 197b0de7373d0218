// JSM organizations: parse and serialise only. Paged DTO `{_expands,size,start,limit,isLastPage,_links,values}`
// (§3.1, §5); `limit` defaults to 50 (doc), its maximum is unknown (capped at 100, assumed).
import { reply, intParam } from "../../http.js";
import { avatarUrls } from "../users/handlers.js";

const api = (t) => `${t.baseUrl}/rest/servicedeskapi`;

function page(tenant, all, query, path) {
  const start = intParam(query, "start", 0, 0);
  const limit = intParam(query, "limit", 50, 1, 100);
  const values = all.slice(start, start + limit);
  const isLastPage = start + values.length >= all.length;
  const links = { self: `${tenant.baseUrl}${path}`, base: api(tenant), context: "" };
  const link = (s) => {
    const q = new URLSearchParams(query);
    q.set("start", String(s));
    q.set("limit", String(limit));
    return `${tenant.baseUrl}${path}?${q}`;
  };
  if (!isLastPage) links.next = link(start + values.length);
  if (start > 0) links.prev = link(Math.max(0, start - limit));
  return reply(200, { _expands: [], size: values.length, start, limit, isLastPage, _links: links, values });
}

const orgJson = (tenant, o) => ({ id: o.id, name: o.name, scimManaged: false, _links: { self: `${api(tenant)}/organization/${o.id}` } });

/** JSM `UserDTO` (Cloud: no name/key); email visibility as on the platform user routes. */
function customerJson(tenant, u) {
  const view = tenant.users.view(u);
  const rest = `${tenant.baseUrl}/rest/api/2/user?accountId=${encodeURIComponent(u.accountId)}`;
  const out = { accountId: u.accountId };
  if (view.emailAddress !== undefined) out.emailAddress = view.emailAddress;
  Object.assign(out, {
    displayName: view.displayName, active: u.active, timeZone: u.timeZone,
    _links: { jiraRest: rest, avatarUrls: avatarUrls(tenant.baseUrl, u.accountId), self: rest },
  });
  return out;
}

export function listOrganizations({ tenant, query, path }) {
  const orgs = tenant.organizations.list(query.get("accountId"));
  return page(tenant, orgs.map((o) => orgJson(tenant, o)), query, path);
}

export function getOrganization({ tenant, params }) {
  return reply(200, orgJson(tenant, tenant.organizations.get(params.organizationId)));
}

export function organizationUsers({ tenant, params, query, path }) {
  const o = tenant.organizations.get(params.organizationId);
  return page(tenant, tenant.organizations.members(o).map((u) => customerJson(tenant, u)), query, path);
}
