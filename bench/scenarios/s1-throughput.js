// S1: 1,000 customers in 20 companies, 50 ms latency per request, no rate limit, no Confluence space
// (the baseline's three steps: migrate, write-back, one group). portal-migrate through the CLI in bulk
// mode (the default) at concurrency 16, in single mode at 16, the baseline, and bulk mode at 32
// (supplementary). Also judges the request target: requests per customer in both modes.
import { freshSim, runBaseline, runCli, perCustomer, perRoute, noConfluence, sum } from "./lib.js";

export const id = "S1";
export const title = "S1: 1,000 customers / 20 companies, 50 ms latency, no rate limit, no Confluence";
export const estimateMs = 150_000;

const SHAPE = { companies: 20, customersPerCompany: 50, latencyMs: 50 };
export const CONCURRENCY = 16;
const SUPPLEMENTARY_CONCURRENCY = 32;
const SPEEDUP = 25;
export const REQUESTS_BOUND = 3.1;

async function measure(kind, ctx, opts = {}) {
  const s = await freshSim(SHAPE);
  try {
    const before = s.counts();
    const r = kind === "cli"
      ? await runCli(s, {
        concurrency: opts.concurrency, mode: opts.mode, config: noConfluence(s.config),
        timeoutMs: ctx.timeout(opts.capMs ?? 120_000), label: opts.label,
      })
      : await runBaseline(s, { timeoutMs: ctx.timeout(240_000) });
    const c = s.counts();
    const calls = Object.fromEntries(Object.entries(c.calls).map(([k, v]) => [k, v - (before.calls[k] ?? 0)]));
    const byRoute = Object.fromEntries(Object.entries(c.byRoute).map(([k, v]) => [k, v - (before.byRoute[k] ?? 0)]));
    const completed = kind === "cli"
      ? (r.totals ? r.totals.migrated + r.totals.alreadyMigrated : 0)
      : (r.result?.customersCompleted ?? 0);
    return { ...r, customers: s.customers, completed, simCalls: calls, simLimited: c.limited, simByRoute: byRoute, migrations: s.migrations(),
      perCustomer: perCustomer(calls, completed), perRoute: perRoute(byRoute, completed), requests: sum(calls) };
  } finally {
    await s.close();
  }
}

export async function run(ctx) {
  const pm = await measure("cli", ctx, { concurrency: CONCURRENCY, mode: "bulk", label: `portal-migrate (CLI, bulk mode, concurrency ${CONCURRENCY})` });
  ctx.log(`S1 portal-migrate bulk: ${(pm.wallMs / 1000).toFixed(1)} s, ${pm.completed}/${pm.customers}`);
  const single = await measure("cli", ctx, { concurrency: CONCURRENCY, mode: "single", label: `portal-migrate (CLI, single mode, concurrency ${CONCURRENCY})` });
  ctx.log(`S1 portal-migrate single: ${(single.wallMs / 1000).toFixed(1)} s, ${single.completed}/${single.customers}`);
  const base = await measure("baseline", ctx);
  ctx.log(`S1 baseline: ${(base.wallMs / 1000).toFixed(1)} s, ${base.completed}/${base.customers}`);
  let extra = null;
  if (ctx.remaining() > 60_000 + ctx.reserveMs) {
    extra = await measure("cli", ctx, {
      concurrency: SUPPLEMENTARY_CONCURRENCY, mode: "bulk", capMs: 60_000,
      label: `portal-migrate (CLI, bulk mode, concurrency ${SUPPLEMENTARY_CONCURRENCY}, supplementary)`,
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
  const done = (r) => r.completed === r.customers && r.exitCode === 0;
  const met = done(pm) && pmRatio.perCustomer !== null && pmRatio.perCustomer >= SPEEDUP;
  const perCust = (r) => (r.completed ? r.requests / r.completed : null);
  const [bulkReq, singleReq] = [perCust(pm), perCust(single)];
  const callsMet = done(pm) && done(single) && bulkReq !== null && singleReq !== null
    && bulkReq <= REQUESTS_BOUND && singleReq <= REQUESTS_BOUND && bulkReq <= singleReq;
  const f = (x) => (x === null ? "–" : x.toFixed(3));
  const targets = [{
    id: "S1",
    target: `≥ ${SPEEDUP}× the baseline per customer at concurrency ${CONCURRENCY}, every customer completed`,
    measured: `${pmRatio.perCustomer?.toFixed(1) ?? "–"}× per customer (${rate(pm).toFixed(1)} vs ${rate(base).toFixed(1)} customers/s); `
      + `${pmRatio.wall?.toFixed(1) ?? "–"}× on wall time (baseline did ${base.completed} of ${base.customers}); `
      + `portal-migrate completed ${pm.completed}/${pm.customers}`,
    met,
    shortBy: met ? null : (pmRatio.perCustomer ? `${(SPEEDUP / pmRatio.perCustomer).toFixed(2)}× short of ${SPEEDUP}×${done(pm) ? "" : "; not every customer completed"}` : "not measured"),
  }, {
    id: "C",
    target: `≤ ${REQUESTS_BOUND} requests per customer in both modes (S1, discovery and checks included), bulk ≤ single`,
    measured: `bulk mode ${f(bulkReq)}, single mode ${f(singleReq)} requests per completed customer`,
    met: callsMet,
    shortBy: callsMet ? null : [
      bulkReq > REQUESTS_BOUND ? `bulk ${f(bulkReq - REQUESTS_BOUND)} over` : null,
      singleReq > REQUESTS_BOUND ? `single ${f(singleReq - REQUESTS_BOUND)} over` : null,
      bulkReq > singleReq ? `bulk ${f(bulkReq - singleReq)} more than single` : null,
      done(pm) && done(single) ? null : "not every customer completed",
    ].filter(Boolean).join("; "),
  }];
  const runs = [pm, single, base, ...(extra ? [extra] : [])];
  return {
    id, title, shape: SHAPE, runs, targets,
    ratios: { portalMigrate: pmRatio, single: ratio(single), ...(extra ? { supplementary: ratio(extra) } : {}) },
    rates: { portalMigrate: rate(pm), single: rate(single), baseline: rate(base), ...(extra ? { supplementary: rate(extra) } : {}) },
  };
}
