// The Worker under concurrent, at-least-once delivery, in workerd (miniflare) against the
// simulator: N identical starts at once, N deliveries of one chunk at once, a push that fails, a
// message that is lost, a dead letter (tests/js/helpers/worker-queue.js). Counted on the
// simulator: migrate calls per customer and comments (tests/js/helpers/delivery.js).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startSimulator } from "../../js/sim/index.js";
import { retryDelay } from "../../js/core/node.js";
import { buildBundle, freshIp, ORIGIN, ROOT, SECRETS } from "./helpers/worker.js";
import { startQueueWorker, DEAD_LETTER_QUEUE } from "./helpers/worker-queue.js";
import { tally, since, portalIds, onceEach, report } from "./helpers/delivery.js";

const N = 5;
const STALE_MS = 1_500;
const bearer = { authorization: `Bearer ${SECRETS.PORTAL_MIGRATE_TOKEN}` };
const reader = { authorization: `Bearer ${SECRETS.PORTAL_MIGRATE_READ_TOKEN}` };

let sim;
let bundle;
let w;
const stdio = [];
const IP = freshIp();
const reporters = {};

before(async () => {
  sim = await startSimulator({ seed: 17 });
  bundle = await buildBundle();
  w = await startQueueWorker({ outdir: bundle.outdir, sim, stdio, vars: { PORTAL_MIGRATE_STALE_MS: String(STALE_MS) } });
  // Read before anyone is migrated: an issue's reporter becomes the new account.
  for (const i of sim.state().issues) reporters[i.key] = i.reporter;
});

after(async () => {
  await w?.mf.dispose();
  await sim?.close();
  bundle?.dispose();
});

const times = (n, fn) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(body) {
  const res = await w.mf.dispatchFetch(`${ORIGIN}/migrate`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": IP, ...bearer },
    body: JSON.stringify(body),
  });
  return { http: res.status, ...(await res.json()) };
}

async function job(jobId) {
  const res = await w.mf.dispatchFetch(`${ORIGIN}/jobs/${jobId}`, { headers: { "cf-connecting-ip": IP, ...reader } });
  return res.status === 200 ? res.json() : (await res.arrayBuffer(), null);
}

