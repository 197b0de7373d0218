// Complete pipeline, the issue comment: a job with an issue posts one comment on it listing every
// customer (internal by default: jsdPublic false through the sd.public.comment property); the same
// request run again (same journal, through the core or the CLI) never posts a second one;
// comment.internal false makes it public; comment.enabled false and a dry run post nothing.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { migrate } from "../../js/core/node.js";
import {
  startSim, pipelineConfig, ctl, simState, makeHost, memoryJournal, portalObjects, routeCount, commentLines,
  describeRows, tempDir, writeConfig, runCli, assertPipelineDone,
} from "./helpers/pipeline.js";

let sim;
before(async () => { sim = await startSim(); });
after(() => sim.close());
beforeEach(() => ctl(sim, "POST", "reset", {}));

const admin = (state) => state.users.find((u) => u.emailAddress === "demo@example.com").accountId;

/** The lines the comment must hold for a report, in the report's order. */
function expectedLines(report) {
  const t = report.totals;
  return [
    `Portal customer migration [portal-migrate ${report.jobId}]: ${t.migrated} migrated, ${t.alreadyMigrated} already migrated, ${t.failed} failed, ${t.skipped} skipped.`,
    // Failures first, then the rest, each in report order.
    ...[...report.customers.filter((c) => c.status === "failed"), ...report.customers.filter((c) => c.status !== "failed")].map((c) => {
      if (c.status === "migrated") return `Migrated ${c.email}: new account ${c.accountId}`;
      if (c.status === "already_migrated") return `Already migrated ${c.email}: account ${c.accountId}`;
      if (c.status === "failed") return `FAILED ${c.email} at ${c.failedStep}: ${c.error}`;
      return `Skipped ${c.email}: ${c.error}`;
    }),
  ];
}

test("one internal comment on SUP-1 listing every migrated customer; a re-run of the same request posts no second one", async () => {
  const before = await simState(sim);
  const reporter = before.issues.find((i) => i.key === "SUP-1").reporter;
  const reporterEmail = before.users.find((u) => u.accountId === reporter).emailAddress;
  const journal = memoryJournal();
  const config = pipelineConfig(sim);
  const request = { issueKey: "SUP-1", companies: ["GLOBEX"] };
  const { report, jobId } = await migrate(request, config, makeHost(sim, { journal }));
  assert.equal(report.totals.migrated, 6, describeRows(report));
  const after = await simState(sim);
  assert.deepEqual(Object.fromEntries(Object.entries(after.comments).map(([k, v]) => [k, v.length])), { "SUP-1": 1, "SUP-2": 0, "SUP-3": 0 });
  const [comment] = after.comments["SUP-1"];
  assert.equal(report.comment, comment.id);
  assert.equal(comment.jsdPublic, false);
  assert.deepEqual(comment.properties, [{ key: "sd.public.comment", value: { internal: true } }]);
  assert.equal(comment.author, admin(after));
  assert.equal(comment.body.type, "doc");
  const lines = commentLines(comment);
  assert.deepEqual(lines, expectedLines(report));
  assert.equal(lines[0], `Portal customer migration [portal-migrate ${jobId}]: 6 migrated, 0 already migrated, 0 failed, 0 skipped.`);
  // Every migrated customer, by email and new account id, as the state shows them.
  const migrated = after.migrations.map((m) => `Migrated ${m.email}: new account ${m.accountId}`).sort();
  assert.deepEqual(lines.slice(1).sort(), migrated);
  assert.ok(lines.some((l) => l.startsWith(`Migrated ${reporterEmail}: `)), "the reporter is listed");
  for (const o of portalObjects(before, "GLOBEX")) assertPipelineDone(after, o, { space: "GLX" });

  // The same request again, same journal: the job is known, its comment posted: nothing new.
  const again = await migrate(request, config, makeHost(sim, { journal }));
  assert.equal(again.jobId, jobId);
  assert.equal(again.report.comment, comment.id);
  assert.equal(again.report.totals.alreadyMigrated, 6);
  const second = await simState(sim);
  assert.equal(second.comments["SUP-1"].length, 1);
  assert.equal(routeCount(second, "POST addComment"), 1);
});

test("the same request with another order of companies is the same job: still one comment", async () => {
  const journal = memoryJournal();
  const config = pipelineConfig(sim);
  const a = await migrate({ issueKey: "SUP-3", companies: ["INITECH", "GLOBEX"] }, config, makeHost(sim, { journal }));
  const b = await migrate({ issueKey: "SUP-3", companies: ["GLOBEX", "INITECH"], concurrency: 2 }, config, makeHost(sim, { journal }));
  assert.equal(a.jobId, b.jobId);
  const state = await simState(sim);
  assert.equal(state.comments["SUP-3"].length, 1);
  assert.equal(b.report.comment, state.comments["SUP-3"][0].id);
});

