// Measures the CLI host's own costs (the journal and the transport), before and after the
// index + group commit journal and the keep-alive node:http client (HACKING.md "The CLI's
// journal", js/cli/fetch.js). Measurement only; nothing here is a target.
//
//   node bench/hosts.js                  # S1's tenant (1,000 customers, 50 ms latency), concurrency 16 and 32
//   BENCH_BEFORE=<commit> BENCH_RUNS=2 node bench/hosts.js
//
// Variants, each a CLI child process against a fresh simulator on 127.0.0.1 (same seed, tenant
// and latency as S1):
//   before         the CLI of commit BENCH_BEFORE (default c24e267: Map journal, fsyncSync per put,
//                  global fetch), exported with `git archive` into a temp dir, with this js/pkg
//   journal only   this CLI with PORTAL_MIGRATE_TRANSPORT=fetch (new journal, old transport)
//   undici Agent   this CLI, global fetch replaced by npm undici's fetch on a keep-alive Agent
//                  (bench/probes/undici-agent.js)
//   after          this CLI as shipped (new journal, node:http keep-alive client)
// Each child runs with bench/probes/host-cost.js preloaded (CPU time, fsync calls, peak RSS).
//
// Then the journal's memory: a journal file from a real 1,000-customer run is opened by the
// before and after journal modules in a fresh `node --expose-gc` each; the retained heap after a
// full GC, divided by the customers, is the journal's memory per customer.
//
// Writes bench/results/hosts.md and bench/results/hosts.json.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLI_ENV, CLI_NODE_FLAGS, ROOT, freshSim, runChild, scratch, sum } from "./scenarios/lib.js";

const BEFORE = process.env.BENCH_BEFORE ?? "c24e267";
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const SHAPE = { companies: 20, customersPerCompany: 50, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 50) };
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "16,32").split(",").map(Number);
const COST_PROBE = path.join(ROOT, "bench/probes/host-cost.js");
const UNDICI_PROBE = path.join(ROOT, "bench/probes/undici-agent.js");