async function waitFor(jobId, states = ["done", "failed"], timeoutMs = 40_000) {
  const t0 = Date.now();
  for (;;) {
    const j = await job(jobId);
    if (j && states.includes(j.state)) return j;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${jobId} is ${j?.state}, not ${states}, after ${timeoutMs} ms; worker output:\n${stdio.join("").slice(-4000)}`);
    await sleep(150);
  }
}

/** The sends the flaky queue saw for one job. */
async function sendsOf(jobId) {
  return (await w.queue()).sent.filter((s) => s.jobId === jobId);
}

describe("wrangler.toml", () => {
  test("a DLQ consumer, a cron sweeper, and the retry count the DLQ reason quotes", () => {
    const toml = readFileSync(path.join(ROOT, "js/worker/wrangler.toml"), "utf8");
    const consumers = toml.split("[[queues.consumers]]").slice(1);
    assert.equal(consumers.length, 2);
    assert.match(consumers[0], /queue = "portal-migrate-jobs"\n/);
    assert.match(consumers[0], /dead_letter_queue = "portal-migrate-jobs-dlq"/);
    assert.match(consumers[0], /max_concurrency = 4\n/);
    assert.match(consumers[1], new RegExp(`queue = "${DEAD_LETTER_QUEUE}"`));
    assert.match(toml, /\[triggers\]\ncrons = \["\*\/10 \* \* \* \*"\]/);
    const retries = Number(/max_retries = (\d+)/.exec(consumers[0])[1]);
    const setup = readFileSync(path.join(ROOT, "js/worker/setup.js"), "utf8");
    assert.equal(Number(/JOBS_MAX_RETRIES = (\d+)/.exec(setup)[1]), retries);
  });
});

describe(`${N} identical deliveries at once`, () => {
  test(`${N} identical POST /migrate of one issue: one migrate call, one comment`, async () => {
    const reporter = reporters["SUP-1"];
    const before = tally(sim.state());
    // The first N site calls take 300 ms: without the job claim every start would be past its
    // journal lookup before any had migrated anyone.
    sim.simulator.faults.set({ rules: [{ kind: "latency", surface: "jira", latencyMs: 300, count: N }] });
    let outs;
    try {
      outs = await times(N, () => post({ request: { issueKey: "SUP-1" } }));
    } finally {
      sim.simulator.faults.clear();
    }
    const after = tally(sim.state());
    const d = since(before, after);
    report("worker", "POST /migrate", { deliveries: N, customers: 1, migrations: d.migrations, migrateCalls: d.migrateCalls, comments: after.comments("SUP-1") });
    assert.equal(after.perCustomer.get(reporter), 1);
    assert.equal(d.migrateCalls, 1, "one migrate call");
    assert.equal(after.comments("SUP-1"), 1, "one comment");
    assert.equal(d.commentCalls, 1);
    assert.ok(outs.some((o) => o.http === 200 && o.status === "done"), JSON.stringify(outs));
    for (const o of outs) assert.ok((o.http === 200 && o.status === "done") || (o.http === 202 && o.alreadyQueued === true), JSON.stringify(o));
    assert.equal((await job(outs[0].jobId)).state, "done");
  });

  test(`${N} identical starts of a big job: queued once, one chain, everyone migrated once`, async () => {
    const globex = portalIds(sim.state(), "GLOBEX");
    const before = tally(sim.state());
    const outs = await times(N, () => post({ request: { companies: ["GLOBEX"] }, mode: "queue" }));
    assert.ok(outs.every((o) => o.http === 202), JSON.stringify(outs));
    assert.equal(outs.filter((o) => !o.alreadyQueued).length, 1);
    const jobId = outs[0].jobId;
    const done = await waitFor(jobId);
    assert.equal(done.state, "done", JSON.stringify(done.error ?? done.lastError));
    // one chain: chunk 1 sent once, any continuation after it once each
    const sends = await sendsOf(jobId);
    assert.deepEqual(sends.map((s) => s.outcome === "sent" && s.chunk), sends.map((_, i) => i + 1), JSON.stringify(sends));
    assert.equal(new Set(sends.map((s) => s.chain)).size, 1);
    const t = tally(sim.state());
    const d = since(before, t);
    report("worker", "big-job start", { deliveries: N, customers: globex.length, migrations: d.migrations, migrateCalls: d.migrateCalls, comments: d.commentCalls });
    assert.deepEqual(onceEach(t, globex), []);
  });

  test(`one chunk delivered ${N} times at once: each customer migrated once, its continuation queued once`, async () => {
    const initech = portalIds(sim.state(), "INITECH");
    const before = tally(sim.state());
    // The first message is lost on its way, so the test holds the only copy and delivers it N times.
    await w.queue({ drop: 1 });
    const started = await post({ request: { companies: ["INITECH"], concurrency: 1 }, mode: "queue" });
    assert.equal(started.http, 202);
    const [first] = await sendsOf(started.jobId);
    assert.equal(first.outcome, "dropped");
    // The first migrate call takes 5.5 s: by then the chunk's 1 s start window is over, so the
    // others are left to a continuation.
    sim.simulator.faults.set({ rules: [{ kind: "latency", surface: "admin", method: "PUT", latencyMs: 5_500, count: 1 }] });
    let results;
    try {
      results = await times(N, () => w.deliver(first.body));
    } finally {
      sim.simulator.faults.clear();
    }
    for (const r of results) assert.equal(r.explicitAcks.length, 1, JSON.stringify(r));
    const done = await waitFor(started.jobId);
    assert.equal(done.state, "done", JSON.stringify(done.error ?? done.lastError));
    assert.ok(done.chunks >= 2, `a continuation ran (${done.chunks} chunks)`);
    const sends = await sendsOf(started.jobId);
    const keys = sends.map((s) => `${s.chain}#${s.chunk}`);
    assert.equal(new Set(keys).size, keys.length, `each chunk queued once: ${keys}`);
    assert.equal(new Set(sends.map((s) => s.chain)).size, 1, "one chain");
    const t = tally(sim.state());
    const d = since(before, t);
    report("worker", "chunk deliveries", { deliveries: N, customers: initech.length, migrations: d.migrations, migrateCalls: d.migrateCalls, comments: d.commentCalls });
    assert.deepEqual(onceEach(t, initech), []);
  });
});

