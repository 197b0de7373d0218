// Per-installation settings: the admin page writes them, every handler reads them afresh.
// KVS and its secret storage belong to one installation (one site); `forge variables` belong to
// the app environment, shared by every site (https://developer.atlassian.com/platform/forge/cli-reference/variables-set/),
// so they are only a bootstrap, read when KVS holds nothing.
//
//   settings:config               the core's config object           | PORTAL_MIGRATE_CONFIG (JSON)
//   settings:triggerStatus        status name or id for the trigger  | PORTAL_MIGRATE_TRIGGER_STATUS
//   settings:actionAllowedGroups  groups (names or ids) whose members may run the Automation
//                                 action, besides site-admins          (no variable)
//   kvs secret atlassian:email / atlassian:apiToken  the org admin's account, used only for the
//                                 admin-gateway calls (kvs.setSecret: encrypted, never queryable,
//                                 https://developer.atlassian.com/platform/forge/runtime-reference/storage-api-secret/)
//                                 | ATLASSIAN_EMAIL, ATLASSIAN_API_TOKEN
import { isPlainObject } from "../core/edge.js";

export const CONFIG_KEY = "settings:config";
export const TRIGGER_STATUS_KEY = "settings:triggerStatus";
export const ALLOWED_GROUPS_KEY = "settings:actionAllowedGroups";
export const SECRET_KEYS = Object.freeze({ email: "atlassian:email", apiToken: "atlassian:apiToken" });

const MAX_GROUPS = 50;
const MAX_TEXT = 255;

export function configError(message, path) {
  const err = new Error(message);
  err.code = "CONFIG";
  err.retryable = false;
  if (path) err.path = path;
  return err;
}

const present = (v) => v !== undefined && v !== null && v !== "";

/**
 * Host rules on top of the core's validateConfig: the ones that only hold on Forge.
 * Confluence's graphql mode calls the site's internal /cgraphql, which product fetch does not
 * route (requestConfluence takes /wiki/... REST paths).
 */
export function checkForgeConfig(config) {
  if (config?.confluence?.mode === "graphql") {
    throw configError("config $.confluence.mode: the Forge app grants space access through the documented REST API; use \"rest\"", "$.confluence.mode");
  }
}

export function createSettings({ platform, core }) {
  const env = platform.env ?? {};
  const kvs = platform.kvs;

  async function stored(key) {
    const v = await kvs.get(key);
    return present(v) ? v : null;
  }

  /** The config as stored (object), where it came from, or nulls. */
  async function readConfig() {
    const kv = await stored(CONFIG_KEY);
    if (kv !== null) return { config: typeof kv === "string" ? parseConfig(kv, CONFIG_KEY) : kv, source: "kvs" };
    if (present(env.PORTAL_MIGRATE_CONFIG)) return { config: parseConfig(env.PORTAL_MIGRATE_CONFIG, "PORTAL_MIGRATE_CONFIG"), source: "variable" };
    return { config: null, source: null };
  }

  async function readSecret(name, envName) {
    const v = typeof kvs.getSecret === "function" ? await kvs.getSecret(SECRET_KEYS[name]) : undefined;
    if (present(v)) return { value: String(v), source: "kvs" };
    if (present(env[envName])) return { value: String(env[envName]), source: "variable" };
    return { value: null, source: null };
  }

  async function credentials() {
    const [email, apiToken] = await Promise.all([readSecret("email", "ATLASSIAN_EMAIL"), readSecret("apiToken", "ATLASSIAN_API_TOKEN")]);
    return { email: email.value, apiToken: apiToken.value, status: { email: email.source, apiToken: apiToken.source } };
  }

  async function triggerStatus() {
    const v = (await stored(TRIGGER_STATUS_KEY)) ?? (present(env.PORTAL_MIGRATE_TRIGGER_STATUS) ? env.PORTAL_MIGRATE_TRIGGER_STATUS : null);
    return v === null ? null : String(v);
  }

  async function allowedGroups() {
    const v = await stored(ALLOWED_GROUPS_KEY);
    return Array.isArray(v) ? v.filter((g) => typeof g === "string" && g) : [];
  }

  /**
   * Everything a job needs. Throws CONFIG (no retry helps) when the config is missing or invalid,
   * or when `needToken` and the admin's token is not set.
   */
  async function load({ needToken = true } = {}) {
    const { config } = await readConfig();
    if (config === null) throw configError(`no config: save one in the app's admin page (or set the PORTAL_MIGRATE_CONFIG variable)`);
    const urls = validate(config);
    const creds = await credentials();
    if (needToken && (!creds.email || !creds.apiToken)) {
      throw configError("the org admin's email and API token are not set: save them in the app's admin page (or set ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN)");
    }
    return { config, urls, credentials: creds.email && creds.apiToken ? { email: creds.email, apiToken: creds.apiToken } : null };
  }

  function validate(config) {
    if (!isPlainObject(config)) throw configError("config $: must be a JSON object", "$");
    const urls = core.validateConfig(config); // code CONFIG with the JSON path
    checkForgeConfig(config);
    return urls;
  }

  async function saveConfig(config) {
    const urls = validate(config);
    await kvs.set(CONFIG_KEY, config);
    return urls;
  }

  /** Stores the given secrets (blank ones are left as they are); never returns them. */
  async function saveSecrets({ email, apiToken } = {}) {
    for (const [name, value] of Object.entries({ email, apiToken })) {
      if (value === undefined || value === null || value === "") continue;
      if (typeof value !== "string" || value.length > 1024 || /\s/.test(value.trim())) throw configError(`${name}: must be one line of text without spaces`, `$.${name}`);
      await kvs.setSecret(SECRET_KEYS[name], value.trim());
    }
    return (await credentials()).status;
  }

  async function saveHostSettings({ triggerStatus: status, actionAllowedGroups } = {}) {
    if (status !== undefined) {
      if (status !== null && (typeof status !== "string" || status.length > MAX_TEXT)) throw configError("triggerStatus: a status name or id", "$.triggerStatus");
      if (present(status?.trim?.())) await kvs.set(TRIGGER_STATUS_KEY, status.trim());
      else await kvs.delete?.(TRIGGER_STATUS_KEY);
    }
    if (actionAllowedGroups !== undefined) {
      const ok = Array.isArray(actionAllowedGroups) && actionAllowedGroups.length <= MAX_GROUPS &&
        actionAllowedGroups.every((g) => typeof g === "string" && g.trim() && g.length <= MAX_TEXT);
      if (!ok) throw configError(`actionAllowedGroups: up to ${MAX_GROUPS} group names or ids`, "$.actionAllowedGroups");
      await kvs.set(ALLOWED_GROUPS_KEY, actionAllowedGroups.map((g) => g.trim()));
    }
  }

  return { readConfig, credentials, triggerStatus, allowedGroups, load, validate, saveConfig, saveSecrets, saveHostSettings };
}

function parseConfig(text, where) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw configError(`${where} is not valid JSON: ${e.message}`, "$");
  }
}
