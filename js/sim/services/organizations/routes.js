import * as h from "./handlers.js";

export const routes = [
  { method: "GET", path: "/rest/servicedeskapi/organization", name: "listOrganizations", handler: h.listOrganizations },
  { method: "GET", path: "/rest/servicedeskapi/organization/{organizationId}", name: "getOrganization", handler: h.getOrganization },
  {
    method: "GET", path: "/rest/servicedeskapi/organization/{organizationId}/user",
    name: "organizationUsers", handler: h.organizationUsers,
  },
];
