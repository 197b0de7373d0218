// The JSON dump behind GET /__sim/state (and sim.state()): plain data for assertions.
import { overridesOf } from "./profiles.js";

function attributesByName(s, obj) {
  const out = {};
  for (const def of s.types.get(obj.typeId).attributes) {
    const v = obj.values.get(def.id);
    out[def.name] = !v ? null : v.length === 1 ? v[0] : [...v];
  }
  return out;
}

export function dump(sim) {
  const t = sim.tenant;
  const s = t.assets;
  const users = [...t.users.byId.values()];
  return {
    seed: t.seed,
    scenario: t.scenario,
    cloudId: t.cloudId,
    workspaceId: s.workspaceId,
    profile: t.profile,
    settings: { ...t.settings },
    overrides: overridesOf(t.profile, t.settings),
    companies: [...t.companies],
    users: users.map((u) => ({
      accountId: u.accountId, accountType: u.accountType, emailAddress: u.emailAddress, displayName: u.displayName,
      active: u.active, guest: u.guest, guestSpace: u.guestSpace,
    })),
    assets: {
      objects: [...s.objects.values()].map((o) => ({
        id: o.id, objectKey: o.objectKey, objectTypeId: o.typeId, objectType: s.types.get(o.typeId).name,
        label: s.label(o), attributes: attributesByName(s, o),
      })),
    },
    groups: t.groups.all().map((g) => ({ groupId: g.groupId, name: g.name, members: [...g.members] })),
    spaces: t.confluence.all().map((sp) => ({
      id: sp.id, key: sp.key, name: sp.name,
      permissions: sp.permissions.map((p) => ({ id: p.id, subject: { ...p.subject }, operation: { ...p.operation } })),
    })),
    guests: users.filter((u) => u.guest).map((u) => ({ accountId: u.accountId, email: u.emailAddress, space: u.guestSpace })),
    issues: [...t.comments.issues.values()].map((i) => ({ key: i.key, id: i.id, summary: i.summary, reporter: i.reporter })),
    comments: Object.fromEntries([...t.comments.issues.values()].map((i) => [i.key, i.comments.map((c) => ({
      id: c.id, author: c.author, jsdPublic: c.jsdPublic, body: c.body, properties: c.properties ?? null,
      created: new Date(c.created).toISOString(),
    }))])),
    organizations: t.organizations.all().map((o) => ({ id: o.id, name: o.name, members: [...o.members] })),
    migrations: t.customers.migrations.map((m) => ({ ...m })),
    pendingMigrations: [...t.customers.pending].map(([qmId, due]) => ({ qmId, due: new Date(due).toISOString() })),
    calls: { bySurface: { ...sim.calls.bySurface }, byRoute: { ...sim.calls.byRoute } },
    faultsInjected: { ...sim.faults.injected },
    rateLimited: { ...sim.ratelimit.limited },
  };
}

/** The small part of the state `demoConfig` needs (cheap for big scenarios). */
export function summary(sim) {
  const t = sim.tenant;
  return { companies: [...t.companies], groups: t.groups.all().map((g) => ({ groupId: g.groupId, name: g.name })) };
}
