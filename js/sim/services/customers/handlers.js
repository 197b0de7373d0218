// Admin gateway customer-management (noeyeball): parse and serialise only.
import { reply, intParam } from "../../http.js";
import * as E from "./errors.js";

function checkSite(tenant, params) {
  if (params.cloudId !== undefined && params.cloudId !== tenant.cloudId) throw E.siteNotFound(params.cloudId);
}

export function listLocalCustomers({ tenant, params, query }) {
  checkSite(tenant, params);
  const active = (query.get("active-filter") ?? "active").toLowerCase() !== "inactive";
  const startIndex = intParam(query, "start-index", 0, 0);
  const maxResults = intParam(query, "max-results", 50, 0);
  const localCustomers = tenant.customers.page({ active, startIndex, maxResults }).map((u) => ({
    username: u.accountId, emailAddress: u.emailAddress, displayName: u.displayName, active: u.active,
  }));
  return reply(200, { localCustomers });
}

function migrated(u) {
  return reply(200, { aaUser: { accountId: u.accountId, emailAddress: u.emailAddress, displayName: u.displayName } });
}

export function migrateCustomer({ tenant, params }) {
  tenant.customers.checkSingleRoute();
  checkSite(tenant, params);
  return migrated(tenant.customers.migrate(params.accountId));
}

/** Older site-host form: `?username=`. */
export function migrateCustomerLegacy({ tenant, params, query }) {
  tenant.customers.checkSingleRoute();
  checkSite(tenant, params);
  const id = query.get("username");
  if (!id) throw E.usernameRequired();
  return migrated(tenant.customers.migrate(id));
}

export function bulkMigrate({ tenant, params, json }) {
  checkSite(tenant, params);
  const body = json();
  tenant.customers.bulkMigrate(body?.customerAccountIds);
  return reply(200, {});
}
