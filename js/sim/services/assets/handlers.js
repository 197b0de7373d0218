// Assets REST: parse and serialise only (shapes per SPEC-ASSETS; every id is a string).
import { reply, intParam, boolParam } from "../../http.js";
import { DEFAULT_TYPES } from "./store.js";
import * as E from "./errors.js";

export const AQL_DEFAULT_PAGE = 25; // inferred from the documented example (§3.2)

function store(tenant, params) {
  const s = tenant.assets;
  if (params.ws !== s.workspaceId) throw E.workspaceNotFound(params.ws);
  return s;
}

const iso = (ms) => new Date(ms).toISOString();
const apiBase = (tenant) => `${tenant.baseUrl}/jsm/assets/workspace/${tenant.assets.workspaceId}/v1`;

function typeJson(tenant, ty) {
  const ws = tenant.assets.workspaceId;
  const icon = `${tenant.baseUrl}/sim-icon/${ty.id}`;
  return {
    workspaceId: ws, globalId: `${ws}:${ty.id}`, id: ty.id, name: ty.name, type: 0, description: "",
    icon: { id: ty.id, name: ty.name, url16: `${icon}?size=16`, url48: `${icon}?size=48` },
    position: ty.position, created: "2024-01-15T09:00:00.000Z", updated: "2024-01-15T09:00:00.000Z",
    objectCount: tenant.assets.byType.get(ty.id).length, objectSchemaId: tenant.assets.schema.id,
    inherited: false, abstractObjectType: false, parentObjectTypeInherited: false,
  };
}

export function attrDefJson(tenant, def) {
  const ws = tenant.assets.workspaceId;
  return {
    workspaceId: ws, globalId: `${ws}:${def.id}`, id: def.id,
    objectType: typeJson(tenant, tenant.assets.types.get(def.typeId)),
    name: def.name, label: def.label, type: 0,
    defaultType: { id: def.defaultType, name: DEFAULT_TYPES[def.defaultType] },
    editable: true, system: false, sortable: true, summable: false, indexed: true,
    minimumCardinality: 0, maximumCardinality: 1, removable: !def.label, hidden: false,
    includeChildObjectTypes: false, uniqueAttribute: false, options: "", position: def.position,
  };
}

function attributeJson(tenant, obj, def, values) {
  const ws = tenant.assets.workspaceId;
  const id = String(obj.seq * 1000 + Number(def.id));
  return {
    workspaceId: ws, globalId: `${ws}:${id}`, id, objectTypeAttributeId: def.id,
    objectAttributeValues: values.map((v) => ({ value: v, displayValue: v, searchValue: v, referencedType: false })),
    objectId: obj.id,
  };
}

export function objectJson(tenant, obj, includeAttributes = true) {
  const s = tenant.assets;
  const ws = s.workspaceId;
  const ty = s.types.get(obj.typeId);
  const label = s.label(obj);
  const avatar = `${tenant.baseUrl}/sim-avatar/object/${obj.id}`;
  const attributes = !includeAttributes ? [] : ty.attributes.filter((d) => obj.values.has(d.id))
    .map((d) => attributeJson(tenant, obj, d, obj.values.get(d.id)));
  return {
    workspaceId: ws, globalId: `${ws}:${obj.id}`, id: obj.id, label, objectKey: obj.objectKey,
    avatar: {
      workspaceId: ws, globalId: `${ws}:${obj.id}`, url16: `${avatar}?size=16`, url48: `${avatar}?size=48`,
      url72: `${avatar}?size=72`, url144: `${avatar}?size=144`, url288: `${avatar}?size=288`, objectId: obj.id,
    },
    objectType: typeJson(tenant, ty), created: iso(obj.created), updated: iso(obj.updated), hasAvatar: false,
    timestamp: obj.updated, attributes, extendedInfo: { openIssuesExists: false, attachmentsExists: false },
    _links: { self: `${apiBase(tenant)}/object/${obj.id}` }, name: label,
  };
}

export function aql({ tenant, params, query, json }) {
  const s = store(tenant, params);
  const matched = s.query(json()?.qlQuery);
  const startAt = intParam(query, "startAt", 0, 0);
  const requested = intParam(query, "maxResults", AQL_DEFAULT_PAGE, 1);
  const include = boolParam(query, "includeAttributes", true);
  const { values, ...paging } = s.page(matched, startAt, requested);
  const typeIds = [...new Set(values.map((o) => o.typeId))];
  return reply(200, {
    ...paging,
    values: values.map((o) => objectJson(tenant, o, include)),
    objectTypeAttributes: typeIds.flatMap((id) => s.types.get(id).attributes.map((d) => attrDefJson(tenant, d))),
  });
}

export function aqlTotalCount({ tenant, params, json }) {
  return reply(200, { totalCount: store(tenant, params).query(json()?.qlQuery).length });
}

export function getObject({ tenant, params }) {
  return reply(200, objectJson(tenant, store(tenant, params).get(params.id)));
}

export function updateObject({ tenant, params, json }) {
  const body = json();
  const obj = store(tenant, params).update(params.id, body?.attributes, body?.objectTypeId);
  return reply(200, objectJson(tenant, obj));
}

export function getObjectAttributes({ tenant, params }) {
  const s = store(tenant, params);
  const obj = s.get(params.id);
  return reply(200, objectJson(tenant, obj).attributes.map((a) => ({
    ...a, objectTypeAttribute: attrDefJson(tenant, s.attrs.get(a.objectTypeAttributeId)),
  })));
}

export function getObjectType({ tenant, params }) {
  return reply(200, typeJson(tenant, store(tenant, params).type(params.id)));
}

export function objectTypeAttributes({ tenant, params }) {
  const ty = store(tenant, params).type(params.id);
  return reply(200, ty.attributes.map((d) => attrDefJson(tenant, d)));
}

/** `GET /objectschema/{id}/attributes` (§3.6): every attribute of every object type in the schema. */
export function objectSchemaAttributes({ tenant, params }) {
  const s = store(tenant, params);
  if (String(params.id) !== String(s.schema.id)) return reply(404, { errorMessages: [`No object schema with id ${params.id}`], errors: {} });
  return reply(200, [...s.types.values()].flatMap((ty) => ty.attributes.map((d) => attrDefJson(tenant, d))));
}

export function objectSchemaList({ tenant, params, query }) {
  const s = store(tenant, params);
  const startAt = intParam(query, "startAt", 0, 0);
  const maxResults = intParam(query, "maxResults", 25, 1, 100);
  const all = [{
    workspaceId: s.workspaceId, globalId: `${s.workspaceId}:${s.schema.id}`, id: s.schema.id, name: s.schema.name,
    objectSchemaKey: s.schema.objectSchemaKey, status: "Ok", description: "", created: "2024-01-15T09:00:00.000Z",
    updated: "2024-01-15T09:00:00.000Z", objectCount: s.objects.size, objectTypeCount: s.types.size,
  }];
  const values = all.slice(startAt, startAt + maxResults);
  return reply(200, { startAt, maxResults, total: all.length, isLast: startAt + values.length >= all.length, values });
}
