// Jira issue and comment errors (ErrorCollection shape).
import { jiraError } from "../../http.js";

export const issueNotFound = () => jiraError(404, ["Issue does not exist or you do not have permission to see it."]);
export const bodyRequired = () => jiraError(400, [], { comment: "Comment body can not be empty!" });
export const bodyNotAdf = () =>
  jiraError(400, [], { comment: "Operation value must be an Atlassian Document (see the Atlassian Document Format)" });
export const badProperties = () => jiraError(400, [], { properties: "properties must be a list of {key, value}" });
