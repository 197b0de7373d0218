// Assets errors. The real body is undocumented (§3.8); the simulator emits the Jira shape (§13).
import { jiraError } from "../../http.js";

export const workspaceNotFound = (ws) => jiraError(404, [`Workspace ${ws} not found`]);
export const objectNotFound = (id) => jiraError(404, [`Object with id ${id} was not found`]);
export const objectTypeNotFound = (id) => jiraError(404, [`ObjectType with id ${id} was not found`]);
export const aqlSyntax = (pos, detail) => jiraError(400, [`AQL: syntax error at position ${pos}: ${detail}`]);
export const aqlUnknownAttribute = (name) => jiraError(400, [`AQL: the attribute "${name}" does not exist`]);
export const aqlRequired = () => jiraError(400, ["qlQuery is required"]);
export const attributeNotOnType = (id, type) =>
  jiraError(400, [`ObjectTypeAttribute with id ${id} does not exist on object type ${type}`]);
export const badValue = (name, value) => jiraError(400, [`Invalid value "${value}" for attribute ${name}`]);
export const attributesRequired = () => jiraError(400, ["attributes must be a list"]);
export const objectTypeIdRequired = () => jiraError(400, [], { objectTypeId: "The object type id is required" });
export const objectTypeIdMismatch = (id, typeId, given) =>
  jiraError(400, [], { objectTypeId: `Object ${id} is of object type ${typeId}, not ${given}` });
