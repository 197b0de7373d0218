// The host object handed to the core for a real site: fetch with the env secrets, a journal, and
// the secrets the core keeps out of every report, error and journal record.
import { createFetch, timeoutFromEnv } from "./fetch.js";
import { trustedOrigins } from "./config.js";
import { secretsOf } from "../core/edge.js";

export function realHost({ urls, credentials, journal }) {
  return {
    fetch: createFetch({ credentials, origins: trustedOrigins(urls), timeoutMs: timeoutFromEnv() }),
    journal,
    secrets: secretsOf(credentials),
  };
}
