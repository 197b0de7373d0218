// S3: memory. 10,000 customers (100 companies × 100) and 2,000 (20 × 100), 5 ms latency, no limit.
// The CLI child runs with bench/probes/wasm-memory.js preloaded: at exit it records its peak RSS
// (/proc/self/status VmHWM) and the wasm linear memory size (memory.buffer.byteLength).
//
// "No growth beyond the report": between 2,000 and 10,000 customers, peak RSS may grow by at most
// 3× the growth of the report's JSON (the report is held three times at the end of a run: as the core's
// Rust structs, as the JS object the CLI receives and as the JSON text it writes).
import { freshSim, runCli, perCustomer, sum } from "./lib.js";

export const id = "S3";
export const title = "S3: memory, 10,000 and 2,000 customers (100 per company), 5 ms latency";
export const estimateMs = 90_000;

const CONCURRENCY = 16;
const LATENCY = 5;
const PER_COMPANY = 100;
const RSS_LIMIT = 150 * 1024 * 1024;
const GROWTH_FACTOR = 3;

async function measure(companies, ctx) {
  const s = await freshSim({ companies, customersPerCompany: PER_COMPANY, latencyMs: LATENCY });
  try {
    const r = await runCli(s, { concurrency: CONCURRENCY, timeoutMs: ctx.timeout(200_000), label: `portal-migrate (CLI, ${s.customers} customers)` });
    const c = s.counts();
    const completed = r.totals ? r.totals.migrated + r.totals.alreadyMigrated : 0;
    return { ...r, customers: s.customers, completed, simCalls: c.calls, simLimited: c.limited, simByRoute: c.byRoute,
      perCustomer: perCustomer(c.calls, completed), requests: sum(c.calls) };
  } finally {
    await s.close();
  }
}

export async function run(ctx) {
  const small = await measure(20, ctx);
  ctx.log(`S3 2,000: ${(small.wallMs / 1000).toFixed(1)} s, peak RSS ${((small.probe?.vmHwmBytes ?? 0) / 1048576).toFixed(1)} MiB`);
  const big = await measure(100, ctx);
  ctx.log(`S3 10,000: ${(big.wallMs / 1000).toFixed(1)} s, peak RSS ${((big.probe?.vmHwmBytes ?? 0) / 1048576).toFixed(1)} MiB`);

  const rss = (r) => r.probe?.vmHwmBytes ?? null;
  const wasm = (r) => r.probe?.wasmMemoryBytes ?? null;
  const n = big.customers - small.customers;
  const growth = {
    customers: n,
    rssBytes: rss(big) !== null && rss(small) !== null ? rss(big) - rss(small) : null,
    wasmBytes: wasm(big) !== null && wasm(small) !== null ? wasm(big) - wasm(small) : null,
    reportBytes: big.reportBytes !== null && small.reportBytes !== null ? big.reportBytes - small.reportBytes : null,
    journalBytes: big.journalBytes !== null && small.journalBytes !== null ? big.journalBytes - small.journalBytes : null,
  };
  growth.rssPerCustomer = growth.rssBytes === null ? null : growth.rssBytes / n;
  growth.wasmPerCustomer = growth.wasmBytes === null ? null : growth.wasmBytes / n;
  growth.reportPerCustomer = growth.reportBytes === null ? null : growth.reportBytes / n;
  growth.allowedBytes = growth.reportBytes === null ? null : GROWTH_FACTOR * growth.reportBytes;

  const bothDone = [small, big].every((r) => r.completed === r.customers && r.exitCode === 0);
  const peak = rss(big);
  const rssMet = peak !== null && peak < RSS_LIMIT && bothDone;
  const growthMet = growth.rssBytes !== null && growth.rssBytes <= growth.allowedBytes && bothDone;
  const MiB = (b) => (b / 1048576).toFixed(1);
  const targets = [
    {
      id: "S3a",
      target: "peak RSS of the CLI < 150 MB at 10,000 customers",
      measured: peak === null ? "not measured" : `${MiB(peak)} MiB (2,000 customers: ${MiB(rss(small))} MiB)`
        + (bothDone ? "" : "; not every customer completed"),
      met: rssMet,
      shortBy: rssMet || peak === null ? null : `${MiB(peak - RSS_LIMIT)} MiB over (${((peak / RSS_LIMIT - 1) * 100).toFixed(0)}%)`,
    },
    {
      id: "S3b",
      target: `no growth with customer count beyond the report (RSS growth ≤ ${GROWTH_FACTOR}× report growth, 2,000 → 10,000)`,
      measured: growth.rssBytes === null ? "not measured"
        : `RSS +${MiB(growth.rssBytes)} MiB (${(growth.rssPerCustomer / 1024).toFixed(1)} KiB/customer) vs report +${MiB(growth.reportBytes)} MiB `
          + `(${(growth.reportPerCustomer / 1024).toFixed(2)} KiB/customer, allowed +${MiB(growth.allowedBytes)} MiB); `
          + `wasm memory +${MiB(growth.wasmBytes ?? 0)} MiB`,
      met: growthMet,
      shortBy: growthMet || growth.rssBytes === null ? null
        : `RSS grew ${(growth.rssBytes / growth.reportBytes).toFixed(1)}× the report growth (allowed ${GROWTH_FACTOR}×)`,
    },
  ];
  return { id, title, runs: [small, big], growth, targets, rssLimitBytes: RSS_LIMIT };
}
