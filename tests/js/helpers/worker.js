// Runs the Worker as deployed: wrangler bundles js/worker/index.js exactly as `wrangler deploy`
// would (dry run, offline) and miniflare runs that bundle in workerd with its real Queue, Durable
// Object and rate-limit implementations, configured from js/worker/wrangler.toml. Outbound
// fetches go to a real simulator on 127.0.0.1.
//
// Versions: miniflare 4.20260426.0 and wrangler 4.86.0 are the last that run on Node 20 (later
// ones need Node >= 22).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const CONFIG = path.join(ROOT, "js/worker/wrangler.toml");
export const ORIGIN = "https://portal-migrate.example.workers.dev";
export const SECRETS = Object.freeze({
  PORTAL_MIGRATE_TOKEN: "worker-bearer-token-0123456789",
  PORTAL_MIGRATE_HMAC_SECRET: "worker-hmac-secret-0123456789",
  PORTAL_MIGRATE_READ_TOKEN: "worker-read-token-0123456789",
});

/** The deployable bundle in a temporary directory; `dispose()` removes it. */
export async function buildBundle() {
  const outdir = mkdtempSync(path.join(tmpdir(), "portal-migrate-worker-"));
  await promisify(execFile)(process.execPath, [
    path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir, "-c", CONFIG,
  ], { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" }, timeout: 60_000 });
  return { outdir, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}

/**
 * A Miniflare running the bundle against `sim`. `vars` override bindings; `ratelimits: false`
 * drops the rate-limit bindings (the Worker then uses its in-memory fallback). `stdio` collects
 * the Worker's output.
 */
export async function startWorker({ outdir, sim, vars = {}, ratelimits = true, stdio = [] }) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(CONFIG);
  const options = { ...workerOptions };
  if (!ratelimits) delete options.ratelimits;
  const mf = new Miniflare({
    ...options,
    name: "portal-migrate",
    modules: true,
    scriptPath: path.join(outdir, "index.js"),
    modulesRoot: outdir,
    bindings: {
      ...workerOptions.bindings,
      PORTAL_MIGRATE_CONFIG: JSON.stringify(sim.config()),
      ATLASSIAN_EMAIL: sim.credentials.email,
      ATLASSIAN_API_TOKEN: sim.credentials.apiToken,
      ...SECRETS,
      // A chunk may start customers for 1 s (6 s minus the core's 5 s per-customer estimate).
      PORTAL_MIGRATE_CHUNK_MS: "6000",
      ...vars,
    },
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", (d) => stdio.push(String(d)));
      stderr.on("data", (d) => stdio.push(String(d)));
    },
  });
  await mf.ready;
  return mf;
}

/** Every address gets its own rate-limit bucket: tests that are not about throttling use a fresh one. */
let nextIp = 1;
export function freshIp() {
  const n = nextIp++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
