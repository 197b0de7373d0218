// Forge host: Forge's bundler cannot import .wasm files, so the module comes inlined as
// base64 (js/pkg/portal_migrate_bg_wasm_b64.js, written by scripts/build.sh).
import { wasmBase64 } from "../pkg/portal_migrate_bg_wasm_b64.js";
import * as glue from "../pkg/portal_migrate.js";
import { createApi } from "./api.js";

const core = createApi(glue, () => glue.initSync({ module: Buffer.from(wasmBase64, "base64") }), {
  processGuard: true,
});

export const {
  migrate, validateConfig, version, doctor, reportCsv, jobId,
  planJob, jobLimits, retryDelay, afterChunk, listJobs, getJob, discardJob, redact,
} = core.exports;
export const reset = core.reset;
export default core.exports;
