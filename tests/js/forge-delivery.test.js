// The Forge host under concurrent, at-least-once delivery: the real handlers and wasm core, a KVS
// whose calls really interleave (tests/js/helpers/kvs-fake.js: create-if-absent is the only atomic
// primitive, as in Forge), a queue whose pushes can fail or get lost, and the simulator. Each test
// delivers the same thing N times at once and counts, on the simulator, the migrate calls per
// customer and the comments (tests/js/helpers/delivery.js).
import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as forgeCore from "../../js/core/forge.js";
import { startSimulator } from "../../js/sim/index.js";
import { createHandlers } from "../../js/forge/handlers.js";
import { escapeKey } from "../../js/forge/journal.js";
import { fakePlatform, forgeContext, adminAccountId, TOKEN } from "./helpers/forge.js";
import { fakeKvs } from "./helpers/kvs-fake.js";
import { tally, since, portalIds, onceEach, report } from "./helpers/delivery.js";

const N = 5;
// Forge runs one invocation at a time per process (Lambda), where forgeHost drops the wasm
// instance per invocation; here N invocations share one process, so the instance stays.
const core = { ...forgeCore, reset() {} };
const STALE_MS = core.jobLimits({}).staleMs;

let sim;
before(async () => {
  sim = await startSimulator({ seed: 11 });
});
after(async () => {
  await sim?.close();
});
beforeEach(() => sim.reset());

/** The fake platform with the interleaving KVS (and a delete, as @forge/kvs has). */
function platformFor({ seed = 7, tick = 20 } = {}) {
  const p = fakePlatform(sim, { tick });
  const kvs = fakeKvs({ clock: p.clock, seed });
  p.kvs = {
    ...kvs,
    async delete(k) {
      await new Promise((r) => setImmediate(r));
      kvs.store.delete(k);
    },
  };
  p.store = kvs.store;
  return p;
}

/** Pushes fail `fail` times (as @forge/events' RateLimitError would), or vanish `lose` times. */
function flakyQueue(platform, { fail = 0, lose = 0 } = {}) {
  const push = platform.queue.push;
  const plan = { fail, lose, failed: 0, lost: [] };
  platform.queue.push = async (body, opts) => {
    if (plan.fail > 0) {
      plan.fail--;
      plan.failed++;
      throw Object.assign(new Error("Too many events were pushed to the queue"), { name: "RateLimitError" });
    }
    if (plan.lose > 0) {
      plan.lose--;
      plan.lost.push(structuredClone(body));
      return { jobId: "lost" };
    }
    return push(body, opts);
  };
  return plan;
}

const handlersFor = (platform, budgets) => createHandlers({ platform, core, budgets, log: () => {} });
const ctx = () => forgeContext(sim, { accountId: adminAccountId(sim) });
const record = (platform, jobId) => JSON.parse(platform.store.get(`j:${escapeKey(`hostjob/${jobId}`)}`));
const times = (n, fn) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

function issueEvent(key) {
  return {
    eventType: "avi:jira:updated:issue",
    issue: { id: "10001", key, fields: { status: { id: "10105", name: "Converted" } } },
    changelog: { id: "2", items: [{ field: "status", fieldId: "status", from: "10100", fromString: "Waiting", to: "10105", toString: "Converted" }] },
    associatedStatuses: [{ id: "10100", name: "Waiting" }, { id: "10105", name: "Converted" }],
  };
}

/**
 * Delivers every queued message `copies` times at once until the queue is empty; answers the
 * outcomes. Every message is delivered as Forge would: at least once, here `copies` times.
 */
async function drain(h, platform, { copies = 1, max = 60 } = {}) {
  const outcomes = [];
  let delivered = 0;
  while (platform.pushes.length) {
    assert.ok(delivered < max, `more than ${max} messages`);
    const msg = platform.pushes.shift();
    delivered++;
    const outs = await times(copies, () => h.queueConsumer({ body: structuredClone(msg.body) }));
    for (const o of outs) assert.ok(!o?.__retry, `the consumer asked for a retry: ${JSON.stringify(o)}`);
    outcomes.push({ chunk: msg.body.chunk, chain: msg.body.chain, statuses: outs.map((o) => o.status) });
  }
  return outcomes;
}

