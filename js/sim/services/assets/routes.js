import * as h from "./handlers.js";

const P = "/jsm/assets/workspace/{ws}/v1";

export const routes = [
  { method: "POST", path: `${P}/object/aql`, name: "aql", handler: h.aql },
  { method: "POST", path: `${P}/object/aql/totalcount`, name: "aqlTotalCount", handler: h.aqlTotalCount },
  { method: "GET", path: `${P}/object/{id}`, name: "getObject", handler: h.getObject },
  { method: "PUT", path: `${P}/object/{id}`, name: "updateObject", handler: h.updateObject },
  { method: "GET", path: `${P}/object/{id}/attributes`, name: "getObjectAttributes", handler: h.getObjectAttributes },
  { method: "GET", path: `${P}/objecttype/{id}`, name: "getObjectType", handler: h.getObjectType },
  { method: "GET", path: `${P}/objecttype/{id}/attributes`, name: "objectTypeAttributes", handler: h.objectTypeAttributes },
  { method: "GET", path: `${P}/objectschema/{id}/attributes`, name: "objectSchemaAttributes", handler: h.objectSchemaAttributes },
  { method: "GET", path: `${P}/objectschema/list`, name: "objectSchemaList", handler: h.objectSchemaList },
];
