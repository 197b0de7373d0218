// The Forge host end to end: the real handlers (js/forge) with the real wasm core loaded the Forge
// way (js/core/forge.js: inlined base64), an in-memory fake of the platform adapter (KVS with
// Forge's key rules, a queue that records pushes, a virtual clock) and a real simulator.
import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as core from "../../js/core/forge.js";
import { startSimulator } from "../../js/sim/index.js";
import { createHandlers, statusChange, actionRequest, CONFIG_KEY } from "../../js/forge/handlers.js";
import { escapeKey, unescapeKey, kvsJournal } from "../../js/forge/journal.js";
// The job limits and the inline rule are the core's (planJob, jobLimits).
const DEFAULT_LIMITS = core.jobLimits({});
const isSmall = (request, max) => core.planJob(request, null, { inlineMaxCustomers: max }).inline;
import { signRequest, MAX_BODY_BYTES, createAtlassianFetch } from "../../js/core/edge.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
import { assertPipelineDone } from "./helpers/pipeline.js";
import { fakePlatform as makeFakePlatform, forgeContext, adminAccountId, TOKEN, READ, HMAC } from "./helpers/forge.js";

let sim;
before(async () => {
  sim = await startSimulator({ seed: 11 });
});
after(async () => {
  await sim?.close();
});
beforeEach(() => sim.reset());

// The fake platform: same shape as js/forge/platform.js (tests/js/helpers/forge.js).
const fakePlatform = (opts) => makeFakePlatform(sim, opts);
const ctx = (accountId = adminAccountId(sim)) => forgeContext(sim, { accountId });

const quiet = () => {};

function handlersFor(platform, { budgets, limits } = {}) {
  return createHandlers({ platform, core, budgets, limits, log: quiet });
}

/** Delivers queued chunks to the consumer until the queue is empty (at most `max`). */
async function drain(h, platform, max = 50) {
  const delivered = [];
  while (platform.pushes.length) {
    assert.ok(delivered.length < max, `more than ${max} chunks`);
    const msg = platform.pushes.shift();
    delivered.push(msg);
    const out = await h.queueConsumer({ body: msg.body, queueName: "portal-migrate-jobs", jobId: "j", eventId: `e${delivered.length}` });
    assert.ok(!out?.__retry, `consumer asked for a retry: ${JSON.stringify(out)}`);
  }
  return delivered;
}

function reporterOf(state, key) {
  return state.issues.find((i) => i.key === key).reporter;
}

/** The portal-only ids of a company's customers (read before a job: write-back replaces them). */
function portalIds(state, company) {
  return state.assets.objects
    .filter((o) => o.attributes.Company === company && typeof o.attributes["Portal Account"] === "string" && o.attributes["Portal Account"].startsWith("qm:"))
    .map((o) => o.attributes["Portal Account"]);
}

function migratedIds(state) {
  return new Set(state.migrations.map((m) => m.qmId));
}

/** A realistic avi:jira:updated:issue event (status change recorded in the changelog). */
function issueUpdatedEvent(key, { to = "Converted", from = "Waiting for support", field = "status" } = {}) {
  return {
    eventType: "avi:jira:updated:issue",
    selfGenerated: false,
    timestamp: "2026-11-25T10:00:00.000Z",
    atlassianId: "557058:agent",
    issue: {
      id: "10001",
      key,
      fields: {
        summary: "Cannot log in to the portal",
        issuetype: { id: "10002", name: "Service request" },
        project: { id: "10000", key: "SUP", name: "Support" },
        status: { id: "10105", name: to },
      },
    },
    changelog: {
      id: "20001",
      items: [
        { field, fieldtype: "jira", fieldId: field, from: "10100", fromString: from, to: "10105", toString: to },
      ],
    },
    associatedStatuses: field === "status" ? [{ id: "10100", name: from }, { id: "10105", name: to }] : undefined,
  };
}

function webRequest({ method = "POST", body = "", headers = {}, query = {} } = {}) {
  const h = {};
  for (const [k, v] of Object.entries({ "Content-Type": "application/json", ...headers })) h[k] = [v];
  const qp = {};
  for (const [k, v] of Object.entries(query)) qp[k] = [v];
  return { method, path: "/", userPath: "", headers: h, queryParameters: qp, body };
}

function parse(res) {
  assert.deepEqual(res.headers["Content-Type"], ["application/json"]);
  return JSON.parse(res.body);
}

// ---------------------------------------------------------------------------------------------