function exportBefore() {
  const dir = mkdtempSync(path.join(tmpdir(), "portal-migrate-before-"));
  const tar = execFileSync("git", ["archive", "--format=tar", BEFORE, "js/cli", "js/core", "js/sim"], { cwd: ROOT, maxBuffer: 64 << 20 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  mkdirSync(path.join(dir, "js"), { recursive: true });
  symlinkSync(path.join(ROOT, "js/pkg"), path.join(dir, "js/pkg"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  return dir;
}

const variants = (beforeDir) => [
  { name: "before", cli: path.join(beforeDir, "js/cli/main.js"), env: {}, imports: [] },
  { name: "journal only", cli: path.join(ROOT, "js/cli/main.js"), env: { PORTAL_MIGRATE_TRANSPORT: "fetch" }, imports: [] },
  { name: "undici Agent", cli: path.join(ROOT, "js/cli/main.js"), env: { PORTAL_MIGRATE_TRANSPORT: "fetch" }, imports: [UNDICI_PROBE] },
  { name: "after", cli: path.join(ROOT, "js/cli/main.js"), env: {}, imports: [] },
];

async function runVariant(v, concurrency, { keepJournal } = {}) {
  const s = await freshSim(SHAPE);
  const tmp = scratch();
  try {
    const config = { ...s.config, concurrency };
    const configFile = tmp.file("config.json");
    writeFileSync(configFile, JSON.stringify(config));
    const reportFile = tmp.file("report.json");
    const journalFile = tmp.file("journal.jsonl");
    const probeFile = tmp.file("probe.json");
    const args = [
      ...CLI_NODE_FLAGS, "--import", COST_PROBE, ...v.imports.flatMap((m) => ["--import", m]), v.cli, "run", "--config", configFile,
      ...config.companies.flatMap((k) => ["--company", k]),
      "--report", reportFile, "--journal", journalFile, "--concurrency", String(concurrency), "--progress", "none", "--quiet",
    ];
    const r = await runChild(process.execPath, args, {
      timeoutMs: 180_000,
      env: {
        ...CLI_ENV,
        ATLASSIAN_EMAIL: s.sim.credentials.email, ATLASSIAN_API_TOKEN: s.sim.credentials.apiToken,
        PORTAL_MIGRATE_HOST_PROBE: probeFile, PORTAL_MIGRATE_STATE_DIR: tmp.file("state"), ...v.env,
      },
    });
    const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, "utf8")) : null;
    const probe = existsSync(probeFile) ? JSON.parse(readFileSync(probeFile, "utf8")) : null;
    const completed = report?.totals ? report.totals.migrated + report.totals.alreadyMigrated : 0;
    const requests = sum(s.counts().calls);
    if (keepJournal && existsSync(journalFile)) copyFileSync(journalFile, keepJournal);
    const cpuMs = probe ? probe.cpuUserMs + probe.cpuSystemMs : null;
    return {
      variant: v.name, concurrency, exitCode: r.code, wallMs: r.wallMs, completed, customers: s.customers, requests,
      requestsPerSecond: requests / (r.wallMs / 1000), cpuMs, cpuUserMs: probe?.cpuUserMs ?? null, cpuSystemMs: probe?.cpuSystemMs ?? null,
      cpuMsPerCustomer: cpuMs === null || !completed ? null : cpuMs / completed,
      cpuShareOfWall: cpuMs === null ? null : cpuMs / r.wallMs,
      fsyncs: probe?.fsyncs ?? null, fsyncsPerCustomer: probe && completed ? probe.fsyncs / completed : null,
      peakRssBytes: probe?.vmHwmBytes ?? null, journalBytes: existsSync(journalFile) ? readFileSync(journalFile).length : null,
      stderr: r.stderr.trim().slice(-500),
    };
  } finally {
    tmp.cleanup();
    await s.close();
  }
}

/** Retained heap of one journal module holding `file` open, in a fresh process (after full GCs). */
function journalHeap(modulePath, file) {
  const code = `
    const { openJournal } = await import(${JSON.stringify(modulePath)});
    const gc = () => { for (let i = 0; i < 4; i++) globalThis.gc(); };
    // warm up on a tiny copy first, so compiled code is not counted as journal memory
    const fs = await import("node:fs");
    const warm = ${JSON.stringify(file)} + ".warm";
    fs.writeFileSync(warm, fs.readFileSync(${JSON.stringify(file)}, "utf8").split(String.fromCharCode(10)).slice(0, 20).join(String.fromCharCode(10)) + String.fromCharCode(10));
    const w = openJournal(warm, { readOnly: true });
    await w.get("nothing");
    await w.list("customer/");
    w.close();
    gc();
    const before = process.memoryUsage().heapUsed;
    const j = openJournal(${JSON.stringify(file)}, { readOnly: true });
    gc();
    const after = process.memoryUsage().heapUsed;
    const keys = (await j.list("customer/")).length;
    const records = (await j.list("")).length;
    process.stdout.write(JSON.stringify({ retainedBytes: after - before, keys, records }));
    j.close();`;
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], { encoding: "utf8" });
  return JSON.parse(out);
}

const f1 = (x) => (x === null || x === undefined ? "–" : x.toFixed(1));
const f2 = (x) => (x === null || x === undefined ? "–" : x.toFixed(2));

