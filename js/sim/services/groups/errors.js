// Jira group errors (ErrorCollection shape).
import { jiraError } from "../../http.js";
import { USER_NOT_FOUND } from "../users/errors.js";

export const alreadyMember = (name) => jiraError(400, [`Cannot add user. User is already a member of '${name}'`]);
export const groupNotFound = () => jiraError(404, ["Specified group does not exist."]);
export const userNotFound = () => jiraError(404, [USER_NOT_FOUND]);
export const notMember = (name) => jiraError(400, [`Cannot remove user. User is not a member of '${name}'`]);
export const groupRequired = () => jiraError(400, ["You must specify a group name or a group id."]);
export const accountIdRequired = () => jiraError(400, ["You must specify an accountId."]);
/** Documented status (§4.5: 403 without site admin); the message is assumed. */
export const notSiteAdmin = () =>
  jiraError(403, ["You must be a site administrator (a member of the site-admins group) to add users to groups."]);
