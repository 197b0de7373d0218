// S2: S1's settings with a per-surface rate limit of 10 requests/s (token bucket, burst 10; 429 with
// Retry-After), scaled down to 200 customers in 20 companies so the run fits the 10-minute budget
// (at 1,000 customers the bound alone is ~200 s).
//
// The bound: a clean run (same tenant, no limit) counts the requests each surface needs; surfaces are
// limited independently, so the fastest any client can finish is max over surfaces of
// requests_surface / rate_surface. The ratio is wall / bound.
import { freshSim, runBaseline, runCli, perCustomer, perRoute, sum, SURFACES } from "./lib.js";

export const id = "S2";
export const title = "S2: 200 customers / 20 companies (scaled down from 1,000), 50 ms latency, 10 req/s per surface";
export const estimateMs = 100_000;

const SHAPE = { companies: 20, customersPerCompany: 10, latencyMs: 50 };
export const RPS = 10;
const CONCURRENCY = 16;
const LIMIT = 1.1;

const limitBody = () => Object.fromEntries(SURFACES.map((s) => [s, { rps: RPS }]));

async function measure(kind, ctx, { limited, progressJson = false, label }) {
  const s = await freshSim(SHAPE);
  try {
    if (limited) await s.control("ratelimit", limitBody());
    const r = kind === "cli"
      ? await runCli(s, { concurrency: CONCURRENCY, timeoutMs: ctx.timeout(240_000), progressJson, label })
      : await runBaseline(s, { timeoutMs: ctx.timeout(120_000), label });
    const c = s.counts();
    const completed = kind === "cli"
      ? (r.totals ? r.totals.migrated + r.totals.alreadyMigrated : 0)
      : (r.result?.customersCompleted ?? 0);
    return { ...r, customers: s.customers, completed, simCalls: c.calls, simLimited: c.limited, simByRoute: c.byRoute, migrations: s.migrations(),
      perCustomer: perCustomer(c.calls, completed), perRoute: perRoute(c.byRoute, completed), requests: sum(c.calls) };
  } finally {
    await s.close();
  }
}

export async function run(ctx) {
  // 1. Clean run: requests needed per surface.
  const clean = await measure("cli", ctx, { limited: false, label: "portal-migrate, clean run (no limit): requests needed" });
  const needed = clean.simCalls;
  const perSurfaceBound = Object.fromEntries(SURFACES.filter((s) => needed[s]).map((s) => [s, (needed[s] / RPS) * 1000]));
  const boundMs = Math.max(...Object.values(perSurfaceBound));
  const boundSurface = Object.entries(perSurfaceBound).find(([, v]) => v === boundMs)?.[0];
  ctx.log(`S2 clean: ${JSON.stringify(needed)}; bound ${(boundMs / 1000).toFixed(1)} s (${boundSurface})`);

  // 2. portal-migrate under the limit (progress as JSON lines to see the waits).
  const pm = await measure("cli", ctx, { limited: true, progressJson: true, label: `portal-migrate (CLI, concurrency ${CONCURRENCY})` });
  pm.bound = { ms: boundMs, surface: boundSurface, ratio: pm.wallMs / boundMs };
  ctx.log(`S2 portal-migrate: ${(pm.wallMs / 1000).toFixed(1)} s, ${pm.completed}/${pm.customers}, ratio ${pm.bound.ratio.toFixed(2)}`);

  // 3. The baseline under the same limit.
  const base = await measure("baseline", ctx, { limited: true, label: "baseline" });
  // The baseline's own bound (its requests at 10/s per surface), for reference.
  const baseNeeded = base.result?.requests ?? {};
  const baseBoundMs = Math.max(0, ...SURFACES.filter((s) => baseNeeded[s]).map((s) => (baseNeeded[s] / RPS) * 1000));
  base.bound = { ms: baseBoundMs, ratio: baseBoundMs ? base.wallMs / baseBoundMs : null, note: "its own requests / rate" };
  ctx.log(`S2 baseline: ${(base.wallMs / 1000).toFixed(1)} s, ${base.completed}/${base.customers}, stopped ${JSON.stringify(base.result?.stoppedAt ?? null)}`);

  const allDone = pm.completed === pm.customers && pm.exitCode === 0;
  const met = allDone && pm.bound.ratio <= LIMIT;
  const targets = [{
    id: "S2",
    target: `100% completed and wall ≤ ${LIMIT}× bound`,
    measured: `${pm.completed}/${pm.customers} completed; wall ${(pm.wallMs / 1000).toFixed(1)} s vs bound ${(boundMs / 1000).toFixed(1)} s `
      + `(${boundSurface}: ${needed[boundSurface]} requests at ${RPS}/s) = ${pm.bound.ratio.toFixed(2)}×`,
    met,
    shortBy: met ? null : [
      allDone ? null : `${pm.customers - pm.completed} customers not completed`,
      pm.bound.ratio > LIMIT ? `${((pm.bound.ratio / LIMIT - 1) * 100).toFixed(0)}% over the ${LIMIT}× limit (${((pm.wallMs - LIMIT * boundMs) / 1000).toFixed(1)} s too slow)` : null,
    ].filter(Boolean).join("; "),
  }];
  return {
    id, title, shape: { ...SHAPE, rpsPerSurface: RPS, burst: RPS, scaledDownFrom: 1000 },
    needed, perSurfaceBoundMs: perSurfaceBound, boundMs, boundSurface,
    runs: [pm, base], reference: clean, targets,
    ratios: { wallVsBaseline: pm.wallMs ? base.wallMs / pm.wallMs : null },
  };
}
