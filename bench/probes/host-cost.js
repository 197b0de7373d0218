// Preloaded into a CLI child by bench/hosts.js (`node --import bench/probes/host-cost.js …`). At
// exit it writes to $PORTAL_MIGRATE_HOST_PROBE: the process's CPU time (user, system), its peak RSS,
// and how many fsync calls it made (fs.fsync and fs.fsyncSync are counted by wrapping them on the
// node:fs object the CLI's journal calls them through).
import fs from "node:fs";

const out = process.env.PORTAL_MIGRATE_HOST_PROBE;
const counts = { fsync: 0, fsyncSync: 0 };
if (out) {
  const { fsync, fsyncSync, writeFileSync, readFileSync } = fs;
  fs.fsync = function (...args) { counts.fsync++; return fsync.apply(this, args); };
  fs.fsyncSync = function (...args) { counts.fsyncSync++; return fsyncSync.apply(this, args); };
  process.on("exit", () => {
    const cpu = process.cpuUsage();
    let vmHwmBytes = null;
    try {
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
      vmHwmBytes = m ? Number(m[1]) * 1024 : null;
    } catch { /* not Linux */ }
    try {
      writeFileSync(out, JSON.stringify({ cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, fsyncs: counts.fsync + counts.fsyncSync, ...counts, vmHwmBytes, uptimeMs: process.uptime() * 1000 }));
    } catch { /* nothing to report to */ }
  });
}
