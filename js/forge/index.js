// The Forge host of portal-migrate. src/forge.js (the entry Forge's bundler resolves from
// manifest.yml handlers `forge.<name>`) wires these with the real platform and the wasm core.
//   handlers.js  the five handlers, built by createHandlers({ platform, core })
//   platform.js  the only file importing @forge/api, @forge/kvs, @forge/events
//   journal.js   the core's journal on Forge KVS
//   ../core/jobs.js  inline-or-queue job runner and job records (host-neutral, shared with the Worker)
//   ../core/edge.js  caller auth, body limits, error bodies, the credentialed fetch (host-neutral)
export { createHandlers, statusChange, actionRequest, CONFIG_KEY, TRIGGER_STATUS_KEY, DEFAULT_BUDGETS } from "./handlers.js";
export { kvsJournal, escapeKey, unescapeKey } from "./journal.js";
export { createJobs, readStatus } from "../core/jobs.js";