describe("onIssueUpdated (avi:jira:updated:issue)", () => {
  test("a status change into the configured status migrates the reporter inline", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const reporter = reporterOf(sim.state(), "SUP-1");
    const object = sim.state().assets.objects.find((o) => o.attributes["Portal Account"] === reporter);
    const out = await h.onIssueUpdated(issueUpdatedEvent("SUP-1"), { installContext: "ari:cloud:jira::site/1" });
    assert.equal(out.status, "done", JSON.stringify(out));
    assert.match(out.summary, /migrated=1/);
    const state = sim.state();
    assert.ok(migratedIds(state).has(reporter), "the reporter was migrated");
    // The whole job, not only the migrate: written back, grouped, granted its company's space (ACME).
    assertPipelineDone(state, object, { space: "ACME" });
    assert.equal(state.comments["SUP-1"].length, 1, "one summary comment on the issue");
    assert.equal(platform.pushes.length, 0, "nothing queued for a one-customer job");
    // The job record is in KVS, under escaped keys.
    const record = JSON.parse(platform.store.get(`j:${escapeKey(`hostjob/${out.jobId}`)}`));
    assert.equal(record.state, "done");
    assert.equal(record.report.totals.migrated, 1);
  });

  test("matching is by status name without case, or by status id", async () => {
    const item = issueUpdatedEvent("SUP-1").changelog;
    assert.ok(statusChange(item, "converted"));
    assert.ok(statusChange(item, "10105"));
    assert.equal(statusChange(item, "Done"), null);
    // a non-status field whose new value is named like the status does not count
    assert.equal(statusChange(issueUpdatedEvent("SUP-1", { field: "resolution" }).changelog, "Converted"), null);
    // an item without an own toString must not match Object.prototype.toString
    assert.equal(statusChange({ items: [{ field: "status", to: "1" }] }, "function toString() { [native code] }"), null);
    assert.equal(statusChange({ items: "nope" }, "Converted"), null);
    assert.equal(statusChange(undefined, "Converted"), null);
  });

  test("other status changes and other fields are ignored without a single API call", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    for (const event of [
      issueUpdatedEvent("SUP-1", { to: "In Progress" }),
      issueUpdatedEvent("SUP-1", { field: "resolution" }),
      { ...issueUpdatedEvent("SUP-1"), changelog: undefined },
      { ...issueUpdatedEvent("SUP-1"), issue: undefined },
    ]) {
      const out = await h.onIssueUpdated(event);
      assert.equal(out.status, "skipped");
    }
    assert.equal(platform.requests.length, 0);
    assert.equal(sim.state().migrations.length, 0);
  });

  test("the trigger status can come from KVS instead of the variable", async () => {
    const platform = fakePlatform({ env: { PORTAL_MIGRATE_TRIGGER_STATUS: "" }, kvsSeed: { "settings:triggerStatus": "Ready to convert" } });
    const h = handlersFor(platform);
    assert.equal((await h.onIssueUpdated(issueUpdatedEvent("SUP-2"))).status, "skipped");
    const out = await h.onIssueUpdated(issueUpdatedEvent("SUP-2", { to: "Ready to convert" }));
    assert.equal(out.status, "done");
  });

  test("a redelivered event (at-least-once) neither migrates nor comments twice", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const first = await h.onIssueUpdated(issueUpdatedEvent("SUP-1"));
    const second = await h.onIssueUpdated(issueUpdatedEvent("SUP-1"));
    assert.equal(first.jobId, second.jobId);
    assert.match(second.summary, /already_migrated=1/);
    const state = sim.state();
    assert.equal(state.migrations.length, 1);
    assert.equal(state.comments["SUP-1"].length, 1);
  });

  test("without config or credentials it fails with CONFIG and asks for no retry", async () => {
    let h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_CONFIG: "" } }));
    let out = await h.onIssueUpdated(issueUpdatedEvent("SUP-1"));
    assert.equal(out.status, "failed");
    assert.equal(out.error.code, "CONFIG");
    assert.match(out.error.message, /PORTAL_MIGRATE_CONFIG/);
    h = handlersFor(fakePlatform({ env: { ATLASSIAN_API_TOKEN: "" } }));
    out = await h.onIssueUpdated(issueUpdatedEvent("SUP-1"));
    assert.equal(out.error.code, "CONFIG");
    assert.match(out.error.message, /admin page .*ATLASSIAN_API_TOKEN/);
    h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_CONFIG: JSON.stringify({ ...sim.config(), siteUrl: "not a url" }) } }));
    out = await h.onIssueUpdated(issueUpdatedEvent("SUP-1"));
    assert.equal(out.error.code, "CONFIG");
    assert.equal(sim.state().migrations.length, 0);
  });

  test("an Atlassian outage hands the event to the queue instead of losing it", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const reporter = reporterOf(sim.state(), "SUP-1");
    sim.simulator.faults.set({ rules: [{ kind: "503", surface: "jira" }] });
    const out = await h.onIssueUpdated(issueUpdatedEvent("SUP-1"));
    assert.equal(out.status, "queued");
    assert.equal(platform.pushes.length, 1);
    assert.deepEqual(platform.pushes[0].body.request, { issueKey: "SUP-1", jobId: out.jobId });
    assert.ok(platform.pushes[0].delaySeconds >= 1);
    sim.simulator.faults.clear();
    await drain(h, platform);
    assert.ok(migratedIds(sim.state()).has(reporter));
  });
});

describe("postFunction (jira:workflowPostFunction)", () => {
  test("the post function migrates the transitioned issue's reporter", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const reporter = reporterOf(sim.state(), "SUP-3");
    const object = sim.state().assets.objects.find((o) => o.attributes["Portal Account"] === reporter);
    const out = await h.postFunction({
      issue: { id: "10003", key: "SUP-3" },
      transition: { executionId: "5c4f0d8e-1", transitionId: 31, transitionName: "Convert", from: { id: "10100" }, to: { id: "10105" } },
      workflow: { workflowId: "wf-1", workflowName: "Service request workflow" },
      atlassianId: "557058:agent",
      changelog: [{ field: "status", from: "10100", to: "10105" }],
      configuration: {},
    });
    assert.equal(out.status, "done", JSON.stringify(out));
    assert.ok(migratedIds(sim.state()).has(reporter));
    assertPipelineDone(sim.state(), object, { space: "INI" }); // SUP-3: an INITECH customer
    assert.equal(sim.state().comments["SUP-3"].length, 1);
  });

  test("a payload without an issue is skipped", async () => {
    const h = handlersFor(fakePlatform());
    assert.equal((await h.postFunction({ transition: {} })).status, "skipped");
  });
});

