// Jira user errors (ErrorCollection shape).
import { jiraError } from "../../http.js";

/** Seen live on user lookups and group adds for unknown users (public client issues). */
export const USER_NOT_FOUND = "Specified user does not exist or you do not have required permissions";

export const userNotFound = () => jiraError(404, [USER_NOT_FOUND]);
export const accountIdRequired = () => jiraError(400, ["The query parameter 'accountId' is required."]);
export const queryAndAccountId = () =>
  jiraError(400, ["The 'query' and 'accountId' query parameters cannot be used together."]);
export const searchNeedsQuery = () => jiraError(400, ["One of 'query' or 'accountId' query parameters must be provided."]);
export const permissionsRequired = () => jiraError(400, ["The 'permissions' query parameter is required."]);
