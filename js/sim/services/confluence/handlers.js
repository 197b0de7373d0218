// Confluence v1 / v2 and /cgraphql: parse and serialise only.
import { reply, intParam, jiraError } from "../../http.js";
import { updateSpacePermissions } from "./graphql.js";

const wiki = (t) => `${t.baseUrl}/wiki`;
const cursorOf = (offset) => Buffer.from(`offset:${offset}`).toString("base64url");
const offsetOf = (cursor) => {
  const m = /^offset:(\d+)$/.exec(Buffer.from(cursor ?? "", "base64url").toString());
  return m ? Number(m[1]) : 0;
};
const listParam = (query, name) => query.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

function cursorPage(tenant, items, query, path) {
  const limit = intParam(query, "limit", 25, 1, 250);
  const start = offsetOf(query.get("cursor"));
  const results = items.slice(start, start + limit);
  const links = { base: wiki(tenant) };
  const headers = {};
  if (start + results.length < items.length) {
    const next = new URLSearchParams(query);
    next.set("cursor", cursorOf(start + results.length));
    links.next = `${path}?${next}`;
    headers.link = `<${links.next}>; rel="next", <${links.base}>; rel="base"`;
  }
  return reply(200, { results, _links: links }, headers);
}

const spaceV2 = (s) => ({
  id: s.id, key: s.key, name: s.name, type: s.type, status: s.status, authorId: null, createdAt: "2024-01-15T09:00:00.000Z",
  homepageId: null, description: null, icon: null, _links: { webui: `/spaces/${s.key}` },
});

export function getSpacesV2({ tenant, query }) {
  const keys = listParam(query, "keys");
  const ids = listParam(query, "ids");
  const spaces = tenant.confluence.all().filter((s) =>
    (keys.length === 0 || keys.includes(s.key)) && (ids.length === 0 || ids.includes(s.id)));
  return cursorPage(tenant, spaces.map(spaceV2), query, "/wiki/api/v2/spaces");
}

export function getSpaceV1({ tenant, params }) {
  const s = tenant.confluence.space(params.spaceKey);
  return reply(200, {
    id: Number(s.id), key: s.key, name: s.name, type: s.type, status: s.status,
    _expandable: { settings: `/rest/api/space/${s.key}/settings`, metadata: "", operations: "", lookAndFeel: "", identifiers: "", permissions: "", icon: "", description: "", theme: "", history: "", homepage: "" },
    _links: { webui: `/spaces/${s.key}`, self: `${wiki(tenant)}/rest/api/space/${s.key}`, base: wiki(tenant), context: "/wiki" },
  });
}

export function addSpacePermission({ tenant, params, json }) {
  const body = json();
  const p = tenant.confluence.grant(params.spaceKey, body?.subject, body?.operation);
  return reply(200, {
    id: p.id, subject: p.subject, operation: p.operation,
    _links: { base: wiki(tenant), context: "/wiki", self: `${wiki(tenant)}/rest/api/space/${params.spaceKey}/permission/${p.id}` },
  });
}

export function removeSpacePermission({ tenant, params }) {
  tenant.confluence.revoke(params.spaceKey, params.id);
  return reply(204, null);
}

export function spacePermissionsV2({ tenant, params, query }) {
  const s = tenant.confluence.spaceById(params.id);
  const items = s.permissions.map((p) => ({
    id: String(p.id), principal: { type: p.subject.type, id: p.subject.identifier },
    operation: { key: p.operation.key, targetType: p.operation.target },
  }));
  return cursorPage(tenant, items, query, `/wiki/api/v2/spaces/${s.id}/permissions`);
}

export function cgraphql({ tenant, json, method, path }) {
  const body = json();
  const ops = Array.isArray(body) ? body : [body];
  const out = ops.map((op) => {
    const isUpdate = op?.operationName === "UpdateSpacePermissionsPrincipals" || /updateSpacePermissions\s*\(/.test(op?.query ?? "");
    if (!isUpdate) return null;
    return updateSpacePermissions(tenant.confluence, op.variables);
  });
  const unknown = ops.find((op, i) => out[i] === null);
  if (unknown !== undefined) {
    throw jiraError(501, [`no simulator route for ${method} ${path} operation ${unknown?.operationName ?? "(unnamed)"}`]);
  }
  return reply(200, Array.isArray(body) ? out : out[0]);
}
