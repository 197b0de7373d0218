// Cloudflare Worker host: wrangler turns the .wasm import into a WebAssembly.Module
// (Workers refuse to compile wasm from bytes at run time).
import wasmModule from "../pkg/portal_migrate_bg.wasm";
import * as glue from "../pkg/portal_migrate.js";
import { createApi } from "./api.js";

const core = createApi(glue, () => glue.initSync({ module: wasmModule }));

export const {
  migrate, validateConfig, version, doctor, reportCsv, jobId,
  planJob, jobLimits, retryDelay, afterChunk, listJobs, getJob, discardJob, redact,
} = core.exports;
export const reset = core.reset;
export default core.exports;
