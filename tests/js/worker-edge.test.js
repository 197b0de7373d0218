// The Worker's untrusted edge, probed in workerd (miniflare) against the simulator: v1 signatures
// (replay, stale and future timestamps, wrong signatures), scoped credentials, body checks, caller
// throttling and the per-site running-job limit. Every refused request must also change nothing:
// the simulator's whole state (including its per-route call counters) is compared before and after.
//
// Two Workers run the same bundle: `mf` with the [[ratelimits]] bindings of wrangler.toml
// (miniflare 4.20260426 emulates them in memory, fixed 60 s windows), and `fallback` without them
// (the Worker's in-memory limiter) and with PORTAL_MIGRATE_MAX_RUNNING_JOBS = 1.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startSimulator } from "../../js/sim/index.js";
import { signRequest, stringToSign, canonicalTarget, targetOf, WINDOW_SECONDS } from "../../js/core/edge.js";
import { redact } from "../../js/worker/log.js";
import { simState } from "./helpers/sim.js";
import { buildBundle, startWorker, freshIp, ORIGIN, ROOT, SECRETS } from "./helpers/worker.js";

const TOKEN = SECRETS.PORTAL_MIGRATE_TOKEN;
const READ = SECRETS.PORTAL_MIGRATE_READ_TOKEN;
const HMAC = SECRETS.PORTAL_MIGRATE_HMAC_SECRET;
const UNAUTHORIZED = { error: { code: "UNAUTHORIZED", message: "missing or invalid credentials" } };

let sim;
let bundle;
let mf;
let fallback;
const stdio = [];

before(async () => {
  sim = await startSimulator({ seed: 7 });
  bundle = await buildBundle();
  [mf, fallback] = await Promise.all([
    startWorker({ outdir: bundle.outdir, sim, stdio }),
    startWorker({ outdir: bundle.outdir, sim, stdio, ratelimits: false, vars: { PORTAL_MIGRATE_MAX_RUNNING_JOBS: "1" } }),
  ]);
});

after(async () => {
  await Promise.all([mf?.dispose(), fallback?.dispose()]);
  await sim?.close();
  bundle?.dispose();
});

const nowS = () => Math.floor(Date.now() / 1000);

