// Jira issues and comments: parse and serialise only.
import { reply, intParam, jiraTime } from "../../http.js";
import { userJson } from "../users/handlers.js";

function personJson(tenant, accountId) {
  const u = tenant.users.get(accountId);
  if (!u) return null;
  const { locale, ...rest } = userJson(u, tenant);
  return rest;
}

function commentJson(tenant, issue, c) {
  const out = {
    self: `${tenant.baseUrl}/rest/api/3/issue/${issue.id}/comment/${c.id}`,
    id: c.id,
    author: personJson(tenant, c.author),
    body: c.body,
    updateAuthor: personJson(tenant, c.author),
    created: jiraTime(c.created),
    updated: jiraTime(c.updated),
    jsdPublic: c.jsdPublic,
  };
  if (c.visibility) out.visibility = c.visibility;
  if (c.properties) out.properties = c.properties;
  return out;
}

export function addComment({ tenant, params, json, caller }) {
  const { issue, comment } = tenant.comments.addComment(params.issueIdOrKey, caller.accountId, json() ?? {});
  return reply(201, commentJson(tenant, issue, comment));
}

export function getComments({ tenant, params, query }) {
  const issue = tenant.comments.issue(params.issueIdOrKey);
  const startAt = intParam(query, "startAt", 0, 0);
  const maxResults = intParam(query, "maxResults", 100, 0, 5000);
  const all = [...issue.comments];
  if (query.get("orderBy") === "-created") all.reverse();
  const comments = all.slice(startAt, startAt + maxResults).map((c) => commentJson(tenant, issue, c));
  return reply(200, { startAt, maxResults, total: all.length, comments });
}

export function getIssue({ tenant, params, query }) {
  const issue = tenant.comments.issue(params.issueIdOrKey);
  const all = {
    summary: issue.summary,
    reporter: personJson(tenant, issue.reporter),
    project: { id: "10000", key: issue.key.split("-")[0], name: "Support", projectTypeKey: "service_desk" },
    issuetype: { id: "10001", name: "Service Request" },
    status: { id: "1", name: "Open" },
    created: jiraTime(issue.created),
  };
  const wanted = (query.get("fields") ?? "").split(",").map((f) => f.trim()).filter(Boolean);
  const fields = {};
  for (const [k, v] of Object.entries(all)) {
    if (wanted.length === 0 || wanted.includes(k) || wanted.includes("*all")) fields[k] = v;
  }
  return reply(200, {
    expand: "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
    id: issue.id, self: `${tenant.baseUrl}/rest/api/3/issue/${issue.id}`, key: issue.key, fields,
  });
}
