// Jobs that never trap the admin, through the real CLI against the simulator: a job that fails before
// changing anything is closed and blocks nothing; a run does only what it is asked (other unfinished
// jobs are listed with the commands that resume or discard them, and run only with --resume-others);
// jobs / jobs show / jobs discard (refused while a customer is between migrate and write-back);
// resume ID; the printed resume command keeps the run's config, journal and report options; a job
// another process holds answers exit 3.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startSim, pipelineConfig, simState, ctl, portalObjects, tempDir, makeHost, memoryJournal } from "./helpers/pipeline.js";
import { runCli } from "./helpers/cli.js";
import { jobId } from "../../js/core/node.js";
import { runJob, exitCode, jobsDocument } from "../../js/cli/job.js";
import { createOutput } from "../../js/cli/output.js";

let sim;
let tmp;
before(async () => {
  sim = await startSim({ scenario: "demo", seed: 11 });
});
after(() => sim.close());
beforeEach(async () => {
  await ctl(sim, "POST", "reset", {});
  tmp?.cleanup();
  tmp = tempDir("pm-jobs-");
  fs.writeFileSync(tmp.file("config.json"), JSON.stringify(pipelineConfig(sim), null, 2));
});
after(() => tmp?.cleanup());

// Relative paths on purpose: the CLI runs in tmp.dir, and the printed commands repeat them as given.
const CONFIG = "config.json";
const cli = (args, opts = {}) => runCli(args, { sim, dir: tmp.dir, ...opts });
const journalFile = () => path.join(tmp.dir, "state", new URL(sim.url).host.replace(":", "_"), "journal.jsonl");
const idOf = (...companies) => jobId({ companies });
const qmsOf = async (company) => portalObjects(await simState(sim), company).map((o) => o.attributes["Portal Account"]);
const migratedQms = async () => (await simState(sim)).migrations.map((m) => m.qmId);
const resumeCmd = (id, extra = "") => `portal-migrate resume ${id} --config ${CONFIG}${extra}`;
const discardCmd = (id) => `portal-migrate jobs discard ${id} --config ${CONFIG}`;