describe("automationAction (action + automation:actionProvider)", () => {
  test("a company is a big job: it is queued, then the consumer finishes it", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const globex = portalIds(sim.state(), "GLOBEX");
    assert.equal(globex.length, 5);
    const out = await h.automationAction({ companies: "GLOBEX", context: { cloudId: "x" } }, ctx());
    assert.equal(out.status, "queued", JSON.stringify(out));
    assert.match(out.jobId, /^job-[0-9a-f]{16}$/);
    assert.equal(out.unfinished, 5, "the core counted GLOBEX's customers without starting any");
    assert.equal(sim.state().migrations.length, 0, "nothing migrated inline");
    assert.equal(platform.pushes.length, 1);
    const msg = platform.pushes[0].body;
    assert.match(msg.chain, /^c[0-9a-z]+\.[0-9a-f]{12}$/, "the message names its chain");
    assert.deepEqual({ ...msg, request: undefined }, { v: 1, chain: msg.chain, request: undefined, chunk: 1, attempts: 0, stalls: 0, unfinished: 5 });
    assert.deepEqual(msg.request.companies, ["GLOBEX"]);
    assert.equal(msg.request.jobId, out.jobId, "the queued continuation names the job");
    const chunks = await drain(h, platform);
    assert.equal(chunks.length, 1);
    const migrated = migratedIds(sim.state());
    for (const id of globex) assert.ok(migrated.has(id), `${id} migrated`);
  });

  test("inputs may be lists in text, JSON lists, or under `inputs`", () => {
    assert.deepEqual(actionRequest({ companies: "ACME, GLOBEX;INITECH", issueKey: " SUP-1 " }), { issueKey: "SUP-1", companies: ["ACME", "GLOBEX", "INITECH"] });
    assert.deepEqual(actionRequest({ inputs: { customers: '["a@x.example","b@x.example"]', dryRun: "true" } }), { customers: ["a@x.example", "b@x.example"], dryRun: true });
    assert.throws(() => actionRequest({}), /at least one of the inputs/);
    assert.throws(() => actionRequest({ companies: 5 }), /companies must be text/);
    assert.throws(() => actionRequest({ companies: "[oops" }), /not a JSON list/);
  });

  test("errors go back as { errors: [{ message }] } and stop the rule", async () => {
    const h = handlersFor(fakePlatform());
    let out = await h.automationAction({}, ctx());
    assert.equal(out.errors.length, 1);
    assert.match(out.errors[0].message, /^BAD_INPUT: give at least one/);
    out = await h.automationAction({ customers: "not a customer!" }, ctx());
    assert.match(out.errors[0].message, /^REQUEST: .*not a portal account id, account id or email/);
  });

  test("explicit customers up to the inline limit run inline, more are queued", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const emails = sim.state().assets.objects.filter((o) => o.attributes.Company === "INITECH").map((o) => o.attributes.Email);
    const out = await h.automationAction({ customers: emails.slice(0, 2).join(",") }, ctx());
    assert.equal(out.status, "done", JSON.stringify(out));
    assert.match(out.summary, /migrated=2/);
    assert.equal(isSmall({ customers: emails }, 3), false);
    assert.equal(isSmall({ customers: emails.slice(0, 3) }, 3), true);
    assert.equal(isSmall({}, DEFAULT_LIMITS.inlineMaxCustomers), false, "no selection means the config's companies");
  });
});

