// Jira users: Atlassian accounts and portal-only customers, indexed by id and email.
export class UsersStore {
  constructor(tenant) {
    this.t = tenant;
    this.byId = new Map();
    this.byEmail = new Map(); // lower-case email -> Set of accountIds
  }

  add({ accountId, accountType, emailAddress, displayName, active = true, visibleAt = 0 }) {
    const u = {
      accountId, accountType, emailAddress, displayName, active,
      timeZone: "Etc/UTC", locale: "en_US", guest: false, guestSpace: null, visibleAt,
    };
    this.byId.set(accountId, u);
    const key = (emailAddress ?? "").toLowerCase();
    if (!this.byEmail.has(key)) this.byEmail.set(key, new Set());
    this.byEmail.get(key).add(accountId);
    return u;
  }

  get(accountId) {
    return this.byId.get(accountId) ?? null;
  }

  remove(accountId) {
    const u = this.byId.get(accountId);
    if (!u) return;
    this.byId.delete(accountId);
    this.byEmail.get((u.emailAddress ?? "").toLowerCase())?.delete(accountId);
  }

  withEmail(email) {
    return [...(this.byEmail.get(String(email).toLowerCase()) ?? [])].map((id) => this.byId.get(id));
  }

  atlassianWithEmail(email) {
    return this.withEmail(email).find((u) => u.accountType === "atlassian") ?? null;
  }

  /** False while a freshly migrated account is still propagating (§13). */
  visible(u, now = this.t.now()) {
    return now >= u.visibleAt;
  }

  /** `user/search`: prefix of displayName (or of a word in it) or of emailAddress; active users only; max 1000 matches. */
  search(query) {
    const q = query.toLowerCase();
    const out = [];
    for (const u of this.byId.values()) {
      if (!u.active) continue;
      const name = (u.displayName ?? "").toLowerCase();
      const email = (u.emailAddress ?? "").toLowerCase();
      if (name.startsWith(q) || email.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q))) {
        out.push(u);
        if (out.length >= 1000) break;
      }
    }
    return out;
  }

  /** Control plane: make a user a Confluence guest with an assigned space (or none). */
  markGuest(u, space) {
    u.guest = true;
    u.guestSpace = space ?? null;
  }
}
