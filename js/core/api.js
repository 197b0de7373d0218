// Shared wrapping for every host loader (node.js, worker.js, forge.js).
//
// createApi(glue, instantiate, options) takes the wasm-bindgen `--target web` glue and a
// function that instantiates it once (glue.initSync({ module })). It returns
// { exports, init, reset, stats }: `exports` holds every function the wasm exports
// (migrate, validateConfig, version, ...), instantiating lazily on first use.
//
// Traps: panic = "abort" turns a Rust panic into a WebAssembly.RuntimeError and leaves the
// instance unusable. A trap marks the instance dead, rejects every pending async call
// (code INTERNAL), and the next call runs on a fresh instance (glue.__wbg_reset_state,
// from wasm-bindgen --experimental-reset-state-function).
// - A sync export traps inside the call: caught here.
// - An async export (migrate) traps inside a microtask, outside any call, which Node
//   reports as an uncaught exception. With options.processGuard (Node, Forge) a
//   process 'uncaughtException' listener takes wasm traps (and stale-closure errors of a
//   dead instance) and leaves every other error to Node's default handling.
// - If the Rust panic hook calls globalThis.__portalMigratePanic(message) before it
//   aborts, that message goes into the error.

const SKIP = new Set(["default", "initSync"]);
const EXPECTED = [
  "migrate", "validateConfig", "version", "doctor", "reportCsv", "jobId",
  "planJob", "jobLimits", "retryDelay", "afterChunk", "listJobs", "getJob", "discardJob", "redact",
];
const live = new Set();

const isClass = (f) => /^class\b/.test(Function.prototype.toString.call(f));
const isTrap = (err) => err instanceof WebAssembly.RuntimeError;
const isStale = (err) => err instanceof Error && /from previous W[Aa][Ss][Mm] instance/.test(err.message);

globalThis.__portalMigratePanic ??= (message) => {
  for (const api of live) api.stats.lastPanic = String(message);
};

function internalError(message, cause) {
  const err = new Error(message, cause === undefined ? undefined : { cause });
  err.code = "INTERNAL";
  return err;
}

export function createApi(glue, instantiate, { processGuard = false } = {}) {
  let state = "cold"; // cold | ready | dead
  const stats = { instantiateMs: null, instances: 0, traps: 0, lastPanic: null };
  const pending = new Set(); // reject functions of async calls in flight

  function init() {
    if (state === "ready") return;
    const t0 = performance.now();
    if (state === "cold") {
      instantiate();
      if (processGuard) guardProcess();
    } else if (typeof glue.__wbg_reset_state === "function") {
      glue.__wbg_reset_state();
    } else {
      throw internalError("the wasm core trapped and the glue cannot re-instantiate (build without --experimental-reset-state-function?)");
    }
    const ms = performance.now() - t0;
    stats.instantiateMs ??= ms;
    stats.instances++;
    stats.lastPanic = null;
    state = "ready";
  }

  // Marks the instance dead; returns the error to report (code INTERNAL).
  function trapped(cause) {
    const why = stats.lastPanic ? `panicked: ${stats.lastPanic}` : `trapped: ${cause?.message ?? cause}`;
    const err = internalError(`portal-migrate wasm core ${why}`, cause);
    if (state !== "ready") return err;
    state = "dead";
    stats.traps++;
    const rejects = [...pending];
    pending.clear();
    for (const reject of rejects) reject(err);
    return err;
  }

  function guardProcess() {
    if (typeof process !== "object" || typeof process?.on !== "function") return;
    process.on("uncaughtException", function portalMigrateTrapGuard(err, origin) {
      if (isTrap(err)) {
        const hadPending = pending.size > 0;
        const report = trapped(err);
        if (!hadPending) console.error(report.message);
        return;
      }
      if (isStale(err)) return; // a host promise settled for a call of a dead instance
      if (process.listenerCount("uncaughtException") > 1) return; // someone else handles it
      // Only listener: do what Node does without one.
      console.error(origin === "unhandledRejection" && !(err instanceof Error) ? `Unhandled rejection: ${err}` : (err?.stack ?? err));
      process.exit(1);
    });
  }

  function wrap(name, fn) {
    const wrapped = function (...args) {
      init();
      let out;
      try {
        out = fn.apply(this, args);
      } catch (err) {
        throw isTrap(err) ? trapped(err) : err;
      }
      if (!out || typeof out.then !== "function") return out;
      return new Promise((resolve, reject) => {
        pending.add(reject);
        out.then(
          (value) => { pending.delete(reject); resolve(value); },
          (err) => { pending.delete(reject); reject(isTrap(err) ? trapped(err) : err); },
        );
      });
    };
    Object.defineProperty(wrapped, "name", { value: name });
    return wrapped;
  }

  const exports = {};
  for (const [name, value] of Object.entries(glue)) {
    if (SKIP.has(name) || name.startsWith("__wbg") || name.startsWith("__wbindgen")) continue;
    exports[name] = typeof value === "function" && !isClass(value) ? wrap(name, value) : value;
  }
  for (const name of EXPECTED) {
    exports[name] ??= () => {
      throw internalError(`the wasm core has no export "${name}" (stale js/pkg? run: npm run build)`);
    };
  }

  const api = {
    exports,
    init,
    /** Drops the current instance; the next call gets a fresh one (e.g. per Forge invocation). */
    reset() { if (state === "ready") state = "dead"; },
    stats,
  };
  live.add(api);
  return api;
}
