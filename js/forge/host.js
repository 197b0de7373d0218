// The core's host for one Forge invocation: fresh settings, product fetch by surface (product.js),
// the egress budget (egress.js), the KVS journal and the job runner. Shared by the handlers
// (handlers.js) and the admin page's resolver (resolver.js); nothing in it outlives the invocation.
import { createAtlassianFetch, secretsOf } from "../core/edge.js";
import { createJobs } from "../core/jobs.js";
import { createEgressBudget } from "./egress.js";
import { kvsJournal } from "./journal.js";
import { createProductFetch } from "./product.js";

const CLOUD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The site's cloudId from the invocation: a resolver's context.cloudId, else the installContext ARI
 * (`ari:cloud:jira::site/{cloudId}`, https://developer.atlassian.com/platform/forge/function-reference/arguments/).
 * Saves the core its /_edge/tenant_info lookup, which is not a REST route product fetch serves.
 */
export function cloudIdOf(context) {
  if (typeof context?.cloudId === "string" && CLOUD_ID.test(context.cloudId)) return context.cloudId;
  const m = /(?:^|:)site\/([0-9a-f-]{36})(?:$|[/?#])/i.exec(String(context?.installContext ?? ""));
  return m && CLOUD_ID.test(m[1]) ? m[1] : null;
}

function missingToken() {
  return async () => {
    const err = new Error("the org admin's API token is not set: save it in the app's admin page");
    err.code = "NO_TOKEN";
    throw err;
  };
}

/**
 * Builds the host for one invocation. `timeoutSeconds` is the function's declared timeout (none:
 * Forge's default), which sets its egress budget. needToken false lets doctor and dry runs work
 * before the token is saved (an admin call then fails with NO_TOKEN).
 */
export async function forgeHost({ platform, core, settings, context, timeoutSeconds, needToken = true, fetchTimeoutMs = 60_000, limits = {}, log = () => {} }) {
  // Tenant safety: Forge may reuse a warm process for another site. Drop the wasm instance so no
  // memory of an earlier invocation survives (the core keeps none, this makes it certain).
  core.reset?.();
  const loaded = await settings.load({ needToken });
  const cloudId = cloudIdOf(context);
  const config = !loaded.config.cloudId && cloudId ? { ...loaded.config, cloudId } : loaded.config;
  const { urls } = loaded;
  // Reserve: customers in flight at the deadline (concurrency) may each still need a migrate
  // call and one resend after a 429, plus a few directory pages.
  const reserve = 2 * (urls.concurrency ?? 4) + 5;
  const sleep = platform.sleep ? (ms) => platform.sleep(ms) : (ms) => new Promise((r) => setTimeout(r, ms));
  const budget = createEgressBudget({ timeoutSeconds, now: () => platform.now(), sleep, reserve });
  const adminFetch = loaded.credentials
    ? createAtlassianFetch({
      fetchImpl: (url, init) => platform.fetch(url, init),
      credentials: loaded.credentials,
      urls,
      origins: new Set([new URL(urls.adminUrl).origin]), // the token goes to the admin gateway only
      timeoutMs: fetchTimeoutMs,
    })
    : missingToken();
  const fetch = createProductFetch({ product: platform.product, urls, adminFetch, budget, timeoutMs: fetchTimeoutMs });
  const journal = kvsJournal(platform.kvs);
  const host = {
    fetch,
    journal,
    secrets: secretsOf(loaded.credentials),
    now: () => platform.now(),
    sleep,
    progress: (e) => {
      if (e.kind === "start" || e.kind === "finish") log("info", `core ${e.kind}`, e);
    },
  };
  const jobs = createJobs({
    core, config, host, limits, log,
    now: () => platform.now(),
    enqueue: (body, opts) => platform.queue.push(body, opts),
  });
  return { config, urls, host, journal, jobs, budget, stats: fetch.stats };
}
