// What a concurrency test counts on the simulator's state (GET /__sim/state): migrations per
// portal id, comments per issue, and the migrate and comment calls by route.

const MIGRATE_ROUTES = ["PUT migrateCustomer", "PUT migrateCustomerLegacy", "PUT bulkMigrate"];

export function tally(state) {
  const perCustomer = new Map();
  for (const m of state.migrations) perCustomer.set(m.qmId, (perCustomer.get(m.qmId) ?? 0) + 1);
  const byRoute = state.calls.byRoute;
  return {
    perCustomer,
    migrations: state.migrations.length,
    migrateCalls: MIGRATE_ROUTES.reduce((n, r) => n + (byRoute[r] ?? 0), 0),
    commentCalls: byRoute["POST addComment"] ?? 0,
    comments: (key) => state.comments[key]?.length ?? 0,
    calls: Object.values(state.calls.bySurface).reduce((a, b) => a + b, 0),
  };
}

/** The difference of two tallies in migrate calls, comment calls and migrations. */
export function since(before, after) {
  return {
    migrateCalls: after.migrateCalls - before.migrateCalls,
    commentCalls: after.commentCalls - before.commentCalls,
    migrations: after.migrations - before.migrations,
  };
}

/** The portal ids of a company's customers still portal-only (read before a job: write-back replaces them). */
export function portalIds(state, company) {
  return state.assets.objects
    .filter((o) => o.attributes.Company === company && String(o.attributes["Portal Account"] ?? "").startsWith("qm:"))
    .map((o) => o.attributes["Portal Account"]);
}

/** Every id in `ids` migrated exactly once. */
export function onceEach(t, ids) {
  return ids.map((id) => [id, t.perCustomer.get(id) ?? 0]).filter(([, n]) => n !== 1);
}

/** One line per test for the report: how many deliveries, how many migrate calls and comments. */
export function report(host, what, { deliveries, customers, migrations, migrateCalls, comments }) {
  console.log(`# ${host}: ${what}: deliveries=${deliveries} customers=${customers} migrations=${migrations} migrateCalls=${migrateCalls} comments=${comments}`);
}
