// Preloaded into the CLI child with `node --import bench/probes/wasm-memory.js js/cli/main.js ...`.
// When the process exits it writes, to $PORTAL_MIGRATE_BENCH_PROBE:
//   vmHwmBytes      peak resident set size of this process (/proc/self/status VmHWM)
//   wasmMemoryBytes the wasm instance's linear memory (memory.buffer.byteLength) after the job;
//                   linear memory never shrinks, so this is also its peak
//   heapUsedBytes, externalBytes, rssAtExitBytes  (process.memoryUsage() at exit)
//   peakHeapUsedBytes, peakExternalBytes  the largest JS heap and external (Buffers, strings held
//                   outside the heap) seen by a sampler every 200 ms (an unref'd timer) and at exit
// It imports the same glue module URL as js/core/node.js, so it sees the CLI's instance. The glue's
// initSync() returns the live instance's exports when one exists (and throws when none does).
import { readFileSync, writeFileSync } from "node:fs";
import * as glue from "../../js/pkg/portal_migrate.js";

const out = process.env.PORTAL_MIGRATE_BENCH_PROBE;

function vmHwm() {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const peak = { heapUsed: 0, external: 0 };
function sample() {
  const mu = process.memoryUsage();
  peak.heapUsed = Math.max(peak.heapUsed, mu.heapUsed);
  peak.external = Math.max(peak.external, mu.external);
  return mu;
}

if (out) {
  setInterval(sample, 200).unref();
  process.on("exit", () => {
    let wasmMemoryBytes = null;
    try {
      wasmMemoryBytes = glue.initSync()?.memory?.buffer?.byteLength ?? null;
    } catch {
      // the CLI never instantiated the core
    }
    const mu = sample();
    try {
      writeFileSync(out, JSON.stringify({
        vmHwmBytes: vmHwm(), wasmMemoryBytes, heapUsedBytes: mu.heapUsed, externalBytes: mu.external,
        peakHeapUsedBytes: peak.heapUsed, peakExternalBytes: peak.external,
        arrayBuffersBytes: mu.arrayBuffers, rssAtExitBytes: mu.rss,
      }));
    } catch {
      // nothing to report to
    }
  });
}
