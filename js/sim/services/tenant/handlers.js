// `_edge/tenant_info` and JSM Assets workspace discovery: parse and serialise only.
import { reply, intParam } from "../../http.js";
import { tenantInfo, workspaces } from "./store.js";

export function getTenantInfo({ tenant }) {
  return reply(200, tenantInfo(tenant));
}

/** JSM paged DTO (§3.1). */
export function getAssetsWorkspace({ tenant, query, path }) {
  const start = intParam(query, "start", 0, 0);
  const limit = intParam(query, "limit", 50, 1, 100);
  const all = workspaces(tenant);
  const values = all.slice(start, start + limit);
  const isLastPage = start + values.length >= all.length;
  const base = `${tenant.baseUrl}/rest/servicedeskapi`;
  const links = { base, context: "" };
  const rel = path.replace("/rest/servicedeskapi", "");
  if (!isLastPage) links.next = `${base}${rel}?start=${start + values.length}&limit=${limit}`;
  if (start > 0) links.prev = `${base}${rel}?start=${Math.max(0, start - limit)}&limit=${limit}`;
  return reply(200, { _expands: [], size: values.length, start, limit, isLastPage, _links: links, values });
}
