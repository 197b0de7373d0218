// host.fetch for the core: the hosts' shared credentialed fetch (js/core/edge.js) with Node's fetch:
// one request, no redirects followed, a timeout, an answer-size cap, and credentials only for the
// configured Atlassian origins (a URL from an answer must never receive the token).
import { createAtlassianFetch } from "../core/edge.js";

const DEFAULT_TIMEOUT_MS = 60_000;

export function timeoutFromEnv(env = process.env) {
  const v = Number(env.PORTAL_MIGRATE_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_MS;
}

export function createFetch({ credentials, origins, timeoutMs = timeoutFromEnv(), maxBodyBytes }) {
  return createAtlassianFetch({ fetchImpl: fetch, credentials, origins, timeoutMs, maxBodyBytes });
}
