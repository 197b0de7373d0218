import * as h from "./handlers.js";

export const routes = [
  { method: "GET", path: "/wiki/api/v2/spaces", name: "getSpacesV2", handler: h.getSpacesV2 },
  { method: "GET", path: "/wiki/api/v2/spaces/{id}/permissions", name: "spacePermissionsV2", handler: h.spacePermissionsV2 },
  { method: "GET", path: "/wiki/rest/api/space/{spaceKey}", name: "getSpaceV1", handler: h.getSpaceV1 },
  { method: "POST", path: "/wiki/rest/api/space/{spaceKey}/permission", name: "addSpacePermission", handler: h.addSpacePermission },
  { method: "DELETE", path: "/wiki/rest/api/space/{spaceKey}/permission/{id}", name: "removeSpacePermission", handler: h.removeSpacePermission },
  { method: "POST", path: "/cgraphql", name: "cgraphql", handler: h.cgraphql },
];
