import * as h from "./handlers.js";

export const routes = [
  { method: "GET", path: "/rest/api/3/user", name: "getUser", handler: h.getUser },
  { method: "GET", path: "/rest/api/3/user/search", name: "searchUsers", handler: h.searchUsers },
  { method: "GET", path: "/rest/api/3/user/bulk", name: "bulkUsers", handler: h.bulkUsers },
  { method: "GET", path: "/rest/api/3/myself", name: "myself", handler: h.myself },
  { method: "GET", path: "/rest/api/3/mypermissions", name: "myPermissions", handler: h.myPermissions },
];
