// Portal-only ("local") customers and their migration to Atlassian accounts (§2, assumed parts per §13).
import * as E from "./errors.js";

export const BULK_LIMIT = 1000;

export class CustomersStore {
  constructor(tenant) {
    this.t = tenant;
    this.migrations = []; // {qmId, accountId, email, linked, at}
    this.migrated = new Map(); // qmId -> accountId
  }

  /** Portal-only customers, in creation order, filtered by active state. */
  list({ active, start, max }) {
    const out = [];
    let skipped = 0;
    for (const u of this.t.users.byId.values()) {
      if (u.accountType !== "customer" || u.active !== active) continue;
      if (skipped < start) { skipped++; continue; }
      if (out.length >= max) break;
      out.push(u);
    }
    return out;
  }

  /**
   * Migrate one portal-only customer. Links to an existing Atlassian account with the same email
   * (assumed), otherwise creates one. The `qm:` id stops resolving; issues it reported are re-pointed.
   */
  migrate(qmId) {
    const users = this.t.users;
    const u = users.get(qmId);
    if (!u) {
      if (this.migrated.has(qmId)) throw E.notLocalCustomer(qmId);
      throw E.customerNotFound(qmId);
    }
    if (u.accountType !== "customer") throw E.notLocalCustomer(qmId);
    const now = this.t.now();
    let target = u.emailAddress ? users.atlassianWithEmail(u.emailAddress) : null;
    const linked = Boolean(target);
    users.remove(qmId);
    if (!target) {
      target = users.add({
        accountId: this.t.rng.aaid(), accountType: "atlassian", emailAddress: u.emailAddress,
        displayName: u.displayName, active: true, visibleAt: now + (this.t.settings.propagationDelayMs || 0),
      });
      if (this.t.settings.migrateAsGuest) users.markGuest(target, null);
    }
    this.t.groups.dropMember(qmId);
    this.t.comments.repointReporter(qmId, target.accountId);
    this.migrated.set(qmId, target.accountId);
    this.migrations.push({ qmId, accountId: target.accountId, email: u.emailAddress, linked, at: new Date(now).toISOString() });
    return target;
  }

  /** Bulk migrate: synchronous; ids that are not local customers are ignored (assumed). */
  bulkMigrate(ids) {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) throw E.idsRequired();
    if (ids.length > BULK_LIMIT) throw E.tooManyIds(ids.length);
    for (const id of ids) {
      if (this.t.users.get(id)?.accountType === "customer") this.migrate(id);
    }
  }
}
