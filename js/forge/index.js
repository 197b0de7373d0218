// The Forge host of portal-migrate. src/forge.js (the entry Forge's bundler resolves from
// manifest.yml handlers `forge.<name>`) wires these with the real platform and the wasm core.
//   handlers.js  the five handlers, built by createHandlers({ platform, core })
//   resolver.js  the admin page's resolver, built by createResolver({ platform, core })
//   host.js      the core's host for one invocation (settings, fetch, journal, jobs)
//   product.js   host.fetch by surface: product fetch as the app, egress only for the admin gateway
//   egress.js    the per-invocation external-fetch budget
//   settings.js  per-installation settings and secrets (KVS)
//   access.js    who may run the action / use the admin page
//   platform.js  the only file importing @forge/api, @forge/kvs, @forge/events, @forge/resolver
//   journal.js   the core's journal on Forge KVS
//   ui/          the Custom UI pages (admin page, action config form) and their bridge build
//   ../core/jobs.js  inline-or-queue job runner and job records (host-neutral, shared with the Worker)
//   ../core/edge.js  caller auth, body limits, error bodies, the credentialed fetch (host-neutral)
export { createHandlers, statusChange, actionRequest, CONFIG_KEY, TRIGGER_STATUS_KEY, DEFAULT_BUDGETS } from "./handlers.js";
export { createResolver, sourcesOf } from "./resolver.js";
export { createProductFetch, productPath, splitUrl } from "./product.js";
export { createEgressBudget, budgetFor, PER_MINUTE } from "./egress.js";
export { createSettings, ALLOWED_GROUPS_KEY, SECRET_KEYS } from "./settings.js";
export { actorAllowed, callerIsAdmin } from "./access.js";
export { forgeHost, cloudIdOf } from "./host.js";
export { kvsJournal, escapeKey, unescapeKey } from "./journal.js";
export { createJobs, readStatus } from "../core/jobs.js";