describe("webTrigger (authenticated HTTP start)", () => {
  const start = (request, extra = {}) => JSON.stringify({ request, ...extra });
  const nowS = (platform) => Math.floor(platform.clock.t / 1000);
  /** v1 signature headers for a web-trigger request (path "/" plus the query). */
  const sign = (platform, { method = "POST", path = "/", body = "", secret = HMAC, skew = 0 } = {}) =>
    signRequest({ secret, method, path, body, timestamp: nowS(platform) + skew });
  const bearer = { Authorization: `Bearer ${TOKEN}` };
  const reader = { Authorization: `Bearer ${READ}` };

  /** Nothing happened: no product call, no migration, no comment, no push, no KVS write. */
  function assertUntouched(platform, kvsBefore) {
    assert.equal(platform.requests.length, 0, "no Atlassian call");
    const state = sim.state();
    assert.equal(state.migrations.length, 0, "no migration");
    assert.equal(Object.values(state.comments).flat().length, 0, "no comment");
    assert.equal(platform.pushes.length, 0, "nothing queued");
    assert.deepEqual([...platform.store.keys()], kvsBefore, "KVS unchanged");
  }

  test("no credentials, a wrong token or a wrong signature: the same 401", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const body = start({ issueKey: "SUP-1" });
    const good = await sign(platform, { body });
    const cases = [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: `Basic ${TOKEN}` },
      { Authorization: TOKEN },
      // the pre-v1 body-only form
      { "X-Portal-Migrate-Signature": "sha256=" + "0".repeat(64) },
      // right shape, wrong MAC
      { "X-Portal-Migrate-Signature": "v1=" + "0".repeat(64), "X-Portal-Migrate-Timestamp": String(nowS(platform)) },
      // a signature without its timestamp, a timestamp without a signature, a non-numeric timestamp
      { "X-Portal-Migrate-Signature": good["x-portal-migrate-signature"] },
      { "X-Portal-Migrate-Timestamp": good["x-portal-migrate-timestamp"] },
      { ...good, "x-portal-migrate-timestamp": "soon" },
      // the timestamp moved by one second: the MAC no longer matches
      { ...good, "x-portal-migrate-timestamp": String(nowS(platform) + 1) },
      // signed with another secret
      await sign(platform, { body, secret: "another-secret-0123456789" }),
      // a signature over another body, another method, another path
      await sign(platform, { body: start({ issueKey: "SUP-2" }) }),
      await sign(platform, { method: "GET", body }),
      await sign(platform, { path: "/elsewhere", body }),
      // a valid bearer token next to a bad signature: the signature form wins
      { ...bearer, "X-Portal-Migrate-Signature": "v1=" + "0".repeat(64), "X-Portal-Migrate-Timestamp": String(nowS(platform)) },
    ];
    const kvsBefore = [...platform.store.keys()];
    for (const headers of cases) {
      const res = await h.webTrigger(webRequest({ body, headers }));
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.deepEqual(parse(res), { error: { code: "UNAUTHORIZED", message: "missing or invalid credentials" } }, JSON.stringify(headers));
    }
    assertUntouched(platform, kvsBefore);
  });

  test("a signed start is accepted once: the same bytes again get 409 and change nothing", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const reporter = reporterOf(sim.state(), "SUP-2");
    const object = sim.state().assets.objects.find((o) => o.attributes["Portal Account"] === reporter);
    const body = start({ issueKey: "SUP-2" }, { mode: "inline" });
    const headers = await sign(platform, { body });
    const res = await h.webTrigger(webRequest({ body, headers }));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(parse(res).status, "done");
    assertPipelineDone(sim.state(), object, { space: "GLX" }); // SUP-2: a GLOBEX customer
    const migrations = sim.state().migrations.length;
    assert.equal(migrations, 1);
    // the MAC is remembered until the end of its window, no longer
    const key = `sig:${headers["x-portal-migrate-signature"].slice(3)}`;
    assert.ok(platform.store.has(key));
    const ttlMs = platform.expiries.get(key) - platform.clock.t;
    assert.ok(ttlMs > 0 && ttlMs <= 300_000, `TTL ${ttlMs} ms`);
    const requests = platform.requests.length;
    const again = await h.webTrigger(webRequest({ body, headers }));
    assert.equal(again.statusCode, 409);
    assert.equal(parse(again).error.code, "REPLAYED");
    assert.equal(platform.requests.length, requests, "no Atlassian call for the replay");
    assert.equal(sim.state().migrations.length, migrations);
    assert.equal(sim.state().comments["SUP-2"].length, 1);
  });

  test("stale and future-dated signatures: 401 STALE_SIGNATURE, nothing done; ±300 s is accepted", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const body = start({ issueKey: "SUP-1" });
    const kvsBefore = [...platform.store.keys()];
    for (const skew of [-301, 301, -3600, 86_400]) {
      const res = await h.webTrigger(webRequest({ body, headers: await sign(platform, { body, skew }) }));
      assert.equal(res.statusCode, 401, `skew ${skew}`);
      assert.equal(parse(res).error.code, "STALE_SIGNATURE", `skew ${skew}`);
    }
    assertUntouched(platform, kvsBefore);
    const dry = start({ issueKey: "SUP-1", dryRun: true });
    for (const skew of [-300, 300]) {
      const res = await h.webTrigger(webRequest({ body: dry, headers: await sign(platform, { body: dry, skew }) }));
      assert.equal(res.statusCode, 200, `skew ${skew}: ${res.body}`);
    }
  });

  test("scopes: the read token cannot start, the start token cannot read, a signed GET reads only its job", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const kvsBefore = [...platform.store.keys()];
    let res = await h.webTrigger(webRequest({ body: start({ issueKey: "SUP-1" }), headers: reader }));
    assert.equal(res.statusCode, 403);
    assert.equal(parse(res).error.code, "WRONG_SCOPE");
    assertUntouched(platform, kvsBefore);

    const email = sim.state().assets.objects.find((o) => o.attributes.Company === "INITECH" && o.attributes["Portal Account"]).attributes.Email;
    const done = parse(await h.webTrigger(webRequest({ body: start({ customers: [email] }), headers: bearer })));
    assert.equal(done.status, "done");
    const other = parse(await h.webTrigger(webRequest({ body: start({ issueKey: "SUP-3" }), headers: bearer })));
    assert.notEqual(other.jobId, done.jobId);

    res = await h.webTrigger(webRequest({ method: "GET", headers: bearer, query: { jobId: done.jobId } }));
    assert.equal(res.statusCode, 403);
    assert.equal(parse(res).error.code, "WRONG_SCOPE");

    const signedGet = await sign(platform, { method: "GET", path: `/?jobId=${done.jobId}` });
    // the signature of one job's GET does not read another job...
    res = await h.webTrigger(webRequest({ method: "GET", headers: signedGet, query: { jobId: other.jobId } }));
    assert.equal(res.statusCode, 401);
    assert.equal(parse(res).error.code, "UNAUTHORIZED");
    // ...nor is it a start
    res = await h.webTrigger(webRequest({ body: "", headers: signedGet }));
    assert.equal(res.statusCode, 401);
    // it reads its own job, once
    res = await h.webTrigger(webRequest({ method: "GET", headers: signedGet, query: { jobId: done.jobId } }));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(parse(res).jobId, done.jobId);
    res = await h.webTrigger(webRequest({ method: "GET", headers: signedGet, query: { jobId: done.jobId } }));
    assert.equal(res.statusCode, 409);
    // the read token reads any job
    res = await h.webTrigger(webRequest({ method: "GET", headers: reader, query: { jobId: other.jobId } }));
    assert.equal(res.statusCode, 200);
  });

  test("an oversized body: 413 before anything else", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const big = start({ customers: Array.from({ length: 4000 }, (_, i) => `customer${i}@example.com`) });
    assert.ok(Buffer.byteLength(big) > MAX_BODY_BYTES);
    const kvsBefore = [...platform.store.keys()];
    for (const headers of [bearer, {}, await sign(platform, { body: big })]) {
      const res = await h.webTrigger(webRequest({ body: big, headers }));
      assert.equal(res.statusCode, 413);
      assert.equal(parse(res).error.code, "BODY_TOO_LARGE");
      assert.match(parse(res).error.message, /limit is 65536 bytes/);
    }
    assertUntouched(platform, kvsBefore);
  });

  test("malformed bodies and a wrong content type: 400 / 415, nothing done, input not echoed", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const cases = [
      ["{not json", 400, "MALFORMED_JSON"],
      ["[1,2]", 400, "BAD_BODY"],
      [JSON.stringify({ request: "SUP-1" }), 400, "BAD_BODY"],
      [JSON.stringify({ request: {}, extraFieldXYZ: 1 }), 400, "BAD_BODY"],
      [JSON.stringify({ request: {}, mode: "later" }), 400, "BAD_BODY"],
      [JSON.stringify({ request: { deadlineMs: 1 } }), 400, "BAD_BODY"],
      [JSON.stringify({ request: { companys: ["ACME"] } }), 400, "REQUEST"],
    ];
    const kvsBefore = [...platform.store.keys()];
    for (const [body, status, code] of cases) {
      for (const headers of [bearer, await sign(platform, { body })]) {
        const res = await h.webTrigger(webRequest({ body, headers }));
        assert.equal(res.statusCode, status, body);
        assert.equal(parse(res).error.code, code, body);
        assert.doesNotMatch(res.body, /not json|extraFieldXYZ|later/, "the answer does not echo the body");
      }
    }
    const body = start({ issueKey: "SUP-1" });
    const res = await h.webTrigger(webRequest({ body, headers: { ...(await sign(platform, { body })), "Content-Type": "text/xml" } }));
    assert.equal(res.statusCode, 415);
    assert.equal(parse(res).error.code, "UNSUPPORTED_MEDIA_TYPE");
    assert.doesNotMatch(res.body, /xml/);
    assertUntouched(platform, kvsBefore);
  });

  test("a bearer-authenticated small job runs inline; GET ?jobId with the read token returns its report", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    const email = sim.state().assets.objects.find((o) => o.attributes.Company === "INITECH" && o.attributes["Portal Account"]).attributes.Email;
    const res = await h.webTrigger(webRequest({ body: start({ customers: [email] }), headers: bearer }));
    assert.equal(res.statusCode, 200, res.body);
    const out = parse(res);
    assert.equal(out.status, "done");
    assert.equal(out.report.customers[0].email, email);
    assert.equal(out.report.customers[0].status, "migrated");
    // product calls went as the app (no Authorization from us); the admin's Basic credentials only
    // to the admin gateway over egress; nothing followed a redirect
    assert.ok(platform.requests.every((r) => r.url.startsWith(sim.url) && r.redirect === "manual"));
    assert.ok(platform.requests.filter((r) => r.kind === "product").every((r) => r.authorization === null));
    const external = platform.requests.filter((r) => r.kind === "external");
    assert.equal(external.length, 1, "one egress call: the migrate PUT");
    assert.ok(external.every((r) => r.authorization?.startsWith("Basic ") && /\/gateway\/api\/ex\/jira\//.test(r.url)));

    const got = await h.webTrigger(webRequest({ method: "GET", headers: reader, query: { jobId: out.jobId } }));
    assert.equal(got.statusCode, 200);
    const job = parse(got);
    assert.equal(job.state, "done");
    assert.equal(job.finished, true);
    assert.equal(job.report.customers.length, 1);
    assert.equal(job.report.customers[0].accountId, out.report.customers[0].accountId);

    const missing = await h.webTrigger(webRequest({ method: "GET", headers: reader, query: { jobId: "job-0000000000000000" } }));
    assert.equal(missing.statusCode, 404);
    assert.doesNotMatch(missing.body, /job-0000000000000000/, "the id is not echoed");
    assert.equal((await h.webTrigger(webRequest({ method: "GET", headers: reader, query: { jobId: "../x" } }))).statusCode, 400);
    assert.equal((await h.webTrigger(webRequest({ method: "GET", query: { jobId: out.jobId } }))).statusCode, 401);
    assert.equal((await h.webTrigger(webRequest({ method: "PUT", headers: bearer }))).statusCode, 405);
  });

  test("with no usable caller secret every request is refused (503); short secrets do not count", async () => {
    let h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_TOKEN: "", PORTAL_MIGRATE_HMAC_SECRET: "" } }));
    let res = await h.webTrigger(webRequest({ body: start({ issueKey: "SUP-1" }), headers: { Authorization: "Bearer " } }));
    assert.equal(res.statusCode, 503);
    assert.equal(parse(res).error.code, "NOT_CONFIGURED");
    h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_TOKEN: "short", PORTAL_MIGRATE_HMAC_SECRET: "" } }));
    res = await h.webTrigger(webRequest({ body: start({ issueKey: "SUP-1" }), headers: { Authorization: "Bearer short" } }));
    assert.equal(res.statusCode, 503);
    // a read token equal to the start token is ignored: that token still starts, but reads nothing
    h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_READ_TOKEN: TOKEN, PORTAL_MIGRATE_HMAC_SECRET: "" } }));
    res = await h.webTrigger(webRequest({ method: "GET", headers: bearer, query: { jobId: "job-0000000000000000" } }));
    assert.equal(res.statusCode, 503);
    // an HMAC secret equal to a token is ignored: the token cannot be used to sign
    h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_HMAC_SECRET: READ } }));
    const dry = start({ issueKey: "SUP-1", dryRun: true });
    res = await h.webTrigger(webRequest({ body: dry, headers: await signRequest({ secret: READ, method: "POST", path: "/", body: dry, timestamp: Math.floor(Date.UTC(2026, 10, 1) / 1000) }) }));
    assert.equal(res.statusCode, 401);
    // reading needs the read token or the HMAC secret
    h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_READ_TOKEN: "", PORTAL_MIGRATE_HMAC_SECRET: "" } }));
    res = await h.webTrigger(webRequest({ method: "GET", headers: bearer, query: { jobId: "job-0000000000000000" } }));
    assert.equal(res.statusCode, 503);
    assert.equal(sim.state().migrations.length, 0);
  });
});

