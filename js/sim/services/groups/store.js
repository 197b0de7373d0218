// Jira groups and memberships. Rule order on add: caller is a site admin (403) → params → user exists
// (and has propagated) → group exists → not already a member.
import * as E from "./errors.js";

export class GroupsStore {
  constructor(tenant) {
    this.t = tenant;
    this.byId = new Map();
    this.byName = new Map(); // lower-case name -> group
  }

  add(name, groupId = this.t.rng.uuid()) {
    const g = { groupId, name, members: new Set() };
    this.byId.set(g.groupId, g);
    this.byName.set(name.toLowerCase(), g);
    return g;
  }

  /** By `groupId` (preferred) or `groupname`; 400 when neither, 404 when unknown. */
  resolve({ groupId, groupname }) {
    if (!groupId && !groupname) throw E.groupRequired();
    const g = groupId ? this.byId.get(groupId) : this.byName.get(String(groupname).toLowerCase());
    if (!g) throw E.groupNotFound();
    return g;
  }

  /** Membership of site-admins (§4.5, §14: group member add needs site admin). */
  isSiteAdmin(accountId) {
    return Boolean(this.byName.get("site-admins")?.members.has(accountId));
  }

  /** `caller`: the account making the request; a caller that is not a site admin gets 403 first. */
  addMember(ref, accountId, caller = null) {
    if (caller && !this.isSiteAdmin(caller)) throw E.notSiteAdmin();
    if (!ref.groupId && !ref.groupname) throw E.groupRequired();
    if (!accountId || typeof accountId !== "string") throw E.accountIdRequired();
    const u = this.t.users.get(accountId);
    if (!u || !this.t.users.visible(u)) throw E.userNotFound();
    const g = this.resolve(ref);
    if (g.members.has(accountId)) throw E.alreadyMember(g.name);
    g.members.add(accountId);
    return g;
  }

  removeMember(ref, accountId) {
    if (!accountId) throw E.accountIdRequired();
    if (!this.t.users.get(accountId)) throw E.userNotFound();
    const g = this.resolve(ref);
    if (!g.members.has(accountId)) throw E.notMember(g.name);
    g.members.delete(accountId);
  }

  /** Members that still exist, in the order they were added. */
  members(g, includeInactive) {
    const out = [];
    for (const id of g.members) {
      const u = this.t.users.get(id);
      if (u && (includeInactive || u.active)) out.push(u);
    }
    return out;
  }

  groupsOf(accountId) {
    return [...this.byId.values()].filter((g) => g.members.has(accountId));
  }

  /** A migrated `qm:` id leaves every group. */
  dropMember(accountId) {
    for (const g of this.byId.values()) g.members.delete(accountId);
  }

  all() {
    return [...this.byId.values()];
  }
}
