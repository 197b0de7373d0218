import * as h from "./handlers.js";

export const routes = [
  { method: "GET", path: "/_edge/tenant_info", name: "tenantInfo", handler: h.getTenantInfo, noAuth: true },
  { method: "GET", path: "/rest/servicedeskapi/assets/workspace", name: "assetsWorkspace", handler: h.getAssetsWorkspace },
  { method: "GET", path: "/rest/servicedeskapi/insight/workspace", name: "insightWorkspace", handler: h.getAssetsWorkspace },
];
