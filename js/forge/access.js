// Who may make the app act. The app holds an org admin's token for the migrate call, so a caller
// must be checked before anything runs:
//
//   actorAllowed   the Automation action: "Automation will always invoke your action as a
//                  particular user associated with the connection in action configuration"
//                  (https://developer.atlassian.com/platform/forge/manifest-reference/modules/automation-action/#action-execution);
//                  Forge hands that user to the function as context.principal.accountId
//                  (https://developer.atlassian.com/platform/forge/function-reference/arguments/).
//                  Allowed: members of site-admins or of a group named in actionAllowedGroups,
//                  read as the app with GET /rest/api/3/user?accountId=…&expand=groups (User.groups,
//                  scope read:jira-user; "Browse users and groups" permission).
//   callerIsAdmin  the admin page's resolver: the viewer must hold Administer Jira, asked as that
//                  user (GET /rest/api/3/mypermissions?permissions=ADMINISTER, scope read:jira-work).
//                  Jira shows admin pages only to admins; this keeps a direct resolver call honest too.

export const SITE_ADMINS = "site-admins";
const ACCOUNT_ID = /^[A-Za-z0-9:_-]{1,128}$/;

async function readJson(res) {
  try {
    return JSON.parse(await res.text());
  } catch {
    return null;
  }
}

/** { ok, reason, groups? }: whether `accountId` may run a migration through the action. */
export async function actorAllowed({ product, accountId, allowedGroups = [] }) {
  if (typeof accountId !== "string" || !ACCOUNT_ID.test(accountId)) {
    return { ok: false, reason: "the action was invoked without a user (context.principal): nobody to check" };
  }
  const res = await product.requestJira(`/rest/api/3/user?accountId=${encodeURIComponent(accountId)}&expand=groups`, {
    method: "GET",
    headers: { accept: "application/json" },
  });
  if (res.status !== 200) {
    await res.text().catch(() => {});
    return { ok: false, reason: `could not read the invoking user's groups (HTTP ${res.status})` };
  }
  const user = await readJson(res);
  const items = Array.isArray(user?.groups?.items) ? user.groups.items : [];
  const held = new Set(items.flatMap((g) => [g?.name, g?.groupId]).filter((x) => typeof x === "string").map((x) => x.toLowerCase()));
  const wanted = [SITE_ADMINS, ...allowedGroups];
  const match = wanted.find((g) => held.has(String(g).toLowerCase()));
  if (match) return { ok: true, reason: `member of ${match}` };
  return { ok: false, reason: `the rule's actor is not a site admin nor in a group allowed to run portal-migrate (${wanted.join(", ")})` };
}

/** Whether the viewer of the admin page holds Administer Jira (asked as that user). */
export async function callerIsAdmin({ productAsUser }) {
  const res = await productAsUser.requestJira("/rest/api/3/mypermissions?permissions=ADMINISTER", {
    method: "GET",
    headers: { accept: "application/json" },
  });
  if (res.status !== 200) {
    await res.text().catch(() => {});
    return false;
  }
  const body = await readJson(res);
  return body?.permissions?.ADMINISTER?.havePermission === true;
}