describe("queueConsumer (@forge/events)", () => {
  test("a big job runs in chunks under a deadline; each continuation is re-queued", async () => {
    // Every product call takes 100 ms of virtual time; a chunk may start customers for 14 s minus
    // the core's 5 s per-customer estimate, so ACME's 30 customers need more than one chunk.
    const platform = fakePlatform({ tick: 100 });
    const h = handlersFor(platform, { budgets: { chunk: 14_000 } });
    const acme = portalIds(sim.state(), "ACME");
    const res = await h.webTrigger(webRequest({ body: JSON.stringify({ request: { companies: ["ACME"] } }), headers: { Authorization: `Bearer ${TOKEN}` } }));
    assert.equal(res.statusCode, 202, res.body);
    const { jobId, unfinished } = parse(res);
    assert.equal(unfinished, 30);
    const chunks = await drain(h, platform);
    assert.ok(chunks.length >= 2, `expected several chunks, got ${chunks.length}`);
    chunks.forEach((c, i) => {
      assert.equal(c.body.chunk, i + 1);
      assert.equal(c.body.request.jobId, jobId);
    });
    // unfinished only goes down from chunk to chunk
    const left = chunks.map((c) => c.body.unfinished);
    assert.deepEqual([...left].sort((a, b) => b - a), left);
    const job = parse(await h.webTrigger(webRequest({ method: "GET", headers: { Authorization: `Bearer ${READ}` }, query: { jobId } })));
    assert.equal(job.state, "done");
    assert.equal(job.chunks, chunks.length);
    assert.equal(job.report.totals.unfinished, 0);
    assert.equal(job.report.customers.length, 30);
    assert.equal(job.report.totals.migrated + job.report.totals.alreadyMigrated + job.report.totals.skipped, 30);
    const migrated = migratedIds(sim.state());
    assert.equal(acme.filter((id) => migrated.has(id)).length, job.report.totals.migrated);
    assert.equal(job.report.totals.migrated, 29, "ACME has 30 customers, one without a portal account");
    assert.equal(job.report.totals.skipped, 1);
    // the report is stored in parts below Forge's KVS value limit
    assert.ok([...platform.store.keys()].some((k) => k.includes("customers")));
  });

  test("a chunk delivered again after it completed is dropped: no second run, no second chain", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    await h.automationAction({ companies: "INITECH" }, ctx());
    const msg = platform.pushes.shift();
    assert.equal((await h.queueConsumer({ body: msg.body })).status, "done");
    const before = sim.state().migrations.length;
    assert.equal(before, 4);
    const total = (state) => Object.values(state.calls.bySurface).reduce((a, b) => a + b, 0);
    const calls = total(sim.state());
    const again = await h.queueConsumer({ body: msg.body });
    assert.equal(again.status, "stale");
    assert.equal(sim.state().migrations.length, before);
    assert.equal(total(sim.state()), calls, "not a single Atlassian call");
    assert.equal(platform.pushes.length, 0, "nothing queued");
  });

  test("a chunk that cannot start a customer stalls out instead of looping forever", async () => {
    const platform = fakePlatform();
    // 1 s per chunk is less than the core's first per-customer estimate (5 s): nothing starts.
    const h = handlersFor(platform, { budgets: { chunk: 1_000 } });
    const out = await h.automationAction({ companies: "GLOBEX" }, ctx());
    const chunks = await drain(h, platform);
    assert.equal(chunks.length, DEFAULT_LIMITS.maxStalls);
    const job = JSON.parse(platform.store.get(`j:${escapeKey(`hostjob/${out.jobId}`)}`));
    assert.equal(job.state, "failed");
    assert.equal(job.error.code, "STALLED");
  });

  test("retryable failures re-queue the chunk with a delay; other messages are dropped", async () => {
    const platform = fakePlatform();
    const h = handlersFor(platform);
    await h.automationAction({ companies: "GLOBEX" }, ctx());
    const msg = platform.pushes.shift();
    sim.simulator.faults.set({ rules: [{ kind: "503" }] });
    const out = await h.queueConsumer({ body: msg.body });
    assert.equal(out.status, "retrying");
    assert.equal(platform.pushes.length, 1);
    assert.equal(platform.pushes[0].body.attempts, 1);
    assert.equal(platform.pushes[0].delaySeconds, DEFAULT_LIMITS.retryDelaySeconds);
    sim.simulator.faults.clear();
    await drain(h, platform);
    assert.equal(sim.state().migrations.length, 5);
    assert.equal((await h.queueConsumer({ body: { hello: "world" } })).status, "rejected");
    assert.equal((await h.queueConsumer({ body: null })).status, "rejected");
  });

  test("when settings cannot be loaded the consumer asks the platform to retry, backing off by retryContext", async () => {
    const h = handlersFor(fakePlatform({ env: { PORTAL_MIGRATE_CONFIG: "{" } }));
    const body = { v: 1, request: { companies: ["ACME"] }, chunk: 1 };
    const out = await h.queueConsumer({ body });
    assert.equal(out.__retry, true);
    assert.equal(out.retryAfter, core.retryDelay(1, {}));
    // the third retry waits the core's delay for a fourth attempt
    const later = await h.queueConsumer({ body, retryContext: { retryCount: 3, retryReason: "FUNCTION_RETRY_REQUEST", retryData: {} } });
    assert.equal(later.retryAfter, core.retryDelay(4, {}));
    assert.ok(later.retryAfter > out.retryAfter);
  });
});

