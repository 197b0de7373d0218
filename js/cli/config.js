// The config file and the secrets: read, validated by the core (errors name the JSON path), and the
// origins that may receive the Authorization header.
import { readFileSync } from "node:fs";
import { validateConfig } from "../core/node.js";
import { UsageError } from "./errors.js";

export function readConfigFile(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${e.code ?? e.message}`);
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config ${file} is not valid JSON: ${e.message}`);
  }
  return config;
}

/** Validates with the core; returns the normalised URLs ({siteUrl, adminUrl, apiUrl}). */
export function checkConfig(config) {
  try {
    return validateConfig(config);
  } catch (e) {
    if (e?.code === "CONFIG" || e?.code === "REQUEST") throw new UsageError(e.message);
    throw e;
  }
}

export function secretsFromEnv(env = process.env) {
  for (const name of ["ATLASSIAN_EMAIL", "ATLASSIAN_API_TOKEN"]) {
    if (!env[name]) throw new UsageError(`missing ${name} (set it in the environment)`);
  }
  return { email: env.ATLASSIAN_EMAIL, apiToken: env.ATLASSIAN_API_TOKEN };
}

/** Origins (scheme://host:port) that get the credentials, as the core decided them (validateConfig). */
export function trustedOrigins(urls) {
  return new Set(urls.origins ?? [urls.siteUrl, urls.adminUrl, urls.apiUrl].map((u) => new URL(u).origin));
}