describe("N identical deliveries at once", () => {
  test(`the issue event delivered ${N} times at once: one migrate call, one comment`, async () => {
    const platform = platformFor();
    const h = handlersFor(platform);
    const reporter = sim.state().issues.find((i) => i.key === "SUP-1").reporter;
    const before = tally(sim.state());
    const outs = await times(N, () => h.onIssueUpdated(issueEvent("SUP-1"), ctx()));
    const after = tally(sim.state());
    const d = since(before, after);
    report("forge", "trigger event", { deliveries: N, customers: 1, migrations: d.migrations, migrateCalls: d.migrateCalls, comments: after.comments("SUP-1") });
    assert.equal(after.perCustomer.get(reporter), 1, "the reporter migrated once");
    assert.equal(d.migrateCalls, 1, "one migrate call");
    assert.equal(after.comments("SUP-1"), 1, "one comment");
    assert.equal(d.commentCalls, 1);
    assert.ok(outs.some((o) => o.status === "done"), JSON.stringify(outs));
    for (const o of outs) assert.ok(o.status === "done" || o.alreadyQueued === true, JSON.stringify(o));
    assert.equal(new Set(outs.map((o) => o.jobId)).size, 1);
    assert.equal(record(platform, outs[0].jobId).state, "done");
    assert.equal(platform.pushes.length, 0);
  });

  test(`the Automation action invoked ${N} times at once: one migrate call, one comment`, async () => {
    const platform = platformFor({ seed: 9 });
    const h = handlersFor(platform);
    const reporter = sim.state().issues.find((i) => i.key === "SUP-2").reporter;
    const before = tally(sim.state());
    const outs = await times(N, () => h.automationAction({ issueKey: "SUP-2" }, ctx()));
    const after = tally(sim.state());
    const d = since(before, after);
    report("forge", "automation action", { deliveries: N, customers: 1, migrations: d.migrations, migrateCalls: d.migrateCalls, comments: after.comments("SUP-2") });
    for (const o of outs) assert.equal(o.errors, undefined, JSON.stringify(o));
    assert.equal(after.perCustomer.get(reporter), 1);
    assert.equal(d.migrateCalls, 1);
    assert.equal(after.comments("SUP-2"), 1);
  });

  test(`a big job started ${N} times at once is queued once and runs as one chain`, async () => {
    const platform = platformFor({ seed: 3 });
    const h = handlersFor(platform);
    const globex = portalIds(sim.state(), "GLOBEX");
    const post = () => h.webTrigger({ method: "POST", path: "/", userPath: "", headers: { "Content-Type": ["application/json"], Authorization: [`Bearer ${TOKEN}`] }, queryParameters: {}, body: JSON.stringify({ request: { companies: ["GLOBEX"] }, mode: "queue" }) });
    const outs = (await times(N, post)).map((r) => ({ statusCode: r.statusCode, ...JSON.parse(r.body) }));
    assert.ok(outs.every((o) => o.statusCode === 202), JSON.stringify(outs));
    assert.equal(outs.filter((o) => !o.alreadyQueued).length, 1, "one start queued the job");
    assert.equal(platform.pushes.length, 1, "one message on the queue");
    await drain(h, platform);
    const t = tally(sim.state());
    report("forge", "big-job start", { deliveries: N, customers: globex.length, migrations: t.migrations, migrateCalls: t.migrateCalls, comments: t.commentCalls });
    assert.deepEqual(onceEach(t, globex), []);
    assert.equal(record(platform, outs[0].jobId).state, "done");
  });

  test(`every chunk of a multi-chunk job delivered ${N} times at once: each customer migrated once, one chain`, async () => {
    // 100 ms a call and 14 s a chunk (minus the core's 5 s per-customer estimate): ACME's 30
    // customers take several chunks.
    const platform = platformFor({ seed: 5, tick: 100 });
    const h = handlersFor(platform, { chunk: 14_000 });
    const acme = portalIds(sim.state(), "ACME");
    const started = await h.automationAction({ companies: "ACME" }, ctx());
    assert.equal(started.status, "queued", JSON.stringify(started));
    const outcomes = await drain(h, platform, { copies: N });
    assert.ok(outcomes.length >= 2, `expected several chunks, got ${outcomes.length}`);
    // one chain: chunks 1, 2, 3, … each pushed exactly once, each run by exactly one delivery
    assert.deepEqual(outcomes.map((o) => o.chunk), outcomes.map((_, i) => i + 1));
    assert.equal(new Set(outcomes.map((o) => o.chain)).size, 1);
    for (const o of outcomes) {
      const ran = o.statuses.filter((s) => s === "continued" || s === "done");
      assert.equal(ran.length, 1, `chunk ${o.chunk}: ${o.statuses}`);
      assert.ok(o.statuses.every((s) => ["continued", "done", "duplicate", "stale"].includes(s)), `chunk ${o.chunk}: ${o.statuses}`);
    }
    const t = tally(sim.state());
    report("forge", `every chunk x${N} (${outcomes.length} chunks)`, { deliveries: N * outcomes.length, customers: acme.length, migrations: t.migrations, migrateCalls: t.migrateCalls, comments: t.commentCalls });
    assert.equal(acme.length, 29, "ACME: 30 customers, one without a portal account");
    assert.deepEqual(onceEach(t, acme), []);
    assert.equal(t.migrations, acme.length);
    const rec = record(platform, started.jobId);
    assert.equal(rec.state, "done");
    assert.equal(rec.chunks, outcomes.length);
  });

  test(`the sweeper run ${N} times at once pushes a lost message once`, async () => {
    const platform = platformFor({ seed: 13 });
    const h = handlersFor(platform);
    const plan = flakyQueue(platform, { lose: 1 });
    const out = await h.automationAction({ companies: "GLOBEX" }, ctx());
    assert.equal(out.status, "queued");
    assert.equal(plan.lost.length, 1);
    platform.clock.t += STALE_MS + 1;
    await times(N, () => h.sweeper());
    assert.equal(platform.pushes.length, 1, "pushed again exactly once");
    assert.deepEqual(platform.pushes[0].body, plan.lost[0], "the stored message, as it was");
  });
});

