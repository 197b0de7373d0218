// Jira issues (just key, summary, reporter) and their comments. `jsdPublic` is false iff the comment
// carries the property sd.public.comment = {internal: true} (§8).
import * as E from "./errors.js";
import { SEED_TIME } from "../../rng.js";

/** Jira comment bodies are limited to 32,767 characters (§14 [doc/KB]; every profile). */
export const COMMENT_MAX_CHARS = 32767;

/**
 * The characters a comment counts against the limit: the `text` of every ADF `text` node, summed, in
 * UTF-16 code units (JavaScript `length`, the same unit as Java's `String.length()`). Marks, attributes,
 * hard breaks and the JSON around them do not count. Walks iteratively (a hostile deep document cannot
 * exhaust the stack).
 */
export function adfTextLength(doc) {
  let n = 0;
  const stack = [doc];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== "object") continue;
    if (node.type === "text" && typeof node.text === "string") n += node.text.length;
    if (Array.isArray(node.content)) for (const c of node.content) stack.push(c);
  }
  return n;
}

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
    if (adfTextLength(body) > COMMENT_MAX_CHARS) throw E.tooLong(COMMENT_MAX_CHARS);
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
