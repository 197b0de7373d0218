// Shared wire helpers: the error type every store throws, Jira's ErrorCollection, parameter parsing.

/** An Atlassian answer with an exact status, JSON body and extra headers. Thrown by stores. */
export class SimError extends Error {
  constructor(status, body, headers = {}) {
    super(typeof body === "string" ? body : JSON.stringify(body));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** Jira `ErrorCollection`: `{"errorMessages":[...],"errors":{...}}`. */
export const jiraBody = (messages, errors = {}) => ({ errorMessages: messages, errors });
export const jiraError = (status, messages, errors = {}) => new SimError(status, jiraBody(messages, errors));

/** A handler's answer. */
export const reply = (status, body, headers = {}) => ({ status, body, headers });

/** Integer query parameter; absent or not a number gives `dflt`; clamps to [min, max]. */
export function intParam(query, name, dflt, min = -Infinity, max = Infinity) {
  const raw = query.get(name);
  if (raw === null || raw === "" || !/^-?\d+$/.test(raw.trim())) return dflt;
  return Math.min(max, Math.max(min, Number(raw)));
}

/** Boolean query parameter ("true"/"false", case-insensitive). */
export function boolParam(query, name, dflt) {
  const raw = query.get(name);
  if (raw === null) return dflt;
  return raw.toLowerCase() !== "false";
}

/** Jira timestamp format: 2024-01-01T12:00:00.000+0000 */
export const jiraTime = (ms) => new Date(ms).toISOString().replace("Z", "+0000");

/** `X-RateLimit-Reset` format: yyyy-MM-ddTHH:mmZ */
export const resetStamp = (ms) => new Date(ms).toISOString().slice(0, 16) + "Z";
