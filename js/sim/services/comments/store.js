// Jira issues (just key, summary, reporter) and their comments. `jsdPublic` is false iff the comment
// carries the property sd.public.comment = {internal: true} (§8).
import * as E from "./errors.js";
import { SEED_TIME } from "../../rng.js";

export class CommentsStore {
  constructor(tenant) {
    this.t = tenant;
    this.issues = new Map(); // key -> issue
    this.nextIssueId = 10001;
    this.nextCommentId = 10100;
  }

  addIssue({ key, summary, reporter }) {
    const issue = { id: String(this.nextIssueId++), key, summary, reporter, created: SEED_TIME, comments: [] };
    this.issues.set(key, issue);
    return issue;
  }

  issue(keyOrId) {
    const issue = this.issues.get(String(keyOrId).toUpperCase())
      ?? [...this.issues.values()].find((i) => i.id === String(keyOrId));
    if (!issue) throw E.issueNotFound();
    return issue;
  }

  addComment(keyOrId, authorId, { body, properties, visibility }) {
    const issue = this.issue(keyOrId);
    if (body === undefined || body === null || body === "") throw E.bodyRequired();
    if (typeof body !== "object" || body.type !== "doc" || !Array.isArray(body.content)) throw E.bodyNotAdf();
    if (properties !== undefined && (!Array.isArray(properties) || properties.some((p) => typeof p?.key !== "string"))) {
      throw E.badProperties();
    }
    const internal = (properties ?? []).some((p) => p.key === "sd.public.comment" && p.value?.internal === true);
    const now = this.t.now();
    const c = {
      id: String(this.nextCommentId++), author: authorId, body, created: now, updated: now,
      jsdPublic: !internal, properties, visibility,
    };
    issue.comments.push(c);
    return { issue, comment: c };
  }

  /** Migration keeps a customer's requests: the reporter follows the new account (assumed). */
  repointReporter(fromId, toId) {
    for (const issue of this.issues.values()) if (issue.reporter === fromId) issue.reporter = toId;
  }
}
