// One cold start under Node: a fresh process imports js/core/node.js and calls load() (read the .wasm,
// compile, instantiate, run the start function). Prints {"instantiateMs": ..., "version": ...}.
const t0 = performance.now();
const { load } = await import("../../js/core/node.js");
const importMs = performance.now() - t0;
const { exports, instantiateMs } = load();
process.stdout.write(JSON.stringify({ instantiateMs, importMs, version: exports.version() }) + "\n");
