// Portal-only ("local") customers and their migration to Atlassian accounts (§2, assumed parts per §13).
import * as E from "./errors.js";

export const BULK_LIMIT = 1000;

export class CustomersStore {
  constructor(tenant) {
    this.t = tenant;
    this.migrations = []; // {qmId, accountId, email, linked, at}
    this.migrated = new Map(); // qmId -> accountId
    this.pending = new Map(); // qmId -> due (epoch ms): accepted bulk migrations not done yet
  }

  /**
   * One page of `local-servicedesk-user` under the tenant's directory rules (all assumed, §2.1, §13):
   * `max-results` capped silently at `directoryPageCap`; `directoryPaging` "offset" reads `start-index`
   * as an offset, "page-number" as a page number (offset = start-index × page size), "ignored" always
   * answers the first page.
   */
  page({ active, startIndex, maxResults }) {
    const s = this.t.settings;
    const max = s.directoryPageCap ? Math.min(maxResults, s.directoryPageCap) : maxResults;
    const start = s.directoryPaging === "ignored" ? 0 : s.directoryPaging === "page-number" ? startIndex * max : startIndex;
    return this.list({ active, start, max });
  }

  /** `singleMigrateRoute: "gone"`: the single-customer migrate route (both forms) answers a generic 404. */
  checkSingleRoute() {
    if (this.t.settings.singleMigrateRoute === "gone") throw E.routeGone();
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
  migrate(qmId, now = this.t.now()) {
    const users = this.t.users;
    const u = users.get(qmId);
    if (!u) {
      if (this.migrated.has(qmId)) throw E.notLocalCustomer(qmId);
      throw E.customerNotFound(qmId);
    }
    if (u.accountType !== "customer") throw E.notLocalCustomer(qmId);
    this.pending.delete(qmId);
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
    this.t.organizations.repoint(qmId, target.accountId);
    this.migrated.set(qmId, target.accountId);
    this.migrations.push({ qmId, accountId: target.accountId, email: u.emailAddress, linked, at: new Date(now).toISOString() });
    return target;
  }

  /**
   * Bulk migrate; ids that are not local customers are ignored (assumed). With `bulkMigrateDelayMs` 0
   * it is synchronous; otherwise each accepted id is migrated that much later (lazily, by `settle` at
   * the start of the first request after its time), and until then it is still a portal-only customer.
   * An id already pending keeps its first due time.
   */
  bulkMigrate(ids, now = this.t.now()) {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) throw E.idsRequired();
    if (ids.length > BULK_LIMIT) throw E.tooManyIds(ids.length);
    const delay = this.t.settings.bulkMigrateDelayMs || 0;
    for (const id of ids) {
      if (this.t.users.get(id)?.accountType !== "customer") continue;
      if (delay === 0) this.migrate(id, now);
      else if (!this.pending.has(id)) this.pending.set(id, now + delay);
    }
  }

  /** Complete pending bulk migrations due by `now`, earliest first; each happens at its due time. */
  settle(now) {
    if (this.pending.size === 0) return;
    const due = [...this.pending].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    for (const [id, at] of due) {
      this.pending.delete(id);
      if (this.t.users.get(id)?.accountType === "customer") this.migrate(id, at);
    }
  }
}
