#!/usr/bin/env node
// The baseline: a faithful re-implementation, in Node with no dependencies, of the community script
// (Atlassian Community, "Migrate Portal Only Customer to Atlassian With Automation", Adam Kassoff,
// 26 April 2025; the Python `requests` script quoted in bench/README.md). Its algorithm, unchanged:
//
//   for each company key, in order:
//     POST {api}/jsm/assets/workspace/{ws}/v1/object/aql {"qlQuery": ...}   one request: the first
//                                          page only (no startAt/maxResults; it never pages)
//     for each object in `values`, one after another:
//       portal id = the object's attribute whose objectTypeAttributeId is the portal attribute id
//       PUT  {admin}/gateway/api/ex/jira/{cloudId}/rest/servicedesk/customer-management/noeyeball/1/
//            local-servicedesk-user/migrate-to-atlassian-account-user/{portal id}
//       new id = response.aaUser.accountId
//       PUT  {api}/jsm/assets/workspace/{ws}/v1/object/{object id}   write the new id back
//       POST {site}/rest/api/3/group/user?groupId={group}  {"accountId": new id}
//   every response goes through raise_for_status(): the first HTTP error (>= 400, 429 included)
//   ends the whole run.
//
// Differences from the script, all neutral or in the baseline's favour:
// - The AQL is `objectType = "Customer" AND "Company" = "<key>"` (the same customers portal-migrate
//   selects) instead of the script's `objectTypeID = 4 AND Company = "<key>" AND (Xboarding = true OR
//   IS_ADMIN = true)`.
// - The portal attribute id (the script hard-codes "91") is read from the first AQL response's
//   `objectTypeAttributes` (the attribute named "Portal Account"), as a user would look it up.
// - Node instead of Python (no interpreter start-up per request, faster JSON); like `requests` without
//   a Session it opens a new connection for every request. No printing per step unless --verbose.
// - The constants the script asks you to paste (cloud id, workspace id, group id, the three base URLs)
//   come from --config.
//
// Usage:
//   ATLASSIAN_EMAIL=... ATLASSIAN_API_TOKEN=... node bench/baseline.js --config F --companies K1,K2 [--json] [--verbose]
// F: {"siteUrl", "adminUrl", "apiUrl", "cloudId", "workspaceId", "groupId", "portalAttribute"?}
// Exit: 0 when every company was processed, 1 when it stopped at an HTTP error, 2 on bad usage.
// With --json the last stdout line is a JSON result (customers found/completed, requests per surface,
// where it stopped, wall time).
import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

class HttpError extends Error {
  constructor(status, method, url, surface, body) {
    super(`${status} Client Error for url: ${url}`);
    this.status = status;
    this.method = method;
    this.url = url;
    this.surface = surface;
    this.body = body;
  }
}

function parseArgs(argv) {
  const out = { json: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") out.json = true;
    else if (a === "--verbose") out.verbose = true;
    else if (a === "--config") out.config = argv[++i];
    else if (a === "--companies") out.companies = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!out.config || out.companies === undefined) throw new Error("usage: baseline.js --config F --companies K1,K2 [--json] [--verbose]");
  return out;
}

