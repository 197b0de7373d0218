// Jira users: Atlassian accounts and portal-only customers, indexed by id, email and name prefix.

/** Queries at least this long are answered from the prefix index; shorter ones scan every user. */
const PREFIX = 5;

/** Every string `search` may match a user on (name, its words, email), cut to the indexed prefix. */
function prefixKeys(u) {
  const strings = [u.displayName, u.emailAddress].map((v) => (v ?? "").toLowerCase());
  const words = strings.flatMap((v) => [v, ...v.split(/\s+/)]);
  return new Set(words.filter((w) => w.length >= PREFIX).map((w) => w.slice(0, PREFIX)));
}

export class UsersStore {
  constructor(tenant) {
    this.t = tenant;
    this.byId = new Map();
    this.byEmail = new Map(); // lower-case email -> Set of accountIds
    this.byPrefix = new Map(); // first PREFIX characters of a searchable string -> Set of users
    this.seq = 0; // insertion order, the order `search` answers in
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
    Object.defineProperty(u, "seq", { value: this.seq++ });
    for (const k of prefixKeys(u)) {
      if (!this.byPrefix.has(k)) this.byPrefix.set(k, new Set());
      this.byPrefix.get(k).add(u);
    }
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
    for (const k of prefixKeys(u)) this.byPrefix.get(k)?.delete(u);
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

  /**
   * What others see of a user's email and name. With `hideEmails` (profile visibility, §4.1, §14):
   * an Atlassian account's `emailAddress` is absent (undefined); a portal-only customer answers
   * `emailAddress: ""` and its email as `displayName` (the form seen in a public fixture, §4.1). The
   * caller (the seeded admin) always sees its own email.
   */
  view(u, { own = false } = {}) {
    if (!this.t.settings.hideEmails || own || u.accountId === this.t.admin?.accountId) return { emailAddress: u.emailAddress, displayName: u.displayName };
    if (u.accountType === "customer") return { emailAddress: "", displayName: u.emailAddress ?? u.displayName };
    return { emailAddress: undefined, displayName: u.displayName };
  }

  /**
   * `user/search`: prefix of displayName (or of a word in it) or of emailAddress; active users only; max
   * 1000 matches. With `hideEmails` an email matches only exactly (an exact-email query still finds a
   * user whose email is hidden, §14 [doc]); the name matched is the visible one.
   */
  search(query) {
    const q = query.toLowerCase();
    const hidden = this.t.settings.hideEmails;
    const out = [];
    // Any match starts with q, so with its first PREFIX characters: the index holds every candidate.
    const candidates = q.length >= PREFIX
      ? [...(this.byPrefix.get(q.slice(0, PREFIX)) ?? [])].sort((a, b) => a.seq - b.seq)
      : this.byId.values();
    for (const u of candidates) {
      if (!u.active) continue;
      const name = (hidden ? this.view(u).displayName ?? "" : u.displayName ?? "").toLowerCase();
      const email = (u.emailAddress ?? "").toLowerCase();
      const byEmail = hidden ? email !== "" && email === q : email.startsWith(q);
      if (name.startsWith(q) || byEmail || name.split(/\s+/).some((w) => w.startsWith(q))) {
        out.push(u);
        if (out.length >= 1000) break;
      }
    }
    return out;
  }

  /**
   * `user/bulk` (§4.3): the users behind `ids` that exist, in the order asked; one page of at most
   * `userBulkPageCap` (assumed maximum 200 per page by default; the documented default page is 10).
   * The answer reports the page size actually used.
   */
  bulk(ids, startAt, maxResults) {
    const size = Math.min(maxResults, this.t.settings.userBulkPageCap);
    const users = ids.map((id) => this.get(id)).filter(Boolean);
    const values = users.slice(startAt, startAt + size);
    return { users, values, maxResults: size, isLast: startAt + values.length >= users.length };
  }

  /** Control plane: make a user a Confluence guest with an assigned space (or none). */
  markGuest(u, space) {
    u.guest = true;
    u.guestSpace = space ?? null;
  }
}
