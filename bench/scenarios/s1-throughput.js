// S1: 1,000 customers in 20 companies, 50 ms latency per request, no rate limit.
// portal-migrate through the CLI (concurrency 16, plus a supplementary run at 32) vs the baseline.
import { freshSim, runBaseline, runCli, perCustomer, sum } from "./lib.js";

export const id = "S1";
export const title = "S1: 1,000 customers / 20 companies, 50 ms latency, no rate limit";
export const estimateMs = 130_000;

const SHAPE = { companies: 20, customersPerCompany: 50, latencyMs: 50 };
export const CONCURRENCY = 16;
const SUPPLEMENTARY_CONCURRENCY = 32;

async function measure(kind, ctx, opts = {}) {
  const s = await freshSim(SHAPE);
  try {
    const before = s.counts();
    const r = kind === "cli"
      ? await runCli(s, { concurrency: opts.concurrency, timeoutMs: ctx.timeout(opts.capMs ?? 120_000), label: opts.label })
      : await runBaseline(s, { timeoutMs: ctx.timeout(240_000) });
    const c = s.counts();
    const calls = Object.fromEntries(Object.entries(c.calls).map(([k, v]) => [k, v - (before.calls[k] ?? 0)]));
    const completed = kind === "cli"
      ? (r.totals ? r.totals.migrated + r.totals.alreadyMigrated : 0)
      : (r.result?.customersCompleted ?? 0);
    return { ...r, customers: s.customers, completed, simCalls: calls, simLimited: c.limited, simByRoute: c.byRoute, migrations: s.migrations(),
      perCustomer: perCustomer(calls, completed), requests: sum(calls) };
  } finally {
    await s.close();
  }
}

export async function run(ctx) {
  const pm = await measure("cli", ctx, { concurrency: CONCURRENCY, label: `portal-migrate (CLI, concurrency ${CONCURRENCY})` });
  ctx.log(`S1 portal-migrate: ${(pm.wallMs / 1000).toFixed(1)} s, ${pm.completed}/${pm.customers}`);
  const base = await measure("baseline", ctx);
  ctx.log(`S1 baseline: ${(base.wallMs / 1000).toFixed(1)} s, ${base.completed}/${base.customers}`);
  let extra = null;
  if (ctx.remaining() > 60_000 + ctx.reserveMs) {
    extra = await measure("cli", ctx, {
      concurrency: SUPPLEMENTARY_CONCURRENCY, capMs: 60_000,
      label: `portal-migrate (CLI, concurrency ${SUPPLEMENTARY_CONCURRENCY}, supplementary)`,
    });
    ctx.log(`S1 portal-migrate @${SUPPLEMENTARY_CONCURRENCY}: ${(extra.wallMs / 1000).toFixed(1)} s`);
  }

  // Customers per second: the baseline only sees the first AQL page (25 of 50 per company), so its wall
  // time covers fewer customers; the per-customer ratio compares like with like.
  const rate = (r) => (r.completed && r.wallMs ? r.completed / (r.wallMs / 1000) : 0);
  const ratio = (a) => ({
    wall: a.wallMs ? base.wallMs / a.wallMs : null,
    perCustomer: rate(base) ? rate(a) / rate(base) : null,
  });
  const pmRatio = ratio(pm);
  const allDone = pm.completed === pm.customers && pm.exitCode === 0;
  const met = allDone && pmRatio.perCustomer !== null && pmRatio.perCustomer >= 10;
  const targets = [{
    id: "S1",
    target: "≥ 10× faster than the baseline, every customer completed",
    measured: `${pmRatio.perCustomer?.toFixed(1) ?? "–"}× per customer (${rate(pm).toFixed(1)} vs ${rate(base).toFixed(1)} customers/s); `
      + `${pmRatio.wall?.toFixed(1) ?? "–"}× on wall time (baseline did ${base.completed} of ${base.customers}); `
      + `portal-migrate completed ${pm.completed}/${pm.customers}`,
    met,
    shortBy: met ? null : (pmRatio.perCustomer ? `${(10 / pmRatio.perCustomer).toFixed(2)}× short of 10×${allDone ? "" : "; not every customer completed"}` : "not measured"),
  }];
  const runs = [pm, base, ...(extra ? [extra] : [])];
  return {
    id, title, shape: SHAPE, runs, targets,
    ratios: { portalMigrate: pmRatio, ...(extra ? { supplementary: ratio(extra) } : {}) },
    rates: { portalMigrate: rate(pm), baseline: rate(base), ...(extra ? { supplementary: rate(extra) } : {}) },
  };
}
