// Jira issue and comment errors (ErrorCollection shape).
import { jiraError } from "../../http.js";

export const issueNotFound = () => jiraError(404, ["Issue does not exist or you do not have permission to see it."]);
export const bodyRequired = () => jiraError(400, [], { comment: "Comment body can not be empty!" });
export const bodyNotAdf = () =>
  jiraError(400, [], { comment: "Operation value must be an Atlassian Document (see the Atlassian Document Format)" });
export const badProperties = () => jiraError(400, [], { properties: "properties must be a list of {key, value}" });
/**
 * Jira's text-length validation: 400, the message under `errors.comment`. Text from a public client's
 * log (github.com/bhaalsen/gitmerger/issues/9: `{"errorMessages":[],"errors":{"comment":"The entered
 * text is too long. It exceeds the allowed limit of 32767 characters."}}`) and Atlassian's own REST
 * func test (TestTextFieldCharacterLengthValidator: limits of 1000 and more are formatted with a
 * thousands separator); Jira Cloud answers "32,767" (seen on a Cloud site in a public client's notes).
 */
export const tooLong = (limit) => jiraError(400, [], {
  comment: `The entered text is too long. It exceeds the allowed limit of ${limit.toLocaleString("en-US")} characters.`,
});