async function main() {
  const beforeDir = exportBefore();
  const runs = [];
  const keep = path.join(mkdtempSync(path.join(tmpdir(), "portal-migrate-journal-")), "journal.jsonl");
  try {
    for (const concurrency of CONCURRENCIES) {
      for (let i = 0; i < RUNS; i++) {
        for (const v of variants(beforeDir)) {
          const r = await runVariant(v, concurrency, { keepJournal: v.name === "after" && !existsSync(keep) ? keep : null });
          runs.push(r);
          console.error(`${v.name} @${concurrency}: ${f1(r.wallMs / 1000)} s, CPU ${f1(r.cpuMs)} ms (${f2(r.cpuMsPerCustomer)} ms/customer), `
            + `${f1(r.requestsPerSecond)} req/s, fsyncs ${r.fsyncs} (${f2(r.fsyncsPerCustomer)}/customer), ${r.completed}/${r.customers}`);
        }
      }
    }
    // The runs are written first: a failure measuring memory must not lose them.
    writeFileSync(path.join(ROOT, "bench/results/hosts.json"), JSON.stringify({ before: BEFORE, shape: SHAPE, runs }, null, 2));
    const memory = {
      before: journalHeap(path.join(beforeDir, "js/cli/journal.js"), keep),
      after: journalHeap(path.join(ROOT, "js/cli/journal.js"), keep),
      journalFileBytes: readFileSync(keep).length,
    };
    for (const k of ["before", "after"]) memory[k].bytesPerCustomer = memory[k].retainedBytes / memory[k].keys;
    console.error(`journal memory: before ${f2(memory.before.bytesPerCustomer / 1024)} KiB/customer, after ${f2(memory.after.bytesPerCustomer / 1024)} KiB/customer`);

    const byVariant = {};
    for (const r of runs) (byVariant[`${r.variant} @${r.concurrency}`] ??= []).push(r);
    const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
    const rows = Object.entries(byVariant).map(([k, rs]) => ({
      key: k, variant: rs[0].variant, concurrency: rs[0].concurrency, n: rs.length,
      wallMs: median(rs.map((r) => r.wallMs)), cpuMs: median(rs.map((r) => r.cpuMs)),
      cpuMsPerCustomer: median(rs.map((r) => r.cpuMsPerCustomer)), requestsPerSecond: median(rs.map((r) => r.requestsPerSecond)),
      fsyncsPerCustomer: median(rs.map((r) => r.fsyncsPerCustomer)), peakRssBytes: median(rs.map((r) => r.peakRssBytes)),
      completed: Math.min(...rs.map((r) => r.completed)), customers: rs[0].customers,
    }));
    const base = (c) => rows.find((r) => r.variant === "before" && r.concurrency === c);
    const lines = [
      "# CLI host costs: journal and transport (bench/hosts.js)", "",
      `Generated ${new Date().toISOString()}; before = ${BEFORE}; tenant: ${SHAPE.companies} × ${SHAPE.customersPerCompany} customers, ${SHAPE.latencyMs} ms latency; median of ${RUNS} run(s) each. CPU is the CLI child's user + system time (process.cpuUsage at exit).`, "",
      "| variant | concurrency | wall (s) | CLI CPU (ms) | CPU vs before | CPU ms / customer | requests/s | fsyncs / customer | peak RSS (MiB) | completed |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows.map((r) => `| ${r.variant} | ${r.concurrency} | ${f1(r.wallMs / 1000)} | ${Math.round(r.cpuMs)} | ${base(r.concurrency) ? `${((r.cpuMs / base(r.concurrency).cpuMs - 1) * 100).toFixed(0)}%` : "–"} | ${f2(r.cpuMsPerCustomer)} | ${f1(r.requestsPerSecond)} | ${f2(r.fsyncsPerCustomer)} | ${f1(r.peakRssBytes / 1048576)} | ${r.completed}/${r.customers} |`),
      "",
      `Journal memory (a ${memory.before.keys}-customer journal of ${f1(memory.journalFileBytes / 1024)} KiB opened read-only, heap retained after full GCs): before ${f2(memory.before.bytesPerCustomer / 1024)} KiB per customer (${f1(memory.before.retainedBytes / 1024)} KiB), after ${f2(memory.after.bytesPerCustomer / 1024)} KiB per customer (${f1(memory.after.retainedBytes / 1024)} KiB).`,
      "",
    ];
    mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    writeFileSync(path.join(ROOT, "bench/results/hosts.md"), lines.join("\n"));
    writeFileSync(path.join(ROOT, "bench/results/hosts.json"), JSON.stringify({ before: BEFORE, shape: SHAPE, runs, rows, memory }, null, 2));
    console.log(lines.join("\n"));
  } finally {
    rmSync(beforeDir, { recursive: true, force: true });
    rmSync(path.dirname(keep), { recursive: true, force: true });
  }
}

await main();