describe("queue state that cannot lie", () => {
  test("a failed push leaves 'pushing' (never 'queued'); the sweeper pushes it and the job completes", async () => {
    const platform = platformFor({ seed: 21 });
    const h = handlersFor(platform);
    const globex = portalIds(sim.state(), "GLOBEX");
    const plan = flakyQueue(platform, { fail: 1 });
    const out = await h.automationAction({ companies: "GLOBEX" }, ctx());
    assert.equal(out.status, "pushing", JSON.stringify(out));
    assert.equal(out.pushError.code, "QUEUE_PUSH");
    assert.match(out.pushError.message, /^RateLimitError: /);
    assert.equal(plan.failed, 1);
    assert.equal(platform.pushes.length, 0);
    let rec = record(platform, out.jobId);
    assert.equal(rec.state, "pushing");
    assert.equal(rec.next.chunk, 1);
    // a sweep inside the push's back-off leaves it; after it, pushes the stored message
    await h.sweeper();
    assert.equal(platform.pushes.length, 0);
    platform.clock.t += core.retryDelay(1, {}) * 1000;
    await h.sweeper();
    assert.equal(platform.pushes.length, 1);
    assert.equal(record(platform, out.jobId).state, "queued");
    await drain(h, platform);
    rec = record(platform, out.jobId);
    assert.equal(rec.state, "done");
    assert.deepEqual(onceEach(tally(sim.state()), globex), []);
    // the index entry of a finished job is gone: the sweeper has nothing left to look at
    assert.ok(![...platform.store.keys()].some((k) => k.startsWith(`j:${escapeKey("hostjob-open/")}`)));
  });

  test("a second start of a job whose push failed pushes it at once", async () => {
    const platform = platformFor({ seed: 22 });
    const h = handlersFor(platform);
    flakyQueue(platform, { fail: 1 });
    const first = await h.automationAction({ companies: "INITECH" }, ctx());
    assert.equal(first.status, "pushing");
    const second = await h.automationAction({ companies: "INITECH" }, ctx());
    assert.equal(second.alreadyQueued, true);
    assert.equal(second.resumed, true);
    assert.equal(second.status, "queued");
    assert.equal(platform.pushes.length, 1);
    const third = await h.automationAction({ companies: "INITECH" }, ctx());
    assert.equal(third.alreadyQueued, true);
    assert.equal(third.resumed, undefined);
    assert.equal(platform.pushes.length, 1, "a job already queued is not queued twice");
  });

  test("an issue event during an outage whose push fails too: Forge is asked to retry, the retry pushes it", async () => {
    const platform = platformFor({ seed: 24 });
    const h = handlersFor(platform);
    sim.simulator.faults.set({ rules: [{ kind: "503", surface: "jira" }] });
    flakyQueue(platform, { fail: 1 });
    let out;
    try {
      out = await h.onIssueUpdated(issueEvent("SUP-3"), ctx());
    } finally {
      sim.simulator.faults.clear();
    }
    assert.equal(out.__retry, true, JSON.stringify(out));
    assert.equal(out.retryAfter, core.retryDelay(1, {}));
    assert.equal(platform.pushes.length, 0);
    const again = await h.onIssueUpdated({ ...issueEvent("SUP-3"), retryContext: { retryCount: 1, retryReason: "FUNCTION_RETRY_REQUEST", retryData: out.retryData } }, ctx());
    assert.equal(again.alreadyQueued, true, JSON.stringify(again));
    assert.equal(again.resumed, true);
    assert.equal(platform.pushes.length, 1);
    assert.equal(platform.pushes[0].body.attempts, 1, "the stored retry of the start, with its back-off");
    await drain(h, platform);
    assert.equal(tally(sim.state()).comments("SUP-3"), 1);
  });

  test("a continuation whose push failed: the redelivery pushes it without running the chunk again", async () => {
    const platform = platformFor({ seed: 23, tick: 100 });
    const h = handlersFor(platform, { chunk: 14_000 });
    await h.automationAction({ companies: "ACME" }, ctx());
    const first = platform.pushes.shift();
    flakyQueue(platform, { fail: 1 });
    const out = await h.queueConsumer({ body: first.body });
    assert.equal(out.__retry, true, "the platform is asked to deliver it again");
    assert.equal(out.retryAfter, core.retryDelay(1, {}));
    const rec = record(platform, first.body.request.jobId);
    assert.equal(rec.state, "pushing");
    assert.equal(rec.lastChunk, 1);
    assert.equal(rec.next.chunk, 2);
    const calls = tally(sim.state()).calls;
    const again = await h.queueConsumer({ body: first.body, retryContext: { retryCount: 1, retryReason: "FUNCTION_RETRY_REQUEST", retryData: {} } });
    assert.equal(again.status, "continued");
    assert.equal(tally(sim.state()).calls, calls, "no Atlassian call: the chunk had run");
    assert.equal(platform.pushes.length, 1);
    assert.equal(platform.pushes[0].body.chunk, 2);
    await drain(h, platform);
    assert.equal(record(platform, first.body.request.jobId).state, "done");
    assert.equal(tally(sim.state()).migrations, 29);
  });

  test("a job left 'queued' with nothing queued by the old runner is adopted by the sweeper once", async () => {
    const platform = platformFor({ seed: 41 });
    const h = handlersFor(platform);
    const globex = portalIds(sim.state(), "GLOBEX");
    const plan = flakyQueue(platform, { lose: 1 });
    const out = await h.automationAction({ companies: "GLOBEX" }, ctx());
    // What the old runner left: a record without chain, next or index entry; its message gone.
    const key = (k) => `j:${escapeKey(k)}`;
    const { chain, next, lastChunk, ...legacy } = record(platform, out.jobId);
    platform.store.set(key(`hostjob/${out.jobId}`), JSON.stringify({ ...legacy, state: "queued", chunks: 0 }));
    platform.store.delete(key(`hostjob-open/${out.jobId}`));
    platform.clock.t += STALE_MS + 1;
    await h.sweeper();
    assert.equal(platform.pushes.length, 1, "adopted and pushed");
    const adopted = platform.pushes[0].body;
    assert.notEqual(adopted.chain, chain);
    assert.equal(adopted.chunk, 1);
    // the old message turning up after all is stale against the adopted chain
    const old = { ...plan.lost[0] };
    delete old.chain;
    assert.equal((await h.queueConsumer({ body: old })).status, "stale");
    await drain(h, platform);
    assert.equal(record(platform, out.jobId).state, "done");
    assert.deepEqual(onceEach(tally(sim.state()), globex), []);
    // adoption runs until nothing is left to adopt, then never again
    assert.ok(platform.store.has(key("hostjob-meta/legacy-adopted")));
  });

  test("a consumer that died after Atlassian migrated (answer lost): the sweeper resumes it, nobody is migrated twice", async () => {
    const platform = platformFor({ seed: 31 });
    const h = handlersFor(platform);
    const globex = portalIds(sim.state(), "GLOBEX");
    await h.automationAction({ companies: "GLOBEX" }, ctx());
    const msg = platform.pushes.shift();
    // The admin gateway's migrate is processed, then the invocation hangs forever: a crash.
    const fetch = platform.fetch;
    let crash = true;
    platform.fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (crash && init?.method === "PUT") return new Promise(() => {});
      return res;
    };
    void h.queueConsumer({ body: msg.body });
    for (let i = 0; i < 200 && tally(sim.state()).migrations === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(tally(sim.state()).migrations > 0, "Atlassian migrated before the crash");
    crash = false;
    // The dead run still holds the job: a sweep now leaves it alone.
    await h.sweeper();
    assert.equal(platform.pushes.length, 0);
    // Its leases run out (the host's 16 min, the core's 10 min, a customer's 30 min); the
    // record is older than staleMs: the sweeper pushes the chunk again.
    platform.clock.t += Math.max(STALE_MS, 31 * 60_000) + 1;
    await h.sweeper();
    assert.equal(platform.pushes.length, 1);
    await drain(h, platform);
    const t = tally(sim.state());
    report("forge", "crashed consumer resumed", { deliveries: 2, customers: globex.length, migrations: t.migrations, migrateCalls: t.migrateCalls, comments: t.commentCalls });
    assert.deepEqual(onceEach(t, globex), []);
    assert.equal(record(platform, msg.body.request.jobId).state, "done");
  });
});