test("CLI: two runs of the same --issue job with the default journal post one comment", async () => {
  const tmp = tempDir();
  try {
    const config = writeConfig(tmp, pipelineConfig(sim));
    const args = ["run", "--config", config, "--issue", "SUP-2", "--company", "INITECH", "--quiet"];
    const first = await runCli(sim, args, { stateDir: tmp.dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(first.stdout, "summary: migrated=5 already_migrated=0 failed=0 skipped=0\n");
    const second = await runCli(sim, args, { stateDir: tmp.dir });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(second.stdout, "summary: migrated=0 already_migrated=5 failed=0 skipped=0\n");
    const state = await simState(sim);
    assert.equal(state.comments["SUP-2"].length, 1);
    assert.equal(state.comments["SUP-2"][0].jsdPublic, false);
    assert.equal(commentLines(state.comments["SUP-2"][0]).length, 1 + 5);
    assert.equal(routeCount(state, "POST addComment"), 1);
  } finally {
    tmp.cleanup();
  }
});

test("comment.internal false: the comment is public (jsdPublic true, no sd.public.comment property)", async () => {
  const { report } = await migrate({ issueKey: "SUP-1" }, pipelineConfig(sim, { comment: { enabled: true, internal: false } }), makeHost(sim));
  const state = await simState(sim);
  assert.equal(state.comments["SUP-1"].length, 1);
  const [comment] = state.comments["SUP-1"];
  assert.equal(comment.jsdPublic, true);
  assert.equal(comment.properties, null);
  assert.equal(report.comment, comment.id);
  assert.deepEqual(commentLines(comment), expectedLines(report));
});

test("a failed customer is listed with its step and error", async () => {
  const before = await simState(sim);
  const email = portalObjects(before, "GLOBEX")[3].attributes.Email;
  const { accountId } = await ctl(sim, "POST", "users", { email });
  await ctl(sim, "POST", "users/guest", { accountId, space: "INI" });
  const { report } = await migrate({ issueKey: "SUP-2", companies: ["GLOBEX"] }, pipelineConfig(sim), makeHost(sim));
  assert.equal(report.totals.failed, 1, describeRows(report));
  const state = await simState(sim);
  const lines = commentLines(state.comments["SUP-2"][0]);
  assert.deepEqual(lines, expectedLines(report));
  assert.match(lines[0], /: 4 migrated, 0 already migrated, 1 failed, 0 skipped\.$/);
  const failed = lines.filter((l) => l.startsWith("FAILED "));
  assert.equal(failed.length, 1);
  assert.ok(failed[0].startsWith(`FAILED ${email} at space: `), failed[0]);
  assert.match(failed[0], /guest already has a space assigned: INI/);
});

test("comment.enabled false, a dry run, or no issue: no comment anywhere", async () => {
  const off = await migrate({ issueKey: "SUP-1" }, pipelineConfig(sim, { comment: { enabled: false, internal: true } }), makeHost(sim));
  assert.equal(off.report.comment, null);
  assert.equal(off.report.totals.migrated, 1);
  const dry = await migrate({ issueKey: "SUP-2", dryRun: true }, pipelineConfig(sim), makeHost(sim));
  assert.equal(dry.report.comment, null);
  assert.equal(dry.report.totals.planned, 1);
  const none = await migrate({ companies: ["INITECH"] }, pipelineConfig(sim), makeHost(sim));
  assert.equal(none.report.comment, null);
  const state = await simState(sim);
  assert.deepEqual(Object.values(state.comments).map((c) => c.length), [0, 0, 0]);
  assert.equal(routeCount(state, "POST addComment"), 0);
});

test("a comment Jira refuses is recorded in the report and the journal; the job still finishes and a re-run posts it", async () => {
  const journal = memoryJournal();
  const config = pipelineConfig(sim);
  const request = { issueKey: "SUP-3", companies: ["INITECH"] };
  await ctl(sim, "POST", "faults", { rules: [{ kind: "respond", method: "POST", path: "/issue/SUP-3/comment$", status: 400, count: 1,
    body: { errorMessages: [], errors: { comment: "The entered text is too long. It exceeds the allowed limit of 32,767 characters." } } }] });
  const first = await migrate(request, config, makeHost(sim, { journal }));
  assert.equal(first.continuation, null, "the job finished");
  assert.equal(first.report.totals.failed, 0);
  assert.equal(first.report.comment, null);
  assert.equal(first.report.commentError, "comments.add (jira): HTTP 400: comment: The entered text is too long. It exceeds the allowed limit of 32,767 characters.");
  const job = JSON.parse(await journal.get(`job/${first.jobId}`));
  assert.deepEqual({ finished: job.finished, state: job.comment.state }, { finished: true, state: "failed" });
  assert.deepEqual((await simState(sim)).comments["SUP-3"] ?? [], [], "nothing was posted");
  await ctl(sim, "DELETE", "faults");
  const again = await migrate(request, config, makeHost(sim, { journal }));
  assert.ok(again.report.comment, "posted on the re-run");
  assert.equal((await simState(sim)).comments["SUP-3"].length, 1);
});