/** POST /migrate from `ip` with a JSON body (a string is sent as is). */
function post(worker, ip, body, headers = {}) {
  return worker.dispatchFetch(`${ORIGIN}/migrate`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function get(worker, ip, path, headers = {}) {
  return worker.dispatchFetch(`${ORIGIN}${path}`, { headers: { "cf-connecting-ip": ip, ...headers } });
}

const signPost = (body, extra = {}) => signRequest({ secret: HMAC, method: "POST", path: "/migrate", body, ...extra });
const bearer = { authorization: `Bearer ${TOKEN}` };
const reader = { authorization: `Bearer ${READ}` };

/** The answer's status and JSON body (always read, so no stream is left open). */
async function answer(res) {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Runs `fn` and asserts the simulator's whole state (calls included) did not move. */
async function unchanged(fn) {
  const before = await simState(sim);
  await fn();
  assert.deepEqual(await simState(sim), before, "the simulator's state changed");
}

async function waitForJob(worker, ip, jobId, timeoutMs = 40_000) {
  const t0 = Date.now();
  for (;;) {
    const { status, body } = await answer(await get(worker, ip, `/jobs/${jobId}`, reader));
    if (status === 200 && (body.state === "done" || body.state === "failed")) return body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${jobId} did not finish; worker output:\n${stdio.join("")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the signing helper (js/core/signature.js)", () => {
  const secret = "test-secret-0123456789";
  const body = '{"request":{"issueKey":"SUP-1"}}';
  const timestamp = 1767225600; // 2026-01-01T00:00:00Z

  test("known vectors (computed with openssl dgst -sha256 -hmac)", async () => {
    assert.deepEqual(await signRequest({ secret, method: "POST", path: "/migrate", body, timestamp }), {
      "x-portal-migrate-signature": "v1=4f5784d950bc0eb49e3533390ec50cf2683c2b540dbde31910698e00ad55cd2e",
      "x-portal-migrate-timestamp": "1767225600",
    });
    assert.equal((await signRequest({ secret, method: "GET", path: "/jobs/job-0123456789abcdef", timestamp }))["x-portal-migrate-signature"],
      "v1=4391a793dcf6ea5bbfd2c2a8a66663e74c4be8516df6a6ff8604670a37a6e481");
  });

  test("the string to sign is method, target, timestamp and the body's SHA-256, one per line", async () => {
    const bodyHash = createHash("sha256").update(body).digest("hex");
    assert.equal(await stringToSign({ method: "post", target: "/migrate", timestamp, body }), `POST\n/migrate\n${timestamp}\n${bodyHash}`);
    const mac = createHmac("sha256", secret).update(`POST\n/migrate\n${timestamp}\n${bodyHash}`).digest("hex");
    assert.equal((await signRequest({ secret, method: "POST", path: "/migrate", body, timestamp }))["x-portal-migrate-signature"], `v1=${mac}`);
  });

  test("the query is part of the target, sorted and percent-encoded", () => {
    assert.equal(targetOf("/jobs/x?b=2&a=1"), "/jobs/x?a=1&b=2");
    assert.equal(targetOf("/?jobId=job-1"), "/?jobId=job-1");
    assert.equal(canonicalTarget("/", { jobId: ["job 1"], a: ["z", "y"] }), "/?a=y&a=z&jobId=job%201");
    assert.equal(canonicalTarget("/migrate", new URLSearchParams()), "/migrate");
  });

  test("the shell recipe in docs/worker.md computes the same signature", (t) => {
    try {
      execFileSync("openssl", ["version"], { stdio: "ignore" });
    } catch {
      t.skip("no openssl on this machine");
      return;
    }
    // the docs' own sign() function, with `date` pinned to the vector's timestamp
    const docs = readFileSync(path.join(ROOT, "docs/worker.md"), "utf8");
    const fn = /^sign\(\) \{\n[\s\S]*?\n\}$/m.exec(docs)?.[0];
    assert.ok(fn, "docs/worker.md has a sign() function");
    const script = `${fn}\ndate() { echo ${timestamp}; }\nSECRET='${secret}'\nsign POST /migrate '${body}'\nprintf '%s v1=%s' "$TS" "$SIG"`;
    assert.equal(execFileSync("bash", ["-c", script], { encoding: "utf8" }),
      `${timestamp} v1=4f5784d950bc0eb49e3533390ec50cf2683c2b540dbde31910698e00ad55cd2e`);
  });
});

describe("signatures in workerd", () => {
  test("a replayed signed start gets 409 and changes nothing; concurrent duplicates run once", async () => {
    const ip = freshIp();
    const body = JSON.stringify({ request: { issueKey: "SUP-1" } });
    const headers = await signPost(body);
    const first = await answer(await post(mf, ip, body, headers));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, "done");
    assert.equal((await simState(sim)).comments["SUP-1"].length, 1);
    await unchanged(async () => {
      const again = await answer(await post(mf, ip, body, headers));
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "REPLAYED");
    });
    // the same signed bytes delivered twice at once: the Durable Object lets exactly one through
    const dry = JSON.stringify({ request: { issueKey: "SUP-2", dryRun: true } });
    const twin = await signPost(dry);
    const both = await Promise.all([post(mf, ip, dry, twin), post(mf, ip, dry, twin), post(mf, ip, dry, twin)].map(async (r) => (await answer(await r)).status));
    assert.deepEqual(both.sort(), [200, 409, 409]);
  });

  test("stale (> 5 min old) and future-dated (> 5 min ahead) timestamps: 401 STALE_SIGNATURE, nothing done", async () => {
    const ip = freshIp();
    const body = JSON.stringify({ request: { issueKey: "SUP-3" } });
    await unchanged(async () => {
      for (const skew of [-(WINDOW_SECONDS + 5), WINDOW_SECONDS + 5, -86_400, 10 * 365 * 86_400]) {
        const res = await answer(await post(mf, ip, body, await signPost(body, { timestamp: nowS() + skew })));
        assert.equal(res.status, 401, `skew ${skew}`);
        assert.equal(res.body.error.code, "STALE_SIGNATURE", `skew ${skew}`);
      }
    });
    // inside the window (a client clock a minute off) is fine
    const dry = JSON.stringify({ request: { issueKey: "SUP-3", dryRun: true } });
    const ok = await answer(await post(mf, ip, dry, await signPost(dry, { timestamp: nowS() - 60 })));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test("wrongly signed requests: the same 401 for every way of being wrong, nothing done", async () => {
    const ip = freshIp();
    const body = JSON.stringify({ request: { issueKey: "SUP-3" } });
    const good = await signPost(body);
    const cases = [
      { "x-portal-migrate-signature": "v1=" + "0".repeat(64), "x-portal-migrate-timestamp": String(nowS()) },
      { "x-portal-migrate-signature": "sha256=" + "0".repeat(64) },
      { "x-portal-migrate-signature": good["x-portal-migrate-signature"] },
      { "x-portal-migrate-timestamp": good["x-portal-migrate-timestamp"] },
      { ...good, "x-portal-migrate-timestamp": String(Number(good["x-portal-migrate-timestamp"]) - 1) },
      // one hex digit of the MAC changed
      { ...good, "x-portal-migrate-signature": good["x-portal-migrate-signature"].slice(0, -1) + (good["x-portal-migrate-signature"].endsWith("0") ? "1" : "0") },
      await signRequest({ secret: "not-the-secret-0123456789", method: "POST", path: "/migrate", body }),
      await signRequest({ secret: TOKEN, method: "POST", path: "/migrate", body }),
      await signRequest({ secret: READ, method: "POST", path: "/migrate", body }),
      await signPost(JSON.stringify({ request: { issueKey: "SUP-2" } })),
      await signRequest({ secret: HMAC, method: "GET", path: "/migrate", body }),
      await signRequest({ secret: HMAC, method: "POST", path: "/migrate?x=1", body }),
      { ...bearer, "x-portal-migrate-signature": "v1=" + "0".repeat(64), "x-portal-migrate-timestamp": String(nowS()) },
    ];
    await unchanged(async () => {
      for (const headers of cases) {
        const res = await answer(await post(mf, ip, body, headers));
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.deepEqual(res.body, UNAUTHORIZED, JSON.stringify(headers));
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="portal-migrate"');
      }
    });
  });

  test("oversized, malformed JSON and wrong content type: their 4xx, nothing done, nothing echoed", async () => {
    const ip = freshIp();
    const big = JSON.stringify({ request: { customers: Array.from({ length: 4000 }, (_, i) => `c${i}@example.com`) } });
    const cases = [
      [big, {}, 413, "BODY_TOO_LARGE"],
      ["{nope", {}, 400, "MALFORMED_JSON"],
      ['"SUP-1"', {}, 400, "BAD_BODY"],
      [JSON.stringify({ request: { issueKey: "SUP-1" }, sneaky: true }), {}, 400, "BAD_BODY"],
      [JSON.stringify({ request: { issueKey: "SUP 1" } }), {}, 400, "REQUEST"],
      [JSON.stringify({ request: { issueKey: "SUP-1" } }), { "content-type": "text/plain" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
      [JSON.stringify({ request: { issueKey: "SUP-1" } }), { "content-type": "application/x-www-form-urlencoded" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
    ];
    await unchanged(async () => {
      for (const [body, extra, status, code] of cases) {
        // (no credentials with the 70 KB body: the 401 comes before the body is read, and undici
        // reports a refused upload as "fetch failed"; the declared-length case below covers it)
        for (const auth of status === 413 ? [bearer, await signPost(body)] : [bearer, await signPost(body), {}]) {
          const res = await answer(await post(mf, ip, body, { ...auth, ...extra }));
          // without credentials: 401 before the body is read
          const want = Object.keys(auth).length ? [status, code] : [401, "UNAUTHORIZED"];
          assert.deepEqual([res.status, res.body.error.code], want, `${body.slice(0, 40)} ${JSON.stringify(extra)}`);
          assert.doesNotMatch(JSON.stringify(res.body), /nope|sneaky|text\/plain|urlencoded/);
        }
      }
      // a declared length over the limit is refused before anything else, credentials or not
      for (const auth of [bearer, {}]) {
        const res = await answer(await post(mf, ip, big, { ...auth, "content-length": String(Buffer.byteLength(big)) }));
        assert.equal(res.status, 413);
        assert.equal(res.body.error.code, "BODY_TOO_LARGE");
      }
    });
  });
});

describe("scoped credentials", () => {
  test("the read token cannot start a job; the start token cannot read one", async () => {
    const ip = freshIp();
    await unchanged(async () => {
      let res = await answer(await post(mf, ip, { request: { issueKey: "SUP-3" } }, reader));
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, "WRONG_SCOPE");
      res = await answer(await get(mf, ip, "/jobs/job-0000000000000000", bearer));
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, "WRONG_SCOPE");
      // a signature keyed with the read token is no signature at all
      res = await answer(await get(mf, ip, "/jobs/job-0000000000000000", await signRequest({ secret: READ, method: "GET", path: "/jobs/job-0000000000000000" })));
      assert.deepEqual(res.body, UNAUTHORIZED);
    });
  });

  test("a start-secret signature of one job's GET reads that job once, and never another", async () => {
    const ip = freshIp();
    const a = (await answer(await post(mf, ip, { request: { issueKey: "SUP-1", dryRun: true } }, bearer))).body;
    const b = (await answer(await post(mf, ip, { request: { issueKey: "SUP-2", dryRun: true } }, bearer))).body;
    assert.notEqual(a.jobId, b.jobId);
    const forA = await signRequest({ secret: HMAC, method: "GET", path: `/jobs/${a.jobId}` });
    for (const path of [`/jobs/${b.jobId}`, `/jobs/${a.jobId}?x=1`, `/jobs/${a.jobId}x`]) {
      const res = await answer(await get(mf, ip, path, forA));
      assert.equal(res.status, 401, path);
      assert.deepEqual(res.body, UNAUTHORIZED, path);
    }
    // the empty-body signature that used to read every job reads nothing now
    const emptyBodyOnly = { "x-portal-migrate-signature": `sha256=${createHmac("sha256", HMAC).update("").digest("hex")}` };
    assert.equal((await answer(await get(mf, ip, `/jobs/${a.jobId}`, emptyBodyOnly))).status, 401);
    const own = await answer(await get(mf, ip, `/jobs/${a.jobId}`, forA));
    assert.equal(own.status, 200);
    assert.equal(own.body.jobId, a.jobId);
    assert.equal((await answer(await get(mf, ip, `/jobs/${a.jobId}`, forA))).status, 409, "a signed GET is single-use too");
    // the read token reads both; an unknown id is a 404 that does not echo it
    assert.equal((await answer(await get(mf, ip, `/jobs/${b.jobId}`, reader))).body.jobId, b.jobId);
    const missing = await answer(await get(mf, ip, "/jobs/job-ffffffffffffffff", reader));
    assert.equal(missing.status, 404);
    assert.doesNotMatch(JSON.stringify(missing.body), /ffffffff/);
  });
});

/** 250 wrong-token POSTs at once from one address. */
async function flood(worker, ip) {
  const results = await Promise.all(Array.from({ length: 250 }, async (_, i) => answer(await post(worker, ip, { request: { issueKey: "SUP-1" } }, { authorization: `Bearer guess-${i}-0123456789abcdef` }))));
  const by = (s) => results.filter((r) => r.status === s);
  return { results, unauthorized: by(401), limited: by(429) };
}

describe("throttling", () => {
  for (const [name, worker] of [["the rate-limit binding", () => mf], ["the in-memory fallback (no binding)", () => fallback]]) {
    test(`a wrong-token flood gets 429 with Retry-After from ${name}, before body or Durable Object`, async () => {
      const ip = freshIp();
      await unchanged(async () => {
        const { results, unauthorized, limited } = await flood(worker(), ip);
        assert.equal(unauthorized.length + limited.length, results.length, "only 401s and 429s");
        // 100 per 60 s window; a flood that straddles a window boundary may get twice that through
        assert.ok(unauthorized.length >= 100 && unauthorized.length <= 200, `${unauthorized.length} got through to authentication`);
        assert.ok(limited.length >= 50);
        for (const r of limited) {
          assert.deepEqual(r.body, { error: { code: "RATE_LIMITED", message: "too many requests; slow down" } });
          assert.equal(r.headers.get("retry-after"), "60");
        }
      });
      // once limited, the address is refused before any storage: a correctly signed start gets
      // 429, and since its signature never reached the Durable Object's replay store, the same
      // bytes from another address (not limited) are then accepted
      const dry = JSON.stringify({ request: { issueKey: "SUP-3", dryRun: true } });
      const headers = await signPost(dry);
      assert.equal((await answer(await post(worker(), ip, dry, headers))).status, 429);
      assert.equal((await answer(await post(worker(), freshIp(), dry, headers))).status, 200);
    });
  }

  test("a valid credential is throttled across addresses (per-credential limit)", async () => {
    // RL_CREDENTIAL allows 200 per 60 s to one credential, whatever the address: 450 reads of an
    // unknown job from 450 addresses with the read token (each address stays far below RL_IP);
    // even a burst that straddles a window boundary (400 allowed) leaves 50 limited
    const results = await Promise.all(Array.from({ length: 450 }, async () => (await answer(await get(mf, freshIp(), "/jobs/job-0000000000000000", reader))).status));
    const limited = results.filter((s) => s === 429).length;
    assert.equal(results.filter((s) => s === 404).length + limited, 450);
    assert.ok(limited >= 50, `${limited} limited`);
  });
});

describe("the per-site running-job limit (PORTAL_MIGRATE_MAX_RUNNING_JOBS = 1)", () => {
  const guard = async () => {
    const ns = await fallback.getDurableObjectNamespace("GUARD");
    return ns.get(ns.idFromName(new URL(sim.config().siteUrl).host));
  };

  test("a second job while one runs gets 429 TOO_MANY_JOBS and changes nothing; the slot frees when the job ends", async () => {
    const ip = freshIp();
    const state0 = await simState(sim);
    // an INITECH customer nobody has migrated: the refused job would have migrated them
    const target = state0.assets.objects.find((o) => o.attributes.Company === "INITECH"
      && String(o.attributes["Portal Account"] ?? "").startsWith("qm:")
      && !state0.issues.some((i) => i.reporter === o.attributes["Portal Account"]));
    const portalId = target.attributes["Portal Account"];
    const second = { request: { customers: [target.attributes.Email] } };
    const touched = (state) => state.migrations.some((m) => m.qmId === portalId);
    assert.equal(touched(state0), false);
    // the first migrate call of GLOBEX takes 2 s: the job is certainly still running below
    sim.simulator.faults.set({ rules: [{ kind: "latency", surface: "admin", method: "PUT", latencyMs: 2_000, count: 1 }] });
    try {
      const first = await answer(await post(fallback, ip, { request: { companies: ["GLOBEX"] }, mode: "queue" }, bearer));
      assert.equal(first.status, 202, JSON.stringify(first.body));
      // the same job again is not a second job: it keeps its one slot
      const same = await answer(await post(fallback, ip, { request: { companies: ["GLOBEX"] }, mode: "queue" }, bearer));
      assert.equal(same.status, 202);
      assert.equal(same.body.alreadyQueued, true);
      const refused = await answer(await post(fallback, ip, second, bearer));
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, "TOO_MANY_JOBS");
      assert.equal(refused.headers.get("retry-after"), "60");
      const job = await waitForJob(fallback, ip, first.body.jobId);
      assert.equal(job.state, "done", JSON.stringify(job.error ?? job.lastError));
      assert.equal(touched(await simState(sim)), false, "the refused job migrated nobody");
    } finally {
      sim.simulator.faults.clear();
    }
    // the chunk releases the slot right after it records "done": allow it that moment
    let third;
    for (let i = 0; i < 20; i++) {
      third = await answer(await post(fallback, ip, second, bearer));
      if (third.status !== 429) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(third.status, 200, JSON.stringify(third.body));
    assert.match(third.body.summary, /migrated=1/);
    assert.equal(touched(await simState(sim)), true);
  });

  test("a slot held by a Worker that died is freed by its lease", async () => {
    const ip = freshIp();
    // what a crashed start leaves behind: a slot nobody will release, with a 1.5 s lease
    const taken = await (await guard()).acquireJob("job-of-a-crashed-worker", { max: 1, leaseMs: 1_500 });
    assert.equal(await taken.ok, true);
    const dry = { request: { issueKey: "SUP-1", dryRun: true } };
    await unchanged(async () => {
      const refused = await answer(await post(fallback, ip, dry, bearer));
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error.code, "TOO_MANY_JOBS");
    });
    await new Promise((r) => setTimeout(r, 1_600));
    const ok = await answer(await post(fallback, ip, dry, bearer));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});

describe("logs", () => {
  test("the Worker's log lines are JSON with ids and codes, never an email, a token or an address", () => {
    const lines = stdio.join("").split("\n").filter((l) => l.startsWith("{"));
    assert.ok(lines.length > 5, "the Worker logged");
    for (const line of lines) {
      const entry = JSON.parse(line);
      assert.ok(entry.level && entry.message, line);
      assert.doesNotMatch(line, /@|Bearer|guess-|worker-(bearer|read|hmac)|10\.\d+\.\d+\.\d+|v1=/, line);
    }
    assert.ok(lines.some((l) => JSON.parse(l).jobId?.startsWith("job-")), "job lines carry the job id");
    // floods are not logged line by line (the invocation log has them)
    assert.ok(!lines.some((l) => JSON.parse(l).code === "RATE_LIMITED"));
  });

  test("redact() drops credential fields and masks emails at any depth", () => {
    assert.deepEqual(redact({ jobId: "job-1", message: "customer a.b@example.com failed", token: "x", nested: { authorization: "Bearer y", note: ["c@d.example"] } }),
      { jobId: "job-1", message: "customer [email] failed", nested: { note: ["[email]"] } });
  });
});
