// Shared helpers for the bench scenarios: simulators, child processes with time limits, the CLI and
// the baseline as children, per-surface call counts, formatting.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startSimulator } from "../../js/sim/index.js";
import { ROUTES } from "../../js/sim/server.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = path.join(ROOT, "js/cli/main.js");
/** The environment and Node flags the CLI's launcher line (`#!/usr/bin/env -S [NAME=value …] node
 *  …`) gives it, so the bench runs the CLI as its users do even though it adds a probe with --import. */
const LAUNCHER = /^#!\S*env -S((?:\s+[A-Za-z_][A-Za-z0-9_]*=\S*)*)\s+node(.*)$/.exec(readFileSync(CLI, "utf8").split("\n", 1)[0]);
export const CLI_NODE_FLAGS = LAUNCHER ? LAUNCHER[2].trim().split(/\s+/).filter(Boolean) : [];
export const CLI_ENV = Object.fromEntries((LAUNCHER?.[1] ?? "").trim().split(/\s+/).filter(Boolean).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
export const BASELINE = path.join(ROOT, "bench/baseline.js");
export const WASM_PROBE = path.join(ROOT, "bench/probes/wasm-memory.js");
export const SURFACES = ["jira", "assets", "admin", "confluence"];
export const SEED = 42;

/** A scratch directory under the OS temp dir, removed by `cleanup()`. */
export function scratch() {
  const dir = mkdtempSync(path.join(tmpdir(), "portal-migrate-bench-"));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh seeded simulator on loopback. Every run (portal-migrate or baseline) gets its own, so both
 * start from the same tenant.
 */
export async function freshSim({ companies, customersPerCompany, latencyMs, seed = SEED, settings = {} }) {
  const sim = await startSimulator({ port: 0, seed, scenario: { companies, customersPerCompany }, latencyMs, settings, quiet: true });
  const t = sim.simulator.tenant;
  const config = sim.config();
  return {
    sim,
    url: sim.url,
    config,
    customers: companies * customersPerCompany,
    // What a user of the community script pastes into its constants.
    constants: { cloudId: t.cloudId, workspaceId: t.assets.workspaceId, groupId: config.groups[0] },
    /** Control plane (POST /__sim/...), over loopback HTTP like any client. */
    async control(route, body) {
      const res = await fetch(`${sim.url}/__sim/${route}`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`sim control ${route}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    /** Requests the simulator received per surface (rate-limited ones included) and the 429s it sent. */
    counts() {
      const s = sim.simulator;
      return { calls: { ...s.calls.bySurface }, limited: { ...s.ratelimit.limited }, byRoute: { ...s.calls.byRoute } };
    },
    migrations: () => sim.simulator.tenant.customers.migrations.length,
    close: () => sim.close(),
  };
}

/**
 * Runs a child process with a hard time limit (SIGKILL of the child's own pid when it is exceeded).
 * Resolves { code, signal, timedOut, wallMs, stdout, stderr }.
 */
export function runChild(command, args, { env = {}, timeoutMs, cwd = ROOT, onStderrLine } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", pending = "", timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d) => { stdout += d; });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      if (!onStderrLine) { stderr += d; return; }
      pending += d;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!onStderrLine(line)) stderr += line + "\n";
      }
    });
    const timer = timeoutMs === undefined ? null : setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, Math.max(1, timeoutMs));
    child.on("error", (e) => { if (timer) clearTimeout(timer); reject(e); });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (pending && onStderrLine && !onStderrLine(pending)) stderr += pending;
      resolve({ code, signal, timedOut, wallMs: performance.now() - t0, stdout, stderr, pid: child.pid });
    });
  });
}

/**
 * portal-migrate through its CLI as a child process (the real user path): `run --config F --company K...
 * --report F --progress none|json --concurrency N --journal F`, secrets in the environment. The child is
 * started with `--import bench/probes/wasm-memory.js`, which records its peak RSS (VmHWM) and the wasm
 * memory size when it exits.
 */
export async function runCli(s, { concurrency, timeoutMs, progressJson = false, label = "cli", mode, config: given }) {
  const tmp = scratch();
  try {
    const base = given ?? s.config;
    const config = { ...base, concurrency, ...(mode ? { migrate: { ...(base.migrate ?? {}), mode } } : {}) };
    const configFile = tmp.file("config.json");
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const reportFile = tmp.file("report.json");
    const journalFile = tmp.file("journal.jsonl");
    const probeFile = tmp.file("probe.json");
    const args = [
      ...CLI_NODE_FLAGS, "--import", WASM_PROBE, CLI, "run", "--config", configFile,
      ...config.companies.flatMap((k) => ["--company", k]),
      "--report", reportFile, "--journal", journalFile, "--concurrency", String(concurrency),
      "--progress", progressJson ? "json" : "none", "--quiet",
    ];
    const waits = [];
    const r = await runChild(process.execPath, args, {
      timeoutMs,
      env: {
        ...CLI_ENV,
        ATLASSIAN_EMAIL: s.sim.credentials.email, ATLASSIAN_API_TOKEN: s.sim.credentials.apiToken,
        PORTAL_MIGRATE_BENCH_PROBE: probeFile, PORTAL_MIGRATE_STATE_DIR: tmp.file("state"),
      },
      onStderrLine: progressJson ? (line) => {
        if (!line.startsWith("{")) return false;
        try {
          const e = JSON.parse(line);
          if (e.kind === "waiting") waits.push(e);
          return true;
        } catch { return false; }
      } : undefined,
    });
    const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, "utf8")) : null;
    const probe = existsSync(probeFile) ? JSON.parse(readFileSync(probeFile, "utf8")) : null;
    const failures = {};
    for (const c of report?.customers ?? []) {
      if (c.status !== "failed") continue;
      const key = `${c.failedStep ?? "?"}: ${String(c.error ?? "").replace(/\s+/g, " ").slice(0, 200)}`;
      failures[key] = (failures[key] ?? 0) + 1;
    }
    const out = {
      label, tool: "portal-migrate", mode: config.migrate?.mode ?? "bulk", failures, concurrency, exitCode: r.code, signal: r.signal, timedOut: r.timedOut,
      wallMs: r.wallMs, summary: r.stdout.trim().split("\n").filter(Boolean).pop() ?? "",
      stderr: r.stderr.trim().slice(-2000),
      totals: report?.totals ?? null, stats: report?.stats ?? null,
      reportBytes: existsSync(reportFile) ? readFileSync(reportFile).length : null,
      journalBytes: existsSync(journalFile) ? readFileSync(journalFile).length : null,
      probe, waits: summariseWaits(waits),
    };
    return out;
  } finally {
    tmp.cleanup();
  }
}

function summariseWaits(waits) {
  const bySurface = {};
  for (const w of waits) {
    const b = (bySurface[w.surface ?? "?"] ??= { events: 0, totalMs: 0, reasons: {} });
    b.events++;
    b.totalMs += Number(w.ms) || 0;
    const reason = String(w.reason ?? "?");
    b.reasons[reason] = (b.reasons[reason] ?? 0) + 1;
  }
  return { events: waits.length, bySurface };
}

/** The community-script baseline (bench/baseline.js) as a child process, same simulator settings. */
export async function runBaseline(s, { timeoutMs, label = "baseline" }) {
  const tmp = scratch();
  try {
    const configFile = tmp.file("config.json");
    writeFileSync(configFile, JSON.stringify({
      siteUrl: s.config.siteUrl, adminUrl: s.config.adminUrl, apiUrl: s.config.apiUrl, ...s.constants,
    }));
    const args = [BASELINE, "--config", configFile, "--companies", s.config.companies.join(","), "--json"];
    const r = await runChild(process.execPath, args, {
      timeoutMs,
      env: { ATLASSIAN_EMAIL: s.sim.credentials.email, ATLASSIAN_API_TOKEN: s.sim.credentials.apiToken },
    });
    let result = null;
    try { result = JSON.parse(r.stdout.trim().split("\n").pop()); } catch { /* reported below */ }
    return {
      label, tool: "baseline", exitCode: r.code, signal: r.signal, timedOut: r.timedOut, wallMs: r.wallMs,
      result, stderr: r.stderr.trim().slice(-2000),
    };
  } finally {
    tmp.cleanup();
  }
}

/** Difference of two per-surface count objects. */
export function diff(after, before = {}) {
  const out = {};
  for (const k of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const v = (after[k] ?? 0) - (before[k] ?? 0);
    if (v) out[k] = v;
  }
  return out;
}

export const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The simulator's config without a Confluence space per company: the three steps per customer the
 * issue's request target counts (migrate, write-back, one group), and the baseline's steps.
 */
export function noConfluence(config) {
  const { companyQuery, spaceKeyAttribute, ...assets } = config.assets;
  const { confluence, ...rest } = config;
  return { ...rest, assets };
}

/** Requests per customer by route ("GET bulkUsers" → per customer), null when none completed. */
export function perRoute(byRoute, customers) {
  if (!customers) return null;
  return Object.fromEntries(Object.entries(byRoute ?? {}).map(([k, v]) => [k, v / customers]));
}

/** "GET bulkUsers" → "GET /rest/api/3/user/bulk" (the simulator's route table). */
export function routePath(key) {
  const [method, name] = key.split(" ");
  const r = ROUTES.find((x) => x.method === method && x.name === name);
  return r ? `${method} ${r.path}` : key;
}

/** Requests per customer by surface (null when no customer completed). */
export function perCustomer(calls, customers) {
  if (!customers) return null;
  const out = {};
  for (const s of SURFACES) if (calls[s]) out[s] = calls[s] / customers;
  return out;
}

export const secs = (ms) => (ms === null || ms === undefined ? "–" : (ms / 1000).toFixed(1));
export const mb = (bytes) => (bytes === null || bytes === undefined ? "–" : (bytes / 1048576).toFixed(1));
export const kib = (bytes) => (bytes === null || bytes === undefined ? "–" : (bytes / 1024).toFixed(1));
export const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(n === d ? 0 : 1)}%` : "–");

/** "jira 2.00 · assets 1.20 · … = 5.20" */
export function fmtPerCustomer(pc) {
  if (!pc) return "–";
  const parts = SURFACES.filter((s) => pc[s]).map((s) => `${s} ${pc[s].toFixed(2)}`);
  return `${parts.join(" · ")} = ${sum(pc).toFixed(2)}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
