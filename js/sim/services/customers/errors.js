// Admin gateway (noeyeball) errors. All shapes are assumed (atlassian-api.md §13): Jira ErrorCollection.
import { jiraError, SimError } from "../../http.js";

export const notLocalCustomer = (id) => jiraError(400, [`${id} is not a local customer`]);
export const customerNotFound = (id) => jiraError(404, [`No local customer found with id ${id}`]);
export const siteNotFound = (cloudId) => jiraError(404, [`Site ${cloudId} not found`]);
export const tooManyIds = (n) =>
  jiraError(400, [`customerAccountIds must contain at most 1000 ids, got ${n}`]);
export const idsRequired = () => jiraError(400, ["customerAccountIds must be an array of account ids"]);
export const usernameRequired = () => jiraError(400, ["The query parameter 'username' is required."]);
/** A route that no longer exists: the gateway's generic not-found answer (body assumed). */
export const routeGone = () => new SimError(404, { code: 404, message: "Not Found" });