describe("the credentialed fetch (js/core/edge.js)", () => {
  test("Basic credentials go only to the configured origins; redirects are not followed", async () => {
    const seen = [];
    const fetchImpl = async (url, init) => {
      seen.push({ url, init });
      return new Response("{}", { status: 302, headers: { Location: "https://evil.example/x", "X-Thing": "1" } });
    };
    const f = createAtlassianFetch({
      fetchImpl,
      credentials: { email: "admin@example.com", apiToken: "s3cr3t-ü" },
      urls: { siteUrl: "https://acme.atlassian.net", adminUrl: "https://admin.atlassian.com", apiUrl: "https://api.atlassian.com" },
    });
    const res = await f({ surface: "jira", method: "GET", url: "https://acme.atlassian.net/rest/api/3/myself", headers: { accept: "application/json" }, body: null });
    assert.equal(res.status, 302, "the 3xx comes back to the core as is");
    assert.equal(res.headers.location, "https://evil.example/x");
    assert.equal(seen[0].init.redirect, "manual");
    assert.equal(seen[0].init.headers.authorization, "Basic " + Buffer.from("admin@example.com:s3cr3t-ü").toString("base64"));
    await f({ method: "GET", url: "https://admin.atlassian.com/gateway/api/x", headers: {} });
    assert.ok(seen[1].init.headers.authorization);
    // another origin (a Location from an answer, a look-alike host, another port or scheme)
    for (const url of ["https://evil.example/x", "https://acme.atlassian.net.evil.example/", "http://acme.atlassian.net/", "https://acme.atlassian.net:8443/"]) {
      await f({ method: "GET", url, headers: { Authorization: "Basic forged" } });
      assert.equal(seen.at(-1).init.headers.authorization, undefined, url);
      assert.equal(seen.at(-1).init.headers.Authorization, undefined, url);
    }
    const failing = createAtlassianFetch({
      fetchImpl: async () => { throw Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) }); },
      credentials: { email: "a@b.c", apiToken: "t" },
      urls: { siteUrl: "https://acme.atlassian.net" },
    });
    await assert.rejects(failing({ method: "GET", url: "https://acme.atlassian.net/x" }), (e) => e.code === "ECONNRESET" && !/t@|Basic/.test(e.message));
  });
});