export function createBaseline({ siteUrl, adminUrl, apiUrl, cloudId, workspaceId, groupId, portalAttribute = "Portal Account" },
  { email, apiToken, log = () => {} }) {
  const HEADERS = {
    Authorization: "Basic " + Buffer.from(`${email}:${apiToken}`).toString("base64"),
    Accept: "application/json",
    "Content-Type": "application/json",
  };
  const trim = (u) => u.replace(/\/+$/, "");
  const JIRA_API_BASE_URL = `${trim(adminUrl)}/gateway/api/ex/jira`;
  const ASSETS_API_BASE_URL = trim(apiUrl);
  const SITE = trim(siteUrl);
  const requests = { jira: 0, assets: 0, admin: 0, confluence: 0 };
  let portalAttributeId = null;

  // requests.<method>(url, headers, json) + raise_for_status(): one connection per request.
  function send(surface, method, url, headers, json) {
    requests[surface]++;
    const u = new URL(url);
    const body = json === undefined ? null : JSON.stringify(json);
    const lib = u.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(u, {
        method, agent: false,
        headers: { ...headers, ...(body === null ? {} : { "Content-Length": Buffer.byteLength(body) }) },
      }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode >= 400) {
            reject(new HttpError(res.statusCode, method, url, surface, text.slice(0, 300)));
            return;
          }
          resolve({ status: res.statusCode, json: () => JSON.parse(text) });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      if (body !== null) req.write(body);
      req.end();
    });
  }

  async function get_users_by_company_key(company_key) {
    log(`Fetching users for company key: ${company_key}`);
    const url = `${ASSETS_API_BASE_URL}/jsm/assets/workspace/${workspaceId}/v1/object/aql`;
    const payload = { qlQuery: `objectType = "Customer" AND "Company" = "${company_key}"` };
    const response = await send("assets", "POST", url, HEADERS, payload);
    const data = response.json();
    if (portalAttributeId === null) {
      const def = (data.objectTypeAttributes ?? []).find((a) => a.name === portalAttribute || a.id === portalAttribute);
      if (def) portalAttributeId = String(def.id);
    }
    return data.values ?? [];
  }

  function get_customer_portal_id(user) {
    for (const attribute of user.attributes ?? []) {
      if (attribute.objectTypeAttributeId === portalAttributeId) {
        const values = attribute.objectAttributeValues ?? [];
        if (values.length) return values[0].value ?? null;
      }
    }
    return null;
  }

  async function migrate_user_to_atlassian_account(account_id) {
    log(`Migrating user with account ID: ${account_id}`);
    const url = `${JIRA_API_BASE_URL}/${cloudId}/rest/servicedesk/customer-management/noeyeball/1/local-servicedesk-user/migrate-to-atlassian-account-user/${account_id}`;
    const response = await send("admin", "PUT", url, HEADERS);
    const json = response.json();
    log(`Migration response: ${JSON.stringify(json)}`);
    return json;
  }

  async function update_asset_object_with_new_id(asset_id, new_id) {
    log(`Updating asset object ID: ${asset_id} with new ID: ${new_id}`);
    const url = `${ASSETS_API_BASE_URL}/jsm/assets/workspace/${workspaceId}/v1/object/${asset_id}`;
    const payload = { attributes: [{ objectTypeAttributeId: portalAttributeId, objectAttributeValues: [{ value: new_id }] }] };
    await send("assets", "PUT", url, HEADERS, payload);
  }

  async function add_user_to_group(account_id) {
    log(`Adding user with account ID: ${account_id} to group.`);
    const headers = { Authorization: HEADERS.Authorization, "Content-Type": "application/json" };
    const url = `${SITE}/rest/api/3/group/user?groupId=${groupId}`;
    await send("jira", "POST", url, headers, { accountId: `${account_id}` });
  }

  /** main() without input(): the company keys come as a list. */
  async function main(company_keys) {
    const t0 = performance.now();
    const result = { companies: 0, customersFound: 0, customersCompleted: 0, skipped: 0, stoppedAt: null };
    try {
      for (const company_key of company_keys) {
        log(`Processing company key: ${company_key}`);
        const users = await get_users_by_company_key(company_key);
        result.companies++;
        result.customersFound += users.length;
        if (!users.length) {
          log(`No users found for the company key: ${company_key}`);
          continue;
        }
        for (const user of users) {
          const customer_portal_id = get_customer_portal_id(user);
          if (!customer_portal_id) { log("No Customer Portal ID found for this user."); result.skipped++; continue; }
          const migration_response = await migrate_user_to_atlassian_account(customer_portal_id);
          const aa_user_account_id = migration_response?.aaUser?.accountId;
          if (!aa_user_account_id) { log("Migration failed or no Atlassian account ID returned."); result.skipped++; continue; }
          const asset_id = user.id;
          if (!asset_id) { log("Asset ID not found for the user."); result.skipped++; continue; }
          await update_asset_object_with_new_id(asset_id, aa_user_account_id);
          await add_user_to_group(aa_user_account_id);
          result.customersCompleted++;
        }
      }
    } catch (e) {
      if (!(e instanceof HttpError)) {
        result.stoppedAt = { error: e.code ?? e.message };
      } else {
        result.stoppedAt = { status: e.status, method: e.method, surface: e.surface, path: new URL(e.url).pathname, body: e.body };
      }
    }
    result.requests = { ...requests };
    result.portalAttributeId = portalAttributeId;
    result.wallMs = performance.now() - t0;
    return result;
  }

  return { main };
}

async function cli() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`baseline: ${e.message}\n`);
    return 2;
  }
  const email = process.env.ATLASSIAN_EMAIL;
  const apiToken = process.env.ATLASSIAN_API_TOKEN;
  if (!email || !apiToken) {
    process.stderr.write("baseline: set ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN\n");
    return 2;
  }
  const config = JSON.parse(readFileSync(opts.config, "utf8"));
  const keys = opts.companies.split(",").map((k) => k.trim()).filter(Boolean);
  const log = opts.verbose ? (m) => process.stderr.write(m + "\n") : () => {};
  const result = await createBaseline(config, { email, apiToken, log }).main(keys);
  if (result.stoppedAt) process.stderr.write(`baseline: stopped: ${JSON.stringify(result.stoppedAt)}\n`);
  process.stdout.write(opts.json ? JSON.stringify(result) + "\n"
    : `baseline: ${result.customersCompleted} of ${result.customersFound} customers found completed in ${(result.wallMs / 1000).toFixed(1)} s\n`);
  return result.stoppedAt ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await cli();
