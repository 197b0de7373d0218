// Node host: reads js/pkg/portal_migrate_bg.wasm next to this package.
import { readFileSync } from "node:fs";
import * as glue from "../pkg/portal_migrate.js";
import { createApi } from "./api.js";

const core = createApi(glue, () => {
  const bytes = readFileSync(new URL("../pkg/portal_migrate_bg.wasm", import.meta.url));
  glue.initSync({ module: new WebAssembly.Module(bytes) });
}, { processGuard: true });

export const {
  migrate, validateConfig, version, doctor, reportCsv, jobId,
  planJob, jobLimits, retryDelay, afterChunk, listJobs, getJob, discardJob, redact,
} = core.exports;
export const reset = core.reset;
export default core.exports;

/** Instantiates (once) and returns { exports, instantiateMs } — instantiateMs is the
 *  time of the first instantiation (read + compile + instantiate + start). */
export function load() {
  core.init();
  return { exports: core.exports, instantiateMs: core.stats.instantiateMs };
}
