// JSM customer organizations (§5) and their members, in insertion order. The demo seeds one per company
// with that company's portal-only customers. After a migration the membership follows the new account
// (assumed: §2.5 says what migration does to organization membership is unknown).
import * as E from "./errors.js";

export class OrganizationsStore {
  constructor(tenant) {
    this.t = tenant;
    this.byId = new Map(); // id -> {id, name, members: Set(accountId)}
    this.nextId = 1;
  }

  add(name) {
    const o = { id: String(this.nextId++), name, members: new Set() };
    this.byId.set(o.id, o);
    return o;
  }

  addMember(o, accountId) {
    o.members.add(accountId);
  }

  /** 404 for an unknown (or non-numeric) id. */
  get(id) {
    const o = this.byId.get(String(id));
    if (!o) throw E.organizationNotFound(id);
    return o;
  }

  /** Every organization, or only those `accountId` belongs to (an unknown id belongs to none; assumed). */
  list(accountId = null) {
    const all = [...this.byId.values()];
    return accountId === null ? all : all.filter((o) => o.members.has(accountId));
  }

  /** Members that still exist, in the order they were added. */
  members(o) {
    return [...o.members].map((id) => this.t.users.get(id)).filter(Boolean);
  }

  /** Migration: the old id's memberships move to the new account (assumed). */
  repoint(fromId, toId) {
    for (const o of this.byId.values()) {
      if (!o.members.has(fromId)) continue;
      const ordered = [...o.members].map((id) => (id === fromId ? toId : id));
      o.members = new Set(ordered);
    }
  }

  all() {
    return [...this.byId.values()];
  }
}
