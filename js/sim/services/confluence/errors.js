// Confluence v1 error envelope (atlassian-api.md §7.5).
import { SimError } from "../../http.js";

const EXC = {
  400: ["BadRequestException", "Bad Request"],
  404: ["NotFoundException", "Not Found"],
};

export function confluenceError(status, key, text, args = []) {
  const [exc, reason] = EXC[status];
  return new SimError(status, {
    statusCode: status,
    data: {
      authorized: false, valid: true, allowedInReadOnlyMode: true,
      errors: [{ message: { key, args, translation: text } }], successful: false,
    },
    message: `com.atlassian.confluence.api.service.exceptions.${exc}: ${text}`,
    reason,
  });
}

export const spaceNotFound = (key) => confluenceError(404, "space.not.found", `No space with key : ${key}`, [key]);
export const spaceIdNotFound = (id) => confluenceError(404, "space.not.found", `No space with id : ${id}`, [id]);
export const alreadyExists = (op) => confluenceError(400, "space.permission.already.exists",
  `Permission already exists: ${op.key} ${op.target} for this subject`, [op.key, op.target]);
export const readMissing = (op) => confluenceError(400, "space.permission.read.missing",
  `Cannot grant ${op.key} ${op.target}: the subject does not have the read space permission; grant read space first`,
  [op.key, op.target]);
export const invalidOperation = (op) => confluenceError(400, "space.permission.invalid.operation",
  `Invalid operation: key '${op?.key}' with target '${op?.target}' is not a valid permission`, [String(op?.key), String(op?.target)]);
export const invalidSubject = () => confluenceError(400, "space.permission.invalid.subject",
  "Invalid subject: type must be 'user' or 'group' and identifier must be given");
export const guestHasSpace = (other) => confluenceError(400, "space.permission.guest.space.assigned",
  `Cannot grant space permission: guest already has a space assigned: ${other}`, [other]);
export const guestNotAllowed = (op) => confluenceError(400, "space.permission.guest.not.allowed",
  `Guests cannot be granted ${op.key} ${op.target}`, [op.key, op.target]);
export const noGroup = (id) => confluenceError(400, "space.permission.group.not.found", `No group found with identifier: ${id}`, [id]);
export const userNotFound = (id) => confluenceError(404, "user.not.found", `User not found: ${id}`, [id]);
export const permissionNotFound = (id) => confluenceError(404, "space.permission.not.found", `No permission with id : ${id}`, [id]);
