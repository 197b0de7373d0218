// Assets: one workspace, one schema, object types with attributes, objects indexed by type and by
// attribute value so AQL over 10k objects stays cheap.
import { parse, test } from "./aql.js";
import * as E from "./errors.js";

export const DEFAULT_TYPES = { 0: "Text", 2: "Boolean", 8: "Email" };

/** The demo schema: Company (type "1") and Customer (type "4"); attribute ids unique in the workspace. */
const SCHEMA_TYPES = [
  { id: "1", name: "Company", attributes: [["10", "Name", 0], ["11", "Key", 0], ["12", "Confluence Space", 0]] },
  {
    id: "4", name: "Customer",
    attributes: [["87", "Name", 0], ["88", "Email", 8], ["89", "Company", 0], ["90", "Xboarding", 2], ["91", "Portal Account", 0]],
  },
];

const lc = (s) => String(s).toLowerCase();
const sizeOf = (c) => (Array.isArray(c) ? c.length : c.size);

export class AssetsStore {
  constructor(tenant, workspaceId) {
    this.t = tenant;
    this.workspaceId = workspaceId;
    this.schema = { id: "1", name: "Customers", objectSchemaKey: "CUS" };
    this.types = new Map(); // id -> {id, name, position, attributes: [def]}
    this.attrs = new Map(); // attr id -> def {id, name, typeId, defaultType, label, position}
    this.attrsByName = new Map(); // lower name -> [def]
    this.objects = new Map(); // id -> object
    this.byType = new Map(); // type id -> [object] in id order
    this.index = new Map(); // "name\0value" (lower) -> Set(object)
    this.nextSeq = 1;
  }

  seedSchema() {
    SCHEMA_TYPES.forEach((ty, position) => {
      const type = { id: ty.id, name: ty.name, position, attributes: [] };
      ty.attributes.forEach(([id, name, defaultType], i) => {
        const def = { id, name, typeId: ty.id, defaultType, label: name === "Name", position: i };
        type.attributes.push(def);
        this.attrs.set(id, def);
        const key = lc(name);
        if (!this.attrsByName.has(key)) this.attrsByName.set(key, []);
        this.attrsByName.get(key).push(def);
      });
      this.types.set(ty.id, type);
      this.byType.set(ty.id, []);
    });
  }

  addObject(typeId, byName, time) {
    const type = this.types.get(typeId);
    const seq = this.nextSeq++;
    const obj = { id: String(seq), seq, typeId, objectKey: `${this.schema.objectSchemaKey}-${seq}`, created: time, updated: time, values: new Map() };
    this.objects.set(obj.id, obj);
    this.byType.get(typeId).push(obj);
    for (const def of type.attributes) {
      const v = byName[def.name];
      if (v !== undefined && v !== null && v !== "") this.setValues(obj, def, [String(v)]);
    }
    return obj;
  }

  setValues(obj, def, values) {
    for (const old of obj.values.get(def.id) ?? []) this.index.get(`${lc(def.name)}\0${lc(old)}`)?.delete(obj);
    if (values.length === 0) obj.values.delete(def.id);
    else obj.values.set(def.id, values);
    for (const v of values) {
      const key = `${lc(def.name)}\0${lc(v)}`;
      if (!this.index.has(key)) this.index.set(key, new Set());
      this.index.get(key).add(obj);
    }
  }

  get(id) {
    const obj = this.objects.get(String(id));
    if (!obj) throw E.objectNotFound(id);
    return obj;
  }

  type(id) {
    const ty = this.types.get(String(id));
    if (!ty) throw E.objectTypeNotFound(id);
    return ty;
  }

  label(obj) {
    const def = this.types.get(obj.typeId).attributes.find((a) => a.label);
    return obj.values.get(def?.id)?.[0] ?? "";
  }

  /** A condition's getter: the object's values for the named attribute (lower-cased). */
  getter(cond) {
    const name = lc(cond.attr);
    const schema = this.schema;
    switch (name) {
      case "objecttypeid": return (o) => [o.typeId];
      case "objecttype": return (o) => [lc(this.types.get(o.typeId).name)];
      case "objectid": return (o) => [o.id];
      case "objectkey": return (o) => [lc(o.objectKey)];
      case "objectschemaid": return () => [schema.id];
      case "objectschema": return () => [lc(schema.name)];
      default: {
        const defs = this.attrsByName.get(name);
        if (!defs) throw E.aqlUnknownAttribute(cond.attr);
        const byType = new Map(defs.map((d) => [d.typeId, d.id]));
        return (o) => (o.values.get(byType.get(o.typeId)) ?? []).map(lc);
      }
    }
  }

