import * as h from "./handlers.js";

export const routes = [
  { method: "GET", path: "/rest/api/3/issue/{issueIdOrKey}", name: "getIssue", handler: h.getIssue },
  { method: "POST", path: "/rest/api/3/issue/{issueIdOrKey}/comment", name: "addComment", handler: h.addComment },
  { method: "GET", path: "/rest/api/3/issue/{issueIdOrKey}/comment", name: "getComments", handler: h.getComments },
];
