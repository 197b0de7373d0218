// Tenant identity: the cloudId and the one Assets workspace (state lives on the Tenant itself).
export const tenantInfo = (t) => ({ cloudId: t.cloudId });
export const workspaces = (t) => [{ workspaceId: t.assets.workspaceId }];
