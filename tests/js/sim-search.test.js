// The simulator's user search answers from a prefix index: the same users, in the same order, as a
// scan of every user, for every prefix of every name, name word and email (hidden emails or not).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTenant } from "../../js/sim/index.js";

/** The search as specified: a scan of every user in insertion order (store.js search's predicate). */
function scan(users, q, hidden) {
  const out = [];
  for (const u of users.byId.values()) {
    if (!u.active) continue;
    const name = (hidden ? users.view(u).displayName ?? "" : u.displayName ?? "").toLowerCase();
    const email = (u.emailAddress ?? "").toLowerCase();
    const byEmail = hidden ? email !== "" && email === q : email.startsWith(q);
    if (name.startsWith(q) || byEmail || name.split(/\s+/).some((w) => w.startsWith(q))) out.push(u.accountId);
    if (out.length >= 1000) break;
  }
  return out;
}

for (const hideEmails of [false, true]) {
  test(`indexed search equals a full scan (hideEmails ${hideEmails})`, () => {
    const t = createTenant({ seed: 3, scenario: { companies: 4, customersPerCompany: 30 }, settings: { hideEmails } });
    // Some migrated (removed and re-added), one inactive.
    const customers = [...t.users.byId.values()].filter((u) => u.accountType === "customer");
    for (const u of customers.slice(0, 10)) t.customers.migrate(u.accountId);
    customers[20].active = false;
    const queries = new Set();
    for (const u of t.users.byId.values()) {
      for (const s of [u.displayName, u.emailAddress, ...(u.displayName ?? "").split(" ")]) {
        const v = (s ?? "").toLowerCase();
        for (let n = 1; n <= Math.min(v.length, 9); n++) queries.add(v.slice(0, n));
        queries.add(v);
      }
    }
    assert.ok(queries.size > 500);
    for (const q of queries) {
      assert.deepEqual(t.users.search(q).map((u) => u.accountId), scan(t.users, q, hideEmails), q);
    }
  });
}