  /** Compile the AST into a predicate (validating every attribute name). */
  compile(node) {
    if (node.type === "and") {
      const parts = node.parts.map((p) => this.compile(p));
      return (o) => parts.every((p) => p(o));
    }
    if (node.type === "or") {
      const parts = node.parts.map((p) => this.compile(p));
      return (o) => parts.some((p) => p(o));
    }
    const get = this.getter(node);
    const want = node.values.map(lc);
    return (o) => test(node.op, get(o), want);
  }

  /** Candidate objects for a node (a superset of its matches: an array or a Set), or null for "all". */
  candidates(node) {
    if (node.type === "and") {
      let best = null;
      for (const p of node.parts) {
        const c = this.candidates(p);
        if (c && (!best || sizeOf(c) < sizeOf(best))) best = c;
      }
      return best;
    }
    if (node.type === "or") {
      const out = new Set();
      for (const p of node.parts) {
        const c = this.candidates(p);
        if (!c) return null;
        for (const o of c) out.add(o);
      }
      return out;
    }
    if (node.op !== "=" && node.op !== "in") return null;
    const name = lc(node.attr);
    const want = node.values.map(lc);
    const out = new Set();
    if (name === "objecttypeid" || name === "objecttype") {
      const lists = [...this.types.values()].filter((ty) => want.includes(name === "objecttypeid" ? ty.id : lc(ty.name)))
        .map((ty) => this.byType.get(ty.id));
      if (lists.length === 1) return lists[0]; // already in id order; no copy
      for (const list of lists) for (const o of list) out.add(o);
      return out;
    }
    if (name === "objectid") {
      for (const v of want) if (this.objects.has(v)) out.add(this.objects.get(v));
      return out;
    }
    if (!this.attrsByName.has(name)) return null;
    for (const v of want) for (const o of this.index.get(`${name}\0${v}`) ?? []) out.add(o);
    return out;
  }

  /** All objects matching the AQL, in id order. */
  query(aql) {
    if (typeof aql !== "string" || aql.trim() === "") throw E.aqlRequired();
    const ast = parse(aql);
    const pred = this.compile(ast);
    const cands = this.candidates(ast);
    if (!cands) return [...this.objects.values()].filter(pred);
    const out = [...cands].filter(pred);
    if (!Array.isArray(cands)) out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /**
   * One page of AQL results under the tenant's paging rules (§3.2 doc example, §13). At most
   * `aqlPageCap` values come back whatever was asked; `startAt` is an offset. The answer reports the
   * page size used, or with `aqlEchoRequestedMax` the size requested (the "echo" reading); `isLast`
   * (and `last`) are booleans, or with `aqlIsLastString` the strings "true"/"false" as in the
   * documented example; `total` is left out with `aqlTotal: "absent"` (JIRAJS models no total).
   */
  page(matched, startAt, requested) {
    const s = this.t.settings;
    const size = Math.min(requested, s.aqlPageCap);
    const values = matched.slice(startAt, startAt + size);
    const last = startAt + values.length >= matched.length;
    const flag = s.aqlIsLastString ? String(last) : last;
    const out = { startAt, maxResults: s.aqlEchoRequestedMax ? requested : size };
    if (s.aqlTotal === "present") out.total = matched.length;
    return { ...out, isLast: flag, last: flag, values };
  }

  /**
   * PUT /object/{id}: only the listed attributes change; validated before anything is applied. With
   * `objectTypeIdRequired` (§14: public clients and Atlassian's object template send it) a missing
   * `objectTypeId` or one that is not the object's type is a 400 (messages assumed).
   */
  update(id, attributes, objectTypeId) {
    const obj = this.get(id);
    if (this.t.settings.objectTypeIdRequired) {
      if (objectTypeId === undefined || objectTypeId === null || objectTypeId === "") throw E.objectTypeIdRequired();
      if (String(objectTypeId) !== obj.typeId) throw E.objectTypeIdMismatch(obj.id, obj.typeId, objectTypeId);
    }
    if (!Array.isArray(attributes)) throw E.attributesRequired();
    const type = this.types.get(obj.typeId);
    const changes = attributes.map((a) => {
      const def = this.attrs.get(String(a?.objectTypeAttributeId));
      if (!def || def.typeId !== obj.typeId) throw E.attributeNotOnType(a?.objectTypeAttributeId, type.name);
      const values = (a.objectAttributeValues ?? []).map((v) => (v?.value === null || v?.value === undefined ? "" : String(v.value)))
        .filter((v) => v !== "");
      if (def.defaultType === 2) {
        for (const v of values) if (!/^(true|false)$/i.test(v)) throw E.badValue(def.name, v);
      }
      return [def, def.defaultType === 2 ? values.map(lc) : values];
    });
    for (const [def, values] of changes) this.setValues(obj, def, values);
    obj.updated = this.t.now();
    return obj;
  }
}
