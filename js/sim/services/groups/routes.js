import * as h from "./handlers.js";

export const routes = [
  { method: "POST", path: "/rest/api/3/group/user", name: "addGroupMember", handler: h.addGroupMember },
  { method: "DELETE", path: "/rest/api/3/group/user", name: "removeGroupMember", handler: h.removeGroupMember },
  { method: "GET", path: "/rest/api/3/group/member", name: "groupMembers", handler: h.groupMembers },
  { method: "GET", path: "/rest/api/3/group/bulk", name: "groupBulk", handler: h.groupBulk },
  { method: "GET", path: "/rest/api/3/groups/picker", name: "groupsPicker", handler: h.groupsPicker },
];