describe("queue state that cannot lie", () => {
  test("a push that fails answers 'pushing', never 'queued'; the cron sweeper pushes it and the job completes", async () => {
    const ids = portalIds(sim.state(), "ACME");
    await w.queue({ fail: 1 });
    const out = await post({ request: { companies: ["ACME"] }, mode: "queue" });
    assert.equal(out.http, 202);
    assert.equal(out.status, "pushing");
    assert.equal(out.alreadyQueued, undefined);
    assert.equal(out.pushError?.code, "QUEUE_PUSH", JSON.stringify(out));
    assert.match(out.pushError.message, /Too Many Requests/);
    const rec = await job(out.jobId);
    assert.equal(rec.state, "pushing");
    assert.equal(rec.nextChunk, 1);
    assert.equal(rec.next, undefined, "the stored message is not shown to callers");
    await sleep(STALE_MS + 100);
    assert.equal((await w.sweep()).outcome, "ok");
    const done = await waitFor(out.jobId);
    assert.equal(done.state, "done", JSON.stringify(done.error ?? done.lastError));
    const sends = await sendsOf(out.jobId);
    // chunk 1 refused, then pushed by the sweeper; any continuations after it, each once
    assert.deepEqual(sends.slice(0, 2).map((s) => [s.outcome, s.chunk]), [["failed", 1], ["sent", 1]]);
    assert.deepEqual(sends.slice(1).map((s) => s.outcome === "sent" && s.chunk), sends.slice(1).map((_, i) => i + 1));
    assert.deepEqual(onceEach(tally(sim.state()), ids), []);
  });

  // The simulator is not reset between tests (the Worker's journal would remember its customers):
  // each test migrates other customers.
  test("a message lost after its send (a crash): the cron sweeper pushes it again once the job is stale", async () => {
    const reporter = reporters["SUP-2"];
    await w.queue({ drop: 1 });
    const out = await post({ request: { issueKey: "SUP-2" }, mode: "queue" });
    assert.equal(out.http, 202);
    assert.equal((await job(out.jobId)).state, "queued");
    // Not stale yet: the sweep leaves it (its message may still be on its way).
    assert.equal((await w.sweep()).outcome, "ok");
    assert.equal((await sendsOf(out.jobId)).length, 1);
    await sleep(STALE_MS + 100);
    assert.equal((await w.sweep()).outcome, "ok");
    const done = await waitFor(out.jobId);
    assert.equal(done.state, "done", JSON.stringify(done.error ?? done.lastError));
    const sends = await sendsOf(out.jobId);
    assert.deepEqual(sends.map((s) => s.outcome), ["dropped", "sent"]);
    assert.deepEqual(sends[1].body, sends[0].body, "the stored message, as it was");
    const t = tally(sim.state());
    assert.equal(t.perCustomer.get(reporter), 1);
    assert.equal(t.comments("SUP-2"), 1);
  });

  test("a dead-lettered message marks its job failed with the reason; a stale one changes nothing", async () => {
    await w.queue({ drop: 1 });
    const out = await post({ request: { issueKey: "SUP-3" }, mode: "queue" });
    const [lost] = await sendsOf(out.jobId);
    const before = tally(sim.state());
    // One delivery that fails: another run holds the core's claim, so the chunk asks to be retried,
    // and that push fails too; the handler asks Queues to deliver it again.
    const journal = await w.journal();
    const holder = { owner: "another-run", leaseMs: 60_000, now: Date.now() };
    assert.equal((await journal.claim(`lease/job/${out.jobId}`, holder)).won, true);
    await w.queue({ fail: 1 });
    const failed = await w.deliver(lost.body, { attempts: 11 });
    assert.equal(failed.retryMessages.length, 1, JSON.stringify(failed));
    assert.equal(failed.retryMessages[0].delaySeconds, retryDelay(11, {}), "backs off by the core's delay for msg.attempts");
    await journal.release(`lease/job/${out.jobId}`, "another-run");
    // Queues gives up and moves it to the DLQ: its consumer marks the job failed.
    const dlq = await w.mf.getQueueProducer("TEST_DLQ");
    await dlq.send(lost.body);
    const j = await waitFor(out.jobId, ["failed"], 20_000);
    assert.equal(j.error.code, "DELIVERY_FAILED");
    assert.match(j.error.message, /^delivery failed 11 times: the job's next message could not be queued: .*Too Many Requests/);
    // A copy arriving later is stale: nothing runs.
    const later = await w.deliver(lost.body);
    assert.equal(later.explicitAcks.length, 1);
    assert.deepEqual(since(before, tally(sim.state())), { migrateCalls: 0, commentCalls: 0, migrations: 0 });
    assert.equal((await job(out.jobId)).state, "failed");
    // The log line of the dead letter names the job and nothing else.
    const line = stdio.join("").split("\n").find((l) => l.includes('"dead letter"'));
    assert.ok(line, "a dead-letter log line");
    assert.deepEqual(Object.keys(JSON.parse(line)).sort(), ["jobId", "level", "message", "status"]);
  });

  test("a dead letter of a job that moved on is acked and changes nothing", async () => {
    // GLOBEX's job (above) is done; a copy of its chunk reaches the DLQ consumer.
    const out = await post({ request: { companies: ["GLOBEX"] }, mode: "queue" });
    const done = await waitFor(out.jobId);
    const [sent] = (await sendsOf(out.jobId)).filter((s) => s.outcome === "sent");
    const result = await w.deliver(sent.body, { queue: DEAD_LETTER_QUEUE });
    assert.equal(result.explicitAcks.length, 1);
    const after = await job(out.jobId);
    assert.equal(after.state, "done");
    assert.equal(after.updatedMs, done.updatedMs, "the record was not touched");
  });
});
