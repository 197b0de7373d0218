import * as h from "./handlers.js";

const PREFIXES = [
  "/gateway/api/ex/jira/{cloudId}/rest/servicedesk/customer-management/noeyeball/1",
  "/rest/servicedesk/customer-management/noeyeball/1",
];

export const routes = PREFIXES.flatMap((p) => [
  { method: "GET", path: `${p}/local-servicedesk-user`, name: "listLocalCustomers", handler: h.listLocalCustomers },
  {
    method: "PUT", path: `${p}/local-servicedesk-user/migrate-to-atlassian-account-user/{accountId}`,
    name: "migrateCustomer", handler: h.migrateCustomer,
  },
  {
    method: "PUT", path: `${p}/local-servicedesk-user/migrate-to-atlassian-account-user`,
    name: "migrateCustomerLegacy", handler: h.migrateCustomerLegacy,
  },
  {
    method: "PUT", path: `${p}/local-servicedesk-user/bulk-migrate-to-atlassian-account`,
    name: "bulkMigrate", handler: h.bulkMigrate,
  },
]);