async function jobsJson(...args) {
  const r = await cli(["jobs", ...args, "--config", CONFIG, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).jobs;
}

/** The one line run and resume print for an unfinished job they leave alone. */
function otherLine(job) {
  const open = job.counts.customers ? `${job.counts.open} open, ${job.counts.customers} seen so far` : "no customer reached yet";
  return `  ${job.jobId}  started ${job.started}  ${job.sources.join(", ")}  ${open}  resume: ${resumeCmd(job.jobId)}  discard: ${discardCmd(job.jobId)}\n`;
}

/** Runs a company's job and stops it with SIGINT once its first customer is done (exit 130). */
async function interrupted(company, extra = []) {
  let sent = false;
  const r = await cli(["run", "--config", CONFIG, "--company", company, "--progress", "json", "--concurrency", "1", ...extra], {
    onStderr(child, stderr) {
      if (!sent && /"kind":"customer"/.test(stderr)) { sent = true; child.kill("SIGINT"); }
    },
  });
  assert.ok(sent, "no customer event seen");
  assert.equal(r.code, 130, r.stderr.slice(-1000));
  return r;
}

// --- (a) a job that fails before changing anything -----------------------------------------------

test("a job that fails early (unknown issue, wrong token) is closed: the next run neither resumes it nor lists it", async () => {
  let r = await cli(["run", "--config", CONFIG, "--issue", "SUP-404", "--quiet"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, "portal-migrate: request: issue SUP-404 does not exist, or the account cannot see it (issues.get: HTTP 404: Issue does not exist or you do not have permission to see it.)\n");
  r = await cli(["run", "--config", CONFIG, "--company", "ACME", "--quiet"], { env: { ATLASSIAN_API_TOKEN: "wrong" } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^portal-migrate: Atlassian refused the credentials \(HTTP 401\)\. .*\(Atlassian: assets\.workspace \(jira\): HTTP 401: Client must be authenticated to access this resource\.\)\n$/);
  assert.deepEqual(await migratedQms(), []);

  // The next run does what it is asked, and only that: no "resuming", no list, no ACME customer.
  const globex = await qmsOf("GLOBEX");
  r = await cli(["run", "--config", CONFIG, "--company", "GLOBEX", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, `summary: migrated=${globex.length} already_migrated=0 failed=0 skipped=0\n`);
  assert.deepEqual((await migratedQms()).sort(), [...globex].sort());

  // Nothing is unfinished; --all shows the two failed jobs with their errors, and the done one.
  r = await cli(["jobs", "--config", CONFIG]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `no unfinished jobs in journal ${journalFile()}\n3 more (done, failed or discarded): portal-migrate jobs --all --config ${CONFIG}\n`);
  const all = await jobsJson("--all");
  assert.deepEqual(all.map((j) => [j.jobId, j.status, j.sources]), [
    [jobId({ issueKey: "SUP-404" }), "failed", ["issue:SUP-404"]],
    [idOf("ACME"), "failed", ["company:ACME"]],
    [idOf("GLOBEX"), "done", ["company:GLOBEX"]],
  ]);
  assert.match(all[0].error, /HTTP 404/);
  assert.match(all[1].error, /HTTP 401/);
  assert.deepEqual(all[2].counts, { customers: globex.length, migrated: globex.length, failed: 0, open: 0, collected: globex.length });
  assert.ok(all.every((j) => j.resume === null && j.discard === null), "nothing to resume or discard");

  r = await cli(["resume", "--config", CONFIG]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "nothing to resume\n");
  r = await cli(["resume", all[0].jobId, "--config", CONFIG]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `portal-migrate: job ${all[0].jobId} failed before it changed anything (${all[0].error}); nothing to resume: fix the cause and run its request again\n`);
});

// --- (b) an interrupted ACME job and a run for GLOBEX --------------------------------------------

test("after an interrupted ACME run, run --company GLOBEX migrates only GLOBEX and lists the ACME job with its commands", async () => {
  await ctl(sim, "POST", "settings", { latencyMs: 25 });
  const acme = await qmsOf("ACME");
  const globex = await qmsOf("GLOBEX");
  await interrupted("ACME");
  const afterAcme = await migratedQms();
  assert.ok(afterAcme.length >= 1 && afterAcme.length < acme.length, `${afterAcme.length} of ${acme.length} migrated`);
  const [acmeJob] = await jobsJson();
  assert.equal(acmeJob.jobId, idOf("ACME"));
  assert.equal(acmeJob.status, "unfinished");

  const r = await cli(["run", "--config", CONFIG, "--company", "GLOBEX", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "1 other unfinished job in this journal is not part of this run (--resume-others finishes it first):\n" + otherLine(acmeJob));
  assert.equal(r.stdout, `summary: migrated=${globex.length} already_migrated=0 failed=0 skipped=0\n`);
  // The simulator: the second run migrated exactly GLOBEX's customers, and no ACME customer.
  const added = (await migratedQms()).slice(afterAcme.length);
  assert.deepEqual([...added].sort(), [...globex].sort());
  assert.equal(added.filter((qm) => acme.includes(qm)).length, 0, "an ACME customer was migrated by the GLOBEX run");

  // (c) jobs: both, with statuses and counts; the ACME job is still unfinished, untouched.
  const list = await cli(["jobs", "--all", "--config", CONFIG]);
  assert.equal(list.code, 0, list.stderr);
  const rows = list.stdout.split("\n");
  assert.match(rows[0], /^JOB\s+STARTED\s+STATUS\s+CUSTOMERS\s+MIGRATED\s+FAILED\s+OPEN\s+SOURCES$/);
  const c = acmeJob.counts;
  assert.match(rows[1], new RegExp(`^${acmeJob.jobId}  ${acmeJob.started}  unfinished +${c.customers}  +${c.migrated}  +${c.failed}  +${c.open}  company:ACME$`));
  assert.match(rows[2], new RegExp(`^${idOf("GLOBEX")}  \\S+Z  done +${globex.length}  +${globex.length}  +0  +0  company:GLOBEX$`));
  assert.equal(rows[3], `finish one: ${resumeCmd("ID")}; or drop it: ${discardCmd("ID")}`);
  assert.equal(rows.length, 5);
  assert.deepEqual(await jobsJson(), [acmeJob], "the ACME job is as it was");

  // A dry run lists it too (read-only), and finishes nothing.
  const dry = await cli(["run", "--config", CONFIG, "--company", "INITECH", "--dry-run", "--quiet"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stderr, "1 other unfinished job in this journal is not part of this run (a run with --resume-others finishes it first):\n" + otherLine(acmeJob));

  // --json: the list goes into the document.
  const j = await cli(["run", "--config", CONFIG, "--company", "INITECH", "--quiet", "--json"]);
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  assert.deepEqual(doc.otherJobs, [acmeJob]);
  assert.equal(doc.otherJobs[0].resume, resumeCmd(acmeJob.jobId));
  assert.equal(doc.otherJobs[0].discard, discardCmd(acmeJob.jobId));
  assert.ok(j.stderr.startsWith("1 other unfinished job in this journal is not part of this run"), j.stderr);
  assert.equal((await migratedQms()).filter((qm) => acme.includes(qm)).length, afterAcme.length, "still no more ACME customers");
});

// --- (c) jobs show, jobs discard --------------------------------------------------------------------

test("jobs show: the summary, the stored request and the commands; an unknown id is exit 2 with a suggestion", async () => {
  const r0 = await cli(["run", "--config", CONFIG, "--company", "INITECH", "--max-duration", "0", "--quiet"]);
  assert.equal(r0.code, 3, r0.stderr);
  const id = idOf("INITECH");
  const [job] = await jobsJson();
  let r = await cli(["jobs", "show", id, "--config", CONFIG]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, [
    `job       ${id}`,
    "status    unfinished",
    `started   ${job.started}`,
    "sources   company:INITECH",
    "customers 0 seen, 0 migrated, 0 failed, 0 open",
    `request   {"companies":["INITECH"],"dryRun":false,"jobId":"${id}"}`,
    `resume    ${resumeCmd(id)}`,
    `discard   ${discardCmd(id)}`,
    "",
  ].join("\n"));
  r = await cli(["jobs", "show", id, "--journal", journalFile(), "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.command, "jobs show");
  assert.deepEqual(doc.job.request, { companies: ["INITECH"], dryRun: false, jobId: id });
  assert.equal(doc.job.resume, `portal-migrate resume ${id} --journal ${journalFile()}`);

  r = await cli(["jobs", "show", id.slice(0, 8), "--config", CONFIG]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `portal-migrate: no job ${id.slice(0, 8)} in journal ${journalFile()}; did you mean ${id}?\n`);
  r = await cli(["jobs", "show", "job-nope", "--journal", "missing.jsonl"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "portal-migrate: no job job-nope: there is no journal missing.jsonl\n");
  assert.equal(fs.existsSync(tmp.file("missing.jsonl")), false, "a read creates no journal");
});

test("jobs discard is refused (exit 1) while a customer is between migrate and write-back; allowed once it is not", async () => {
  // Every Assets PUT fails (a re-run can fix a 503), so the first customer is migrated but its new
  // id never reaches Assets; Ctrl-C then leaves the job unfinished.
  await ctl(sim, "POST", "faults", { rules: [{ surface: "assets", method: "PUT", path: "/object/", kind: "respond", status: 503, body: { errorMessages: ["down"] } }] });
  const initech = portalObjects(await simState(sim), "INITECH");
  await interrupted("INITECH");
  const id = idOf("INITECH");
  const [job] = await jobsJson();
  assert.equal(job.status, "unfinished");
  assert.ok(job.counts.migrated >= 1 && job.counts.open >= 1, JSON.stringify(job.counts));
  const stuck = (await simState(sim)).migrations.map((m) => m.qmId);
  assert.ok(stuck.length >= 1);

  let r = await cli(["jobs", "discard", id, "--config", CONFIG]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, "");
  const reason = new RegExp(`^portal-migrate: job ${id} cannot be discarded: \\d+ customer\\(s\\) are between migrate and write-back \\(e\\.g\\. (qm:[^)]+)\\), so their new account ids are not in Assets yet; finish them first: ${resumeCmd(id).replace(/[.]/g, "\\.")}\\n$`);
  const m = reason.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(stuck.includes(m[1]), `${m[1]} is not a migrated customer`);
  r = await cli(["jobs", "discard", id, "--config", CONFIG, "--json"]);
  assert.equal(r.code, 1);
  const refused = JSON.parse(r.stdout);
  assert.equal(refused.error.code, "REFUSED");
  assert.equal(refused.exitCode, 1);
  assert.deepEqual((await jobsJson()).map((j) => [j.jobId, j.status]), [[id, "unfinished"]], "a refusal changes nothing");

  // (d) resume ID finishes it: every new id is written back; then there is nothing to discard.
  await ctl(sim, "DELETE", "faults");
  r = await cli(["resume", id, "--config", CONFIG, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `resuming job ${id}\n`);
  const s = await simState(sim);
  for (const o of initech) {
    const mig = s.migrations.filter((x) => x.qmId === o.attributes["Portal Account"]);
    assert.equal(mig.length, 1, `${o.attributes.Email} migrated ${mig.length} times`);
    assert.equal(s.assets.objects.find((x) => x.id === o.id).attributes["Portal Account"], mig[0].accountId, "written back");
  }
  r = await cli(["jobs", "discard", id, "--config", CONFIG]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `job ${id} is already done; nothing to discard\n`);

  // A job with nobody between migrate and write-back is discarded, and nothing offers it again.
  assert.equal((await cli(["run", "--config", CONFIG, "--company", "GLOBEX", "--max-duration", "0", "--quiet"])).code, 3);
  const gid = idOf("GLOBEX");
  r = await cli(["jobs", "discard", gid, "--config", CONFIG]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `discarded job ${gid} (company:GLOBEX): nothing will offer to resume it; its 0 open customers are left as they are\n`);
  assert.deepEqual(await jobsJson(), []);
  assert.deepEqual((await jobsJson("--all")).map((j) => [j.jobId, j.status]), [[id, "done"], [gid, "discarded"]]);
  r = await cli(["jobs", "discard", gid, "--config", CONFIG]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `job ${gid} was already discarded; nothing to discard\n`);
  r = await cli(["resume", gid, "--config", CONFIG]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `portal-migrate: job ${gid} was discarded; nothing to resume (running its request again starts it anew)\n`);
  r = await cli(["resume", "--config", CONFIG]);
  assert.equal(r.stdout, "nothing to resume\n");
  r = await cli(["run", "--config", CONFIG, "--company", "ACME", "--dry-run", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "", "a discarded job is not listed");
  r = await cli(["jobs", "discard", "job-nope", "--config", CONFIG]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `portal-migrate: no job job-nope in journal ${journalFile()}\n`);
});

// --- (d) resume ID ------------------------------------------------------------------------------

test("resume ID finishes exactly that job; resume without an ID lists several and runs none", async () => {
  for (const company of ["INITECH", "GLOBEX"]) {
    const r = await cli(["run", "--config", CONFIG, "--company", company, "--max-duration", "0", "--quiet"]);
    assert.equal(r.code, 3, r.stderr);
  }
  const [initechJob, globexJob] = await jobsJson();
  assert.deepEqual([initechJob.jobId, globexJob.jobId], [idOf("INITECH"), idOf("GLOBEX")]);

  let r = await cli(["resume", "--config", CONFIG]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, `portal-migrate: 2 unfinished jobs in journal ${journalFile()}; name the one to resume (or give --all to finish them all, oldest first):\n`
    + otherLine(initechJob) + otherLine(globexJob));
  assert.deepEqual(await migratedQms(), []);

  const initech = await qmsOf("INITECH");
  r = await cli(["resume", initechJob.jobId, "--config", CONFIG, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `1 other unfinished job in this journal is not part of this run (portal-migrate resume --all --config ${CONFIG} finishes it too):\n${otherLine(globexJob)}resuming job ${initechJob.jobId}\n`);
  assert.equal(r.stdout, `summary: migrated=${initech.length} already_migrated=0 failed=0 skipped=0\n`);
  assert.deepEqual((await migratedQms()).sort(), [...initech].sort(), "only INITECH's customers");
  assert.deepEqual((await jobsJson()).map((j) => j.jobId), [globexJob.jobId]);

  // One left: resume without an ID finishes it (the resume of earlier versions).
  const globex = await qmsOf("GLOBEX");
  r = await cli(["resume", "--journal", journalFile(), "--quiet", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.jobId, globexJob.jobId);
  assert.equal(doc.totals.migrated, globex.length);
  assert.deepEqual(doc.otherJobs, []);
  assert.deepEqual(await jobsJson(), []);

  r = await cli(["resume", initechJob.jobId, "--config", CONFIG]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `job ${initechJob.jobId} is already done; nothing to resume\n`);
});

test("resume --all finishes every unfinished job, oldest first", async () => {
  for (const company of ["GLOBEX", "INITECH"]) {
    assert.equal((await cli(["run", "--config", CONFIG, "--company", company, "--max-duration", "0", "--quiet"])).code, 3);
  }
  const both = [...(await qmsOf("GLOBEX")), ...(await qmsOf("INITECH"))]; // before write-back replaces them
  const r = await cli(["resume", "--all", "--config", CONFIG, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `resuming job ${idOf("GLOBEX")}\nresuming job ${idOf("INITECH")}\n`);
  assert.equal(r.stdout.match(/^summary:/gm).length, 2);
  assert.deepEqual((await migratedQms()).sort(), both.sort());
});

// --- (e) --resume-others ------------------------------------------------------------------------

test("run --resume-others finishes the other unfinished jobs first, then the one asked for", async () => {
  assert.equal((await cli(["run", "--config", CONFIG, "--company", "INITECH", "--max-duration", "0", "--quiet"])).code, 3);
  const initech = await qmsOf("INITECH");
  const globex = await qmsOf("GLOBEX");
  const r = await cli(["run", "--config", CONFIG, "--company", "GLOBEX", "--quiet", "--resume-others", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.jobs.map((j) => [j.jobId, j.finished]), [[idOf("INITECH"), true], [idOf("GLOBEX"), true]]);
  assert.equal(doc.jobId, idOf("GLOBEX"));
  assert.deepEqual(doc.otherJobs, []);
  assert.ok(r.stderr.startsWith(`resuming unfinished job ${idOf("INITECH")} first\n`), r.stderr);
  const qms = await migratedQms();
  assert.deepEqual(qms.slice(0, initech.length).sort(), [...initech].sort(), "INITECH first");
  assert.deepEqual(qms.slice(initech.length).sort(), [...globex].sort());
  assert.deepEqual(await jobsJson(), []);
});

// --- (f) the printed resume command keeps the run's options ------------------------------------

test("the printed resume command keeps --config, --journal, --report and --report-csv, and finishes the job as printed", async () => {
  const initech = await qmsOf("INITECH");
  const id = idOf("INITECH");
  let r = await cli(["run", "--config", CONFIG, "--journal", "my journal.jsonl", "--company", "INITECH", "--max-duration", "0", "--quiet", "--report", "r.json", "--report-csv", "r.csv"]);
  assert.equal(r.code, 3, r.stderr);
  const printed = `portal-migrate resume ${id} --config ${CONFIG} --journal 'my journal.jsonl' --report r.json --report-csv r.csv`;
  assert.equal(r.stdout, `summary: migrated=0 already_migrated=0 failed=0 skipped=0 unfinished=${initech.length}\nunfinished: ${initech.length} customers left; run: ${printed}\n`);
  assert.equal(JSON.parse(fs.readFileSync(tmp.file("r.json"), "utf8")).totals.unfinished, initech.length);

  // A resume that stops again keeps its own report options (and its way to the journal).
  r = await cli(["resume", id, "--journal", "my journal.jsonl", "--max-duration", "0", "--quiet", "--report", "again.json"]);
  assert.equal(r.code, 3, r.stderr);
  assert.ok(r.stdout.endsWith(`; run: portal-migrate resume ${id} --journal 'my journal.jsonl' --report again.json\n`), r.stdout);

  // The printed command, word for word (the quoted journal name is one word).
  const words = printed.split(" ").slice(1);
  const args = [...words.slice(0, 5), "my journal.jsonl", ...words.slice(7)];
  assert.deepEqual(args, ["resume", id, "--config", CONFIG, "--journal", "my journal.jsonl", "--report", "r.json", "--report-csv", "r.csv"]);
  r = await cli([...args, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(tmp.file("r.json"), "utf8"));
  assert.equal(report.jobId, id);
  assert.equal(report.totals.migrated, initech.length);
  assert.equal(report.totals.unfinished, 0);
  assert.equal(fs.readFileSync(tmp.file("r.csv"), "utf8").trimEnd().split("\n").length, 1 + report.customers.length);
  assert.deepEqual((await migratedQms()).sort(), [...initech].sort());
  assert.equal(fs.existsSync(journalFile()), false, "the default journal was never used");
});

// --- busy ---------------------------------------------------------------------------------------

test("a job another process holds: 'job ID is running in another process until TIME', nothing done, exit 3", async () => {
  // The CLI's pid lock keeps a second CLI out of a journal (and voids the claims of dead processes
  // on open), so the other holder is played by a journal whose job claim is held by someone else.
  const journal = memoryJournal();
  const until = Date.parse("2026-12-01T12:34:56Z");
  const held = {
    ...journal,
    claim: async (key, opts) => (key.startsWith("lease/job/")
      ? { won: false, owner: "pid 4242", expiresMs: until, previous: { owner: "pid 4242", expiresMs: until } }
      : journal.claim(key, opts)),
  };
  const host = makeHost(sim, { journal: held });
  const text = { out: "", err: "" };
  const sink = (k) => ({ isTTY: false, writable: true, write(s, cb) { text[k] += s; cb?.(); return true; } });
  const out = createOutput({ stdout: sink("out"), stderr: sink("err"), env: {} });
  const request = { companies: ["GLOBEX"] };
  const result = await runJob(request, pipelineConfig(sim), host, { progress: { event() {}, end() {} }, out });
  assert.deepEqual(result.busy, { owner: "pid 4242", expiresMs: until });
  assert.equal(text.out, `job ${idOf("GLOBEX")} is running in another process until 2026-12-01T12:34:56Z\n`);
  assert.equal(text.err, "");
  assert.equal(exitCode([result]), 3);
  const doc = jobsDocument("run", [result], { journalPath: "j.jsonl", keep: { config: CONFIG }, exitCode: 3 });
  assert.equal(doc.finished, false);
  assert.deepEqual(doc.busy, { owner: "pid 4242", expiresMs: until });
  assert.equal(doc.resume, resumeCmd(idOf("GLOBEX")));
  assert.deepEqual(await migratedQms(), [], "nothing was done");
  assert.equal(host.requests.filter((q) => q.method !== "GET").length, 0, "no write reached Atlassian");
});

// --- usage --------------------------------------------------------------------------------------

test("usage errors of the job commands exit 2 with one line", async () => {
  const cases = [
    [["jobs"], "portal-migrate: jobs needs --journal FILE (or --config FILE for its default journal)\n"],
    [["jobs", "lst", "--config", CONFIG], 'portal-migrate: unknown jobs command "lst"; did you mean "list"? (see portal-migrate jobs --help)\n'],
    [["jobs", "show", "--config", CONFIG], "portal-migrate: jobs show needs a job ID (portal-migrate jobs lists them)\n"],
    [["jobs", "show", "a", "b", "--config", CONFIG], 'portal-migrate: unexpected argument "b" (see portal-migrate jobs show --help)\n'],
    [["jobs", "show", "a", "--all", "--config", CONFIG], "portal-migrate: unknown option --all (see portal-migrate jobs show --help)\n"],
    [["resume", "job-1", "--all", "--config", CONFIG], "portal-migrate: give a job ID or --all, not both\n"],
    [["resume"], "portal-migrate: resume needs --journal FILE (or --config FILE for its default journal)\n"],
    [["run", "--config", CONFIG, "--dry-run", "--resume-others"], "portal-migrate: --resume-others cannot be combined with --dry-run (a dry run finishes no job)\n"],
  ];
  for (const [args, stderr] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stderr, stderr, args.join(" "));
  }
  const none = await cli(["jobs", "--config", CONFIG]);
  assert.equal(none.code, 0);
  assert.equal(none.stdout, `no jobs: there is no journal ${journalFile()}\n`);
  const nothing = await cli(["resume", "--config", CONFIG]);
  assert.equal(nothing.code, 0);
  assert.equal(nothing.stdout, `nothing to resume: there is no journal ${journalFile()}\n`);
  assert.equal(fs.existsSync(journalFile()), false, "neither created a journal");
  assert.deepEqual((await simState(sim)).calls.bySurface, {}, "no request reached Atlassian");
});
