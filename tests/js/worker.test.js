// The Worker host end to end: the bundle wrangler builds for `wrangler deploy`, run by miniflare
// in workerd with its real Queue and Durable Object implementations, against a real simulator on
// 127.0.0.1 (tests/js/helpers/worker.js). The untrusted edge (signatures, replay, scopes,
// throttling, job slots) has its own suite: tests/js/worker-edge.test.js.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { startSimulator } from "../../js/sim/index.js";
import { signRequest } from "../../js/core/edge.js";
import { assertPipelineDone } from "./helpers/pipeline.js";
import { buildBundle, startWorker, freshIp, ORIGIN, SECRETS } from "./helpers/worker.js";

const TOKEN = SECRETS.PORTAL_MIGRATE_TOKEN;
const READ = SECRETS.PORTAL_MIGRATE_READ_TOKEN;
const HMAC = SECRETS.PORTAL_MIGRATE_HMAC_SECRET;

let sim;
let mf;
let bundle;
let outdir;
const stdio = [];
// One address for the whole file, far below the per-IP limit (tests/js/worker-edge.test.js
// covers throttling).
const IP = freshIp();

before(async () => {
  sim = await startSimulator({ seed: 5 });
  bundle = await buildBundle();
  outdir = bundle.outdir;
  mf = await startWorker({ outdir, sim, stdio });
});

after(async () => {
  await mf?.dispose();
  await sim?.close();
  bundle?.dispose();
});

function post(body, headers = {}) {
  return mf.dispatchFetch(`${ORIGIN}/migrate`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": IP, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const bearer = { authorization: `Bearer ${TOKEN}` };
const reader = { authorization: `Bearer ${READ}` };

async function getJob(jobId, headers = reader) {
  return mf.dispatchFetch(`${ORIGIN}/jobs/${encodeURIComponent(jobId)}`, { headers: { "cf-connecting-ip": IP, ...headers } });
}

/** Polls GET /jobs/:id until the job leaves queued/running (the queue runs in workerd). */
async function waitForJob(jobId, timeoutMs = 40_000) {
  const t0 = Date.now();
  for (;;) {
    const res = await getJob(jobId);
    if (res.status === 200) {
      const job = await res.json();
      if (job.state === "done" || job.state === "failed") return job;
    } else {
      await res.arrayBuffer();
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${jobId} did not finish in ${timeoutMs} ms; worker output:\n${stdio.join("")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function portalIds(state, company) {
  return state.assets.objects
    .filter((o) => o.attributes.Company === company && String(o.attributes["Portal Account"] ?? "").startsWith("qm:"))
    .map((o) => o.attributes["Portal Account"]);
}

const migratedIds = (state) => new Set(state.migrations.map((m) => m.qmId));

describe("the bundle", () => {
  test("wrangler bundled the Worker with the wasm as a separate module", () => {
    const files = readdirSync(outdir);
    assert.ok(files.includes("index.js"));
    assert.ok(files.some((f) => f.endsWith("portal_migrate_bg.wasm")), files.join(", "));
    assert.ok(!existsSync(path.join(outdir, "node_modules")));
  });
});

describe("POST /migrate: the untrusted edge", () => {
  test("no credentials or wrong ones: 401 with a JSON error", async () => {
    for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: TOKEN }, { "x-portal-migrate-signature": "sha256=" + "ab".repeat(32) }, { "x-portal-migrate-signature": "v1=" + "ab".repeat(32), "x-portal-migrate-timestamp": String(Math.floor(Date.now() / 1000)) }]) {
      const res = await post({ request: { issueKey: "SUP-1" } }, headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.headers.get("content-type"), /^application\/json/);
      assert.deepEqual(await res.json(), { error: { code: "UNAUTHORIZED", message: "missing or invalid credentials" } });
    }
    const res = await getJob("job-0000000000000000", {});
    assert.equal(res.status, 401);
    await res.arrayBuffer();
    assert.equal(sim.state().migrations.length, 0);
  });

  test("an oversized body: 413, whether declared or streamed", async () => {
    const big = JSON.stringify({ request: { customers: Array.from({ length: 4000 }, (_, i) => `c${i}@example.com`) } });
    let res = await post(big, bearer);
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "BODY_TOO_LARGE");
    // no Content-Length: the body is counted while it streams in
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(4096)));
        c.close();
      },
    });
    res = await mf.dispatchFetch(`${ORIGIN}/migrate`, { method: "POST", headers: { ...bearer, "content-type": "application/json", "cf-connecting-ip": IP }, body: stream, duplex: "half" });
    assert.equal(res.status, 413);
    await res.arrayBuffer();
  });

  test("malformed bodies and wrong routes: clear 4xx", async () => {
    const cases = [
      ["{", 400, "MALFORMED_JSON"],
      ["\"SUP-1\"", 400, "BAD_BODY"],
      [JSON.stringify({ request: { companys: ["ACME"] } }), 400, "REQUEST"],
      [JSON.stringify({ request: { issueKey: "SUP 1" } }), 400, "REQUEST"],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body, bearer);
      assert.equal(res.status, status, body);
      assert.equal((await res.json()).error.code, code, body);
    }
    let res = await mf.dispatchFetch(`${ORIGIN}/migrate`, { headers: { ...bearer, "cf-connecting-ip": IP } });
    assert.equal(res.status, 405);
    await res.arrayBuffer();
    res = await mf.dispatchFetch(`${ORIGIN}/elsewhere`, { headers: { ...bearer, "cf-connecting-ip": IP } });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    res = await getJob("job-0000000000000000");
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});

