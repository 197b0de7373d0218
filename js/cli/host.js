// The host object handed to the core for a real site: fetch with the env secrets, a journal.
import { createFetch, timeoutFromEnv } from "./fetch.js";
import { trustedOrigins } from "./config.js";

export function realHost({ urls, credentials, journal }) {
  return {
    fetch: createFetch({ credentials, origins: trustedOrigins(urls), timeoutMs: timeoutFromEnv() }),
    journal,
  };
}
