// Internal /cgraphql: only `updateSpacePermissions` (UpdateSpacePermissionsPrincipals). Undocumented (§7.4);
// the response shape is assumed. GraphQL failures come back as HTTP 200 with an `errors` array.

/** GraphQL permission names → v1 key/target. */
export const GQL_PERMISSIONS = {
  VIEW_SPACE: ["read", "space"],
  CREATE_PAGE: ["create", "page"],
  CREATE_BLOG: ["create", "blogpost"],
  CREATE_COMMENT: ["create", "comment"],
  COMMENT: ["create", "comment"],
  CREATE_ATTACHMENT: ["create", "attachment"],
  REMOVE_PAGE: ["delete", "page"],
  REMOVE_BLOG: ["delete", "blogpost"],
  REMOVE_COMMENT: ["delete", "comment"],
  REMOVE_ATTACHMENT: ["delete", "attachment"],
  REMOVE_OWN_CONTENT: ["delete", "space"],
  EXPORT_SPACE: ["export", "space"],
  ADMINISTER_SPACE: ["administer", "space"],
  ARCHIVE_PAGE: ["archive", "page"],
  SET_PAGE_PERMISSIONS: ["restrict_content", "space"],
};

const errorText = (e) => e?.body?.data?.errors?.[0]?.message?.translation ?? e.message;

/** Apply the deltas of one `updateSpacePermissions` call; adding an existing permission is a no-op. */
export function updateSpacePermissions(store, variables) {
  const spaceKey = variables?.spaceKey;
  const deltas = variables?.subjectPermissionDeltasList;
  try {
    if (!Array.isArray(deltas)) throw new Error("subjectPermissionDeltasList must be a list");
    const space = store.space(spaceKey);
    for (const d of deltas) {
      const kind = d?.subjectKeyInput?.permissionDisplayType;
      const subject = { type: kind === "GROUP" ? "group" : "user", identifier: d?.subjectKeyInput?.subjectId };
      const add = [...(d?.permissionsToAdd ?? [])].sort((a, b) => (a === "VIEW_SPACE" ? -1 : b === "VIEW_SPACE" ? 1 : 0));
      for (const name of add) {
        const op = GQL_PERMISSIONS[name];
        if (!op) throw new Error(`Unknown permission ${name}`);
        const resolved = store.subject(subject);
        if (!store.has(space, resolved, op[0], op[1])) store.grant(spaceKey, subject, { key: op[0], target: op[1] });
      }
      for (const name of d?.permissionsToRemove ?? []) {
        const op = GQL_PERMISSIONS[name];
        if (!op) throw new Error(`Unknown permission ${name}`);
        const resolved = store.subject(subject);
        const perm = space.permissions.find((p) => p.subject.type === resolved.type
          && p.subject.identifier === resolved.identifier && p.operation.key === op[0] && p.operation.target === op[1]);
        if (perm) store.revoke(spaceKey, perm.id);
      }
    }
    return { data: { updateSpacePermissions: { success: true, errors: [] } } };
  } catch (e) {
    const status = e.status ?? 400;
    const message = errorText(e);
    return {
      data: { updateSpacePermissions: { success: false, errors: [{ message, extensions: { statusCode: status } }] } },
      errors: [{ message, path: ["updateSpacePermissions"], extensions: { statusCode: status, errorType: status === 404 ? "NOT_FOUND" : "BAD_REQUEST" } }],
    };
  }
}