describe("jobs", () => {
  test("a small job migrates inline (signed) and GET /jobs/:id returns its report", async () => {
    const issue = sim.state().issues.find((i) => i.key === "SUP-1");
    const object = sim.state().assets.objects.find((o) => o.attributes["Portal Account"] === issue.reporter);
    const body = JSON.stringify({ request: { issueKey: "SUP-1" } });
    const res = await post(body, await signRequest({ secret: HMAC, method: "POST", path: "/migrate", body }));
    assert.equal(res.status, 200);
    const out = await res.json();
    assert.equal(out.status, "done");
    assert.match(out.summary, /migrated=1/);
    const state = sim.state();
    assert.ok(migratedIds(state).has(issue.reporter), "the reporter was migrated");
    // The whole job: written back, grouped, granted its company's space (ACME), one comment.
    assertPipelineDone(state, object, { space: "ACME" });
    assert.equal(state.comments["SUP-1"].length, 1);

    // read with the read token, and with a start-secret signature of exactly this GET
    const job = await (await getJob(out.jobId)).json();
    assert.equal(job.state, "done");
    const signedGet = await getJob(out.jobId, await signRequest({ secret: HMAC, method: "GET", path: `/jobs/${out.jobId}` }));
    assert.equal(signedGet.status, 200);
    assert.deepEqual(await signedGet.json(), job);
    assert.equal(job.finished, true, "the core's journal (in the Durable Object) says finished");
    assert.equal(job.report.customers.length, 1);
    assert.equal(job.report.customers[0].portalAccountId, issue.reporter);
    assert.equal(job.report.customers[0].status, "migrated");
  });

  test("a large job goes through the queue and completes", async () => {
    const globex = portalIds(sim.state(), "GLOBEX");
    const res = await post({ request: { companies: ["GLOBEX"] } }, bearer);
    assert.equal(res.status, 202);
    const out = await res.json();
    assert.equal(out.status, "queued");
    assert.equal(out.unfinished, globex.length);
    const job = await waitForJob(out.jobId);
    assert.equal(job.state, "done", JSON.stringify(job.error ?? job.lastError));
    assert.ok(job.chunks >= 1);
    assert.equal(job.report.totals.unfinished, 0);
    assert.equal(job.report.customers.length, globex.length);
    const migrated = migratedIds(sim.state());
    for (const id of globex) assert.ok(migrated.has(id), `${id} migrated`);
  });

  test("a chunk that runs out of time re-enqueues its continuation, which completes the job", async () => {
    const initech = portalIds(sim.state(), "INITECH");
    // The first migrate call takes 5.5 s: by then the chunk's 1 s start window is over, so the
    // other customers are left to the continuation (one customer at a time: concurrency 1).
    sim.simulator.faults.set({ rules: [{ kind: "latency", surface: "admin", method: "PUT", latencyMs: 5_500, count: 1 }] });
    try {
      const res = await post({ request: { companies: ["INITECH"], concurrency: 1 } }, bearer);
      assert.equal(res.status, 202);
      const out = await res.json();
      const job = await waitForJob(out.jobId);
      assert.equal(job.state, "done", JSON.stringify(job.error ?? job.lastError));
      assert.ok(job.chunks >= 2, `expected a continuation, got ${job.chunks} chunk(s)`);
      const migrated = migratedIds(sim.state());
      for (const id of initech) assert.ok(migrated.has(id), `${id} migrated`);
      assert.equal(sim.state().migrations.filter((m) => initech.includes(m.qmId)).length, initech.length, "nobody migrated twice");
    } finally {
      sim.simulator.faults.clear();
    }
  });

  test("starting the same big job again while it is queued does not start a second chain", async () => {
    const res1 = await post({ request: { companies: ["ACME"] }, mode: "queue" }, bearer);
    const res2 = await post({ request: { companies: ["ACME"] }, mode: "queue" }, bearer);
    const [a, b] = [await res1.json(), await res2.json()];
    assert.equal(a.jobId, b.jobId);
    assert.equal(b.alreadyQueued, true);
    const job = await waitForJob(a.jobId);
    assert.equal(job.state, "done", JSON.stringify(job.error ?? job.lastError));
  });
});