describe("the KVS journal", () => {
  test("keys are escaped into Forge's alphabet, reversibly and prefix-preserving", () => {
    for (const key of ["job/job-1", "customer/qm:1:abc", "customer/ümlaut@example.com", "a#b c/d%"]) {
      const e = escapeKey(key);
      assert.match(e, /^[A-Za-z0-9:._#-]+$/);
      assert.equal(unescapeKey(e), key);
    }
    assert.ok(escapeKey("customer/qm:1:abc").startsWith(escapeKey("customer/")));
    assert.ok(!escapeKey("customers/x").startsWith(escapeKey("customer/")));
  });

  test("get/put/list work over paged KVS queries", async () => {
    const platform = fakePlatform();
    const j = kvsJournal(platform.kvs);
    for (let i = 0; i < 250; i++) await j.put(`customer/qm:${String(i).padStart(3, "0")}`, `{"i":${i}}`);
    await j.put("job/x", "{}");
    assert.equal(await j.get("job/x"), "{}");
    assert.equal(await j.get("job/y"), null);
    const rows = await j.list("customer/");
    assert.equal(rows.length, 250);
    assert.deepEqual(rows[7], ["customer/qm:007", '{"i":7}']);
    await assert.rejects(j.put("x".repeat(600), "1"), (e) => e.code === "JOURNAL" && /too long/.test(e.message));
  });
});

describe("manifest.yml and the Forge entry", () => {
  test("@forge/manifest validates the manifest (schema, scopes, handler files)", async () => {
    const { validate } = (await import("@forge/manifest")).default;
    const cwd = process.cwd();
    process.chdir(ROOT); // handlers resolve under ./src
    try {
      const result = await validate(false, path.join(ROOT, "manifest.yml"));
      assert.deepEqual(result.errors ?? [], [], JSON.stringify(result.errors, null, 1));
      assert.equal(result.success, true);
    } finally {
      process.chdir(cwd);
    }
  });

  test("every function handler is an export of src/forge.js and every module names a function", async () => {
    const { parse: parseYaml } = await import("yaml");
    const manifest = parseYaml(readFileSync(path.join(ROOT, "manifest.yml"), "utf8"));
    const entry = await import("../../src/forge.js");
    const functions = new Map(manifest.modules.function.map((f) => [f.key, f]));
    for (const f of functions.values()) {
      const [file, name] = f.handler.split(".");
      assert.equal(file, "forge");
      assert.equal(typeof entry[name], "function", `src/forge.js exports ${name}`);
    }
    const used = ["trigger", "jira:workflowPostFunction", "action", "webtrigger", "consumer", "scheduledTrigger"].flatMap((m) => manifest.modules[m].map((x) => x.function));
    used.push(...manifest.modules["jira:adminPage"].map((p) => p.resolver.function));
    for (const key of used) assert.ok(functions.has(key), `function ${key} is declared`);
    assert.deepEqual(manifest.modules.trigger[0].events, ["avi:jira:updated:issue"]);
    assert.equal(functions.get("queue-consumer").timeoutSeconds, 900);
    assert.deepEqual(manifest.modules.scheduledTrigger.map((t) => [t.function, t.interval]), [["sweeper", "hour"]]);
    assert.ok(DEFAULT_LIMITS && (await import("../../js/forge/handlers.js")).DEFAULT_BUDGETS.chunk < 900_000);
    const { QUEUE_KEY } = await import("../../js/forge/platform.js");
    assert.equal(manifest.modules.consumer[0].queue, QUEUE_KEY);
    assert.deepEqual(manifest.modules["automation:actionProvider"][0].actions, [manifest.modules.action[0].key]);
    assert.equal(manifest.app.runtime.name, "nodejs24.x");
  });

  test("the admin page, the action's config form, the trigger filter, scopes and egress", async () => {
    const { parse: parseYaml } = await import("yaml");
    const manifest = parseYaml(readFileSync(path.join(ROOT, "manifest.yml"), "utf8"));
    const resources = new Map(manifest.resources.map((r) => [r.key, r.path]));
    const admin = manifest.modules["jira:adminPage"][0];
    const action = manifest.modules.action[0];
    for (const key of [admin.resource, action.config.resource]) {
      assert.ok(resources.has(key), `resource ${key} is declared`);
      const dir = path.join(ROOT, resources.get(key));
      const html = readFileSync(path.join(dir, "index.html"), "utf8");
      assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, "no inline script (Custom UI CSP)");
      for (const [, src] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
        assert.ok(existsSync(path.join(dir, src)) || src === "bridge.js", `${key}: ${src} exists`);
      }
    }
    assert.equal(action.config.render, undefined, "Custom UI, not UI Kit");
    assert.deepEqual(Object.keys(action.inputs), ["issueKey", "companies", "customers", "dryRun"]);
    assert.equal(manifest.modules.trigger[0].filter.onError, "IGNORE_AND_LOG");
    assert.deepEqual(manifest.permissions.external.fetch.backend.map((b) => b.address), ["admin.atlassian.com"]);
    const scopes = manifest.permissions.scopes;
    for (const s of ["read:cmdb-object:jira", "write:cmdb-object:jira", "read:jira-user", "write:jira-work", "manage:jira-configuration", "storage:app"]) assert.ok(scopes.includes(s), s);
    const consumer = manifest.modules.function.find((f) => f.key === manifest.modules.consumer[0].function);
    const { DEFAULT_BUDGETS } = await import("../../js/forge/handlers.js");
    assert.equal(consumer.timeoutSeconds, DEFAULT_BUDGETS.consumerTimeoutSeconds, "the egress budget is computed from the declared timeout");
  });

  test("the real platform adapter loads @forge/api, @forge/kvs and @forge/events and has the fake's shape", async () => {
    const { forgePlatform } = await import("../../js/forge/platform.js");
    const p = forgePlatform({ env: {} });
    for (const k of ["fetch", "now", "retry"]) assert.equal(typeof p[k], "function", k);
    for (const k of ["get", "set", "delete", "query", "claim", "create", "getSecret", "setSecret"]) assert.equal(typeof p.kvs[k], "function", `kvs.${k}`);
    for (const k of ["requestJira", "requestConfluence"]) assert.equal(typeof p.product[k], "function", `product.${k}`);
    assert.equal(typeof p.productAsUser.requestJira, "function");
    assert.equal(typeof p.sleep, "function");
    assert.equal(typeof new p.Resolver().getDefinitions(), "function", "@forge/resolver's class");
    assert.equal(typeof p.queue.push, "function");
    const retry = p.retry({ retryAfter: 5000 });
    assert.equal(retry._retry, true, "an InvocationError asks the platform to retry");
    assert.equal(retry.retryOptions.retryAfter, 900, "capped at Forge's 900 s");
    // a KVS config set by an admin wins over the variable (read by the handlers through kvs.get)
    assert.equal(CONFIG_KEY, "settings:config");
  });

  test("the Forge loader instantiates the inlined base64 wasm", () => {
    assert.match(core.version(), /^\d+\.\d+\.\d+/);
  });
});
