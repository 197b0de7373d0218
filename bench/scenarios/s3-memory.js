// S3: memory of a big job. 10,000, 30,000 and 100,000 customers (100 per company), no rate limit, no
// Confluence, real journaled runs (never a dry run). 10k and 30k at 5 ms latency; 100k at 1 ms (the
// faster path: the same work, less waiting). The CLI child runs with bench/probes/wasm-memory.js
// preloaded: peak RSS (/proc/self/status VmHWM), wasm linear memory (never shrinks: its peak), and the
// JS heap and external memory (sampled every 200 ms: their peaks).
//
// Targets (issue 13): peak RSS ≤ 100 MiB at 100,000 customers, and growth ≤ 0.5 KiB per customer from
// 10,000 to 100,000.
import { freshSim, runCli, perCustomer, perRoute, noConfluence, sum } from "./lib.js";

export const id = "S3";
export const title = "S3: memory, 10,000 / 30,000 / 100,000 customers (100 per company), no Confluence";

const CONCURRENCY = 16;
const PER_COMPANY = 100;
const RSS_LIMIT = 100 * 1024 * 1024;
const GROWTH_LIMIT = 512; // bytes per customer
/** BENCH_S3_SIZES=10000,30000 runs a subset (development). */
const SIZES = [
  { customers: 10_000, latencyMs: 5, capMs: 240_000 },
  { customers: 30_000, latencyMs: 5, capMs: 400_000 },
  { customers: 100_000, latencyMs: 1, capMs: 1_200_000 },
].filter((s) => !process.env.BENCH_S3_SIZES || process.env.BENCH_S3_SIZES.split(",").map(Number).includes(s.customers));
// Seconds per 1,000 customers on this 2-core machine (measured), for the time budget.
export const estimateMs = SIZES.reduce((a, s) => a + s.customers * 1.6, 10_000);

async function measure(size, ctx) {
  const companies = size.customers / PER_COMPANY;
  const s = await freshSim({ companies, customersPerCompany: PER_COMPANY, latencyMs: size.latencyMs });
  try {
    const r = await runCli(s, {
      concurrency: CONCURRENCY, config: noConfluence(s.config), timeoutMs: ctx.timeout(size.capMs),
      label: `portal-migrate (CLI, ${s.customers.toLocaleString("en")} customers, ${size.latencyMs} ms latency)`,
    });
    const c = s.counts();
    const completed = r.totals ? r.totals.migrated + r.totals.alreadyMigrated : 0;
    return { ...r, customers: s.customers, latencyMs: size.latencyMs, completed, simCalls: c.calls, simLimited: c.limited,
      simByRoute: c.byRoute, perCustomer: perCustomer(c.calls, completed), perRoute: perRoute(c.byRoute, completed), requests: sum(c.calls) };
  } finally {
    await s.close();
  }
}

/** What grew between two runs, per customer, for each memory figure. */
function growth(small, big) {
  const n = big.customers - small.customers;
  const figures = {
    rss: (r) => r.probe?.vmHwmBytes, wasm: (r) => r.probe?.wasmMemoryBytes, heap: (r) => r.probe?.peakHeapUsedBytes,
    external: (r) => r.probe?.peakExternalBytes, report: (r) => r.reportBytes, journal: (r) => r.journalBytes,
  };
  const out = { from: small.customers, to: big.customers, customers: n };
  for (const [k, get] of Object.entries(figures)) {
    const a = get(small), b = get(big);
    out[k] = a == null || b == null ? null : { bytes: b - a, perCustomer: (b - a) / n };
  }
  return out;
}

export async function run(ctx) {
  const runs = [];
  for (const size of SIZES) {
    if (runs.length && ctx.remaining() < size.customers * 1.6 + ctx.reserveMs) {
      ctx.log(`S3 ${size.customers}: skipped (time budget)`);
      continue;
    }
    const r = await measure(size, ctx);
    runs.push(r);
    ctx.log(`S3 ${size.customers}: ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${((r.probe?.vmHwmBytes ?? 0) / 1048576).toFixed(1)} MiB, ${r.completed}/${r.customers}`);
  }
  const small = runs.find((r) => r.customers === 10_000);
  const big = runs.find((r) => r.customers === 100_000);
  const g = small && big ? growth(small, big) : null;
  const done = (r) => r && r.completed === r.customers && r.exitCode === 0;
  const MiB = (b) => (b / 1048576).toFixed(1);
  const peak = big?.probe?.vmHwmBytes ?? null;
  const rssMet = peak !== null && peak <= RSS_LIMIT && done(big);
  const perCust = g?.rss?.perCustomer ?? null;
  const growthMet = perCust !== null && perCust <= GROWTH_LIMIT && done(small) && done(big);
  const targets = [
    {
      id: "S3a",
      target: "peak RSS of the CLI ≤ 100 MiB at 100,000 customers",
      measured: peak === null ? "not measured"
        : `${MiB(peak)} MiB (${runs.map((r) => `${r.customers / 1000}k: ${MiB(r.probe?.vmHwmBytes ?? 0)}`).join(", ")} MiB)`
          + (done(big) ? "" : "; not every customer completed"),
      met: rssMet,
      shortBy: rssMet || peak === null ? null : `${MiB(peak - RSS_LIMIT)} MiB over (${(peak / RSS_LIMIT).toFixed(2)}× the limit)`,
    },
    {
      id: "S3b",
      target: "peak RSS growth ≤ 0.5 KiB per customer from 10,000 to 100,000",
      measured: perCust === null ? "not measured"
        : `+${MiB(g.rss.bytes)} MiB = ${(perCust / 1024).toFixed(2)} KiB/customer (wasm memory ${(g.wasm.perCustomer / 1024).toFixed(2)}, `
          + `JS heap ${(g.heap.perCustomer / 1024).toFixed(2)}, report JSON ${(g.report.perCustomer / 1024).toFixed(2)} KiB/customer)`,
      met: growthMet,
      shortBy: growthMet || perCust === null ? null : `${(perCust / GROWTH_LIMIT).toFixed(1)}× the limit`,
    },
  ];
  return { id, title, runs, growth: g, targets, rssLimitBytes: RSS_LIMIT, growthLimitBytesPerCustomer: GROWTH_LIMIT };
}
