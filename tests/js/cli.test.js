// The CLI end to end: spawned as a child process against a simulator in this process; every
// assertion is on the simulator's state or on files the CLI wrote.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startSimulator } from "../../js/sim/index.js";
import { jobId } from "../../js/core/node.js";

const MAIN = fileURLToPath(new URL("../../js/cli/main.js", import.meta.url));
const SUMMARY = /^summary: migrated=(\d+) already_migrated=(\d+) failed=(\d+) skipped=(\d+)/m;

let sim;
let dir; // per test: state dir, config, reports
before(async () => {
  sim = await startSimulator({ port: 0, seed: 11, scenario: "demo", quiet: true });
});
after(() => sim.close());
beforeEach(() => {
  sim.reset();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-cli-"));
});

function cli(args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: dir,
      env: {
        ...process.env,
        ATLASSIAN_EMAIL: sim.credentials.email,
        ATLASSIAN_API_TOKEN: sim.credentials.apiToken,
        PORTAL_MIGRATE_STATE_DIR: path.join(dir, "state"),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function writeConfig(patch = {}) {
  const file = path.join(dir, "config.json");
  // Single mode unless a test asks otherwise: these tests count the per-customer migrate route.
  fs.writeFileSync(file, JSON.stringify({ ...sim.config(), migrate: { mode: "single" }, ...patch }, null, 2));
  return file;
}

const at = (name) => path.join(dir, name);
const readJson = (name) => JSON.parse(fs.readFileSync(at(name), "utf8"));
const journalFile = () => path.join(dir, "state", new URL(sim.url).host.replace(":", "_"), "journal.jsonl");

function summaryOf(stdout) {
  const m = stdout.match(SUMMARY);
  assert.ok(m, `no summary line in:\n${stdout}`);
  const [migrated, alreadyMigrated, failed, skipped] = m.slice(1).map(Number);
  return { migrated, alreadyMigrated, failed, skipped };
}

/** Customer objects of the companies with a portal account: {qm, email, objectId, company}. Read it
 *  before migrating: write-back replaces the qm: id with the new account id. */
function portalCustomers(companies) {
  return sim.state().assets.objects
    .filter((o) => o.objectType === "Customer" && companies.includes(o.attributes.Company) && o.attributes["Portal Account"])
    .map((o) => ({ qm: o.attributes["Portal Account"], email: o.attributes.Email, objectId: o.id, company: o.attributes.Company }));
}

/** Every customer has exactly one migration, the Assets attribute holds the new id, the group has it. */
function assertMigrated(customers) {
  const s = sim.state();
  const group = s.groups.find((g) => g.groupId === sim.config().groups[0]);
  for (const c of customers) {
    const ms = s.migrations.filter((m) => m.qmId === c.qm);
    assert.equal(ms.length, 1, `${c.email}: ${ms.length} migrations`);
    const obj = s.assets.objects.find((o) => o.id === c.objectId);
    assert.equal(obj.attributes["Portal Account"], ms[0].accountId, `${c.email}: Assets attribute`);
    assert.ok(group.members.includes(ms[0].accountId), `${c.email}: not in ${group.name}`);
  }
}

test("run migrates every demo company from the config: effects, summary and report agree", async () => {
  const companies = sim.config().companies;
  const customers = portalCustomers(companies);
  assert.ok(customers.length > 30);
  const r = await cli(["run", "--config", writeConfig(), "--report", "report.json", "--progress", "none"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const sum = summaryOf(r.stdout);
  assert.deepEqual(sum, { migrated: customers.length, alreadyMigrated: 0, failed: 0, skipped: 1 });
  assert.equal(sim.state().migrations.length, sum.migrated);
  assertMigrated(customers);

  const report = readJson("report.json");
  assert.equal(report.customers.length, customers.length + 1);
  assert.deepEqual(report.totals, { customers: customers.length + 1, migrated: customers.length, alreadyMigrated: 0, failed: 0, skipped: 1, planned: 0, unfinished: 0 });
  assert.equal(report.stats.migrateCalls, customers.length);
  const byQm = new Map(sim.state().migrations.map((m) => [m.qmId, m]));
  for (const c of customers) {
    const row = report.customers.find((x) => x.portalAccountId === c.qm);
    assert.ok(row, `no report row for ${c.email}`);
    assert.equal(row.status, "migrated");
    assert.equal(row.accountId, byQm.get(c.qm).accountId);
    assert.equal(row.email, c.email);
    assert.equal(row.company, c.company);
    assert.equal(row.assetObjectId, c.objectId);
    assert.deepEqual(row.steps, { check: "done", migrate: "done", writeBack: "done", groups: "done", space: "done" });
    assert.equal(row.error, null);
  }
  // The table: a header and one row per customer, old id -> new id.
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^COMPANY\s+EMAIL\s+OLD ID -> NEW ID\s+STATUS/);
  // The header, a row per customer, a line per company, the summary.
  assert.equal(lines.length, 1 + report.customers.length + Object.keys(report.byCompany).length + 1);
  assert.ok(lines.includes("GLOBEX: 5 migrated"), lines.slice(-5).join("\n"));
  const first = customers[0];
  assert.ok(lines.some((l) => l.includes(`${first.qm} -> ${byQm.get(first.qm).accountId}`) && l.includes("migrated")));
});

test("a company spanning several AQL pages is migrated completely", async () => {
  const acme = portalCustomers(["ACME"]);
  assert.ok(acme.length > 25, "ACME must not fit one page");
  const config = sim.config();
  const r = await cli(["run", "--config", writeConfig({ assets: { ...config.assets, pageSize: 25 } }), "--company", "ACME", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(summaryOf(r.stdout), { migrated: acme.length, alreadyMigrated: 0, failed: 0, skipped: 1 });
  assert.equal(r.stdout.trim().split("\n").length, 1, "--quiet prints only the summary");
  assertMigrated(acme);
  assert.equal(sim.state().migrations.length, acme.length);
  assert.ok(sim.state().calls.byRoute["POST aql"] >= 2, "expected more than one AQL page");
});

test("a re-run changes nothing: all already migrated, zero migrate calls, same migration log", async () => {
  const config = writeConfig();
  const first = await cli(["run", "--config", config, "--quiet"]);
  assert.equal(first.code, 0, first.stderr);
  const n = summaryOf(first.stdout).migrated;
  const log = sim.state().migrations;
  const second = await cli(["run", "--config", config, "--report", "again.json"]);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(summaryOf(second.stdout), { migrated: 0, alreadyMigrated: n, failed: 0, skipped: 1 });
  assert.equal(readJson("again.json").stats.migrateCalls, 0);
  assert.deepEqual(sim.state().migrations, log);
});

test("a dry run writes nothing: Atlassian state and journal unchanged, customers planned", async () => {
  const config = writeConfig();
  const pick = (s) => ({ users: s.users, objects: s.assets.objects, groups: s.groups, spaces: s.spaces, migrations: s.migrations, comments: s.comments });

  // Without any journal: none is created.
  let before = pick(sim.state());
  const fresh = await cli(["run", "--config", config, "--dry-run", "--report", "dry.json"]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.deepEqual(pick(sim.state()), before);
  assert.equal(fs.existsSync(journalFile()), false);
  const report = readJson("dry.json");
  assert.equal(report.dryRun, true);
  const linked = portalCustomers(sim.config().companies).length;
  assert.equal(report.customers.filter((c) => c.status === "planned").length, linked);
  assert.match(fresh.stdout, new RegExp(`^summary: migrated=0 already_migrated=0 failed=0 skipped=1 planned=${linked}$`, "m"));

  // With a journal from an earlier run: not a byte changes.
  assert.equal((await cli(["run", "--config", config, "--company", "GLOBEX", "--quiet"])).code, 0);
  const journal = fs.readFileSync(journalFile());
  before = pick(sim.state());
  const again = await cli(["run", "--config", config, "--dry-run", "--quiet"]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(pick(sim.state()), before);
  assert.deepEqual(fs.readFileSync(journalFile()), journal);
  assert.equal(fs.existsSync(journalFile() + ".lock"), false);
});

test("usage errors exit 2 with one line and touch nothing", async () => {
  const config = sim.config();
  const bad = writeConfig({ assets: { ...config.assets, customerQuery: 'objectType = "Customer"' } });
  let r = await cli(["run", "--config", bad]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "portal-migrate: config $.assets.customerQuery: must contain the {company} placeholder\n");
  assert.equal(r.stdout, "");

  const good = writeConfig();
  r = await cli(["run", "--config", good], { env: { ATLASSIAN_API_TOKEN: "" } });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "portal-migrate: missing ATLASSIAN_API_TOKEN (set it in the environment)\n");

  r = await cli(["run", "--config", good, "--frobnicate"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "portal-migrate: unknown option --frobnicate (see portal-migrate run --help)\n");

  r = await cli(["run", "--config", path.join(dir, "missing.json")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^portal-migrate: cannot read config .*missing\.json: ENOENT\n$/);

  r = await cli(["run", "--config", good, "--customer", "not an id"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split("\n").length, 2);
  assert.match(r.stderr, /^portal-migrate: request: customers\[0\] "not an id"/);

  r = await cli(["run", "--config", writeConfig({ companies: [] })]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^portal-migrate: no customers selected/);

  assert.deepEqual(sim.state().calls.bySurface, {}, "no request may reach Atlassian");
  assert.equal(sim.state().migrations.length, 0);
});

test("--report-csv writes a header and one row per customer", async () => {
  const initech = portalCustomers(["INITECH"]);
  const r = await cli(["run", "--config", writeConfig(), "--company", "INITECH", "--report-csv", "out.csv", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = fs.readFileSync(at("out.csv"), "utf8").trimEnd().split("\n");
  assert.equal(lines[0], "portal_account_id,account_id,email,company,asset_object_id,status,failed_step,error,migrate,write_back,groups,space,space_key,retryable,next,notes");
  assert.equal(lines.length, 1 + initech.length);
  const log = sim.state().migrations;
  for (const c of initech) {
    const m = log.find((x) => x.qmId === c.qm);
    const row = `${c.qm},${m.accountId},${c.email},INITECH,${c.objectId},migrated,,,done,done,done,done,INI,,,`;
    assert.ok(lines.includes(row), `row for ${c.email}: ${row} not in\n${lines.join("\n")}`);
  }
});

test("--customers-file takes the email column (quoted fields, blank lines) and migrates exactly those", async () => {
  const picked = portalCustomers(["GLOBEX"]).slice(0, 2).concat(portalCustomers(["ACME"]).slice(0, 1));
  const csv = ['name,"email",note', ...picked.map((c, i) => `"Customer, ${i}","${c.email}",x`), "", ' ,"" , '].join("\r\n") + "\n";
  fs.writeFileSync(at("customers.csv"), csv);
  const r = await cli(["run", "--config", writeConfig(), "--customers-file", "customers.csv", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(summaryOf(r.stdout), { migrated: 3, alreadyMigrated: 0, failed: 0, skipped: 0 });
  assert.deepEqual(sim.state().migrations.map((m) => m.email).sort(), picked.map((c) => c.email).sort());
  assertMigrated(picked);
});

test("a Latin-1 customers file is refused (exit 2) with the file and line, before any request", async () => {
  const [c] = portalCustomers(["GLOBEX"]);
  fs.writeFileSync(at("latin1.csv"), Buffer.concat([Buffer.from(`email,name\n${c.email},Ren`), Buffer.from([0xe9]), Buffer.from("\n")]));
  const r = await cli(["run", "--config", writeConfig(), "--customers-file", "latin1.csv"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^portal-migrate: customers file latin1\.csv is not valid UTF-8: line 2, byte \d+ \(0xE9\); re-save it as UTF-8/);
  assert.equal(r.stderr.split("\n").length, 2, "one line");
  assert.deepEqual(sim.state().calls.bySurface, {}, "no request may reach Atlassian");
});

test("--max-duration 0 leaves the job unfinished (exit 3); resume --journal finishes it without --config", async () => {
  const config = writeConfig();
  const r = await cli(["run", "--config", config, "--company", "GLOBEX", "--max-duration", "0", "--quiet"]);
  assert.equal(r.code, 3, r.stderr);
  const globex = portalCustomers(["GLOBEX"]);
  const id = jobId({ companies: ["GLOBEX"] });
  assert.ok(r.stdout.includes(`unfinished: ${globex.length} customers left; run: portal-migrate resume ${id} --config ${config}\n`), r.stdout);
  assert.equal(sim.state().migrations.length, 0);

  fs.rmSync(config);
  const resumed = await cli(["resume", "--journal", journalFile(), "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(summaryOf(resumed.stdout), { migrated: globex.length, alreadyMigrated: 0, failed: 0, skipped: 0 });
  assertMigrated(globex);

  const nothing = await cli(["resume", "--journal", journalFile()]);
  assert.equal(nothing.code, 0);
  assert.equal(nothing.stdout, "nothing to resume\n");
});

test("run --resume-others first finishes another unfinished job from the journal", async () => {
  const config = writeConfig();
  const both = portalCustomers(["INITECH", "GLOBEX"]);
  assert.equal((await cli(["run", "--config", config, "--company", "INITECH", "--max-duration", "0", "--quiet"])).code, 3);
  const r = await cli(["run", "--config", config, "--company", "GLOBEX", "--quiet", "--resume-others"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `resuming unfinished job ${jobId({ companies: ["INITECH"] })} first\n`);
  assert.equal(r.stdout.match(/^summary:/gm).length, 2);
  assertMigrated(both);
  assert.equal(sim.state().migrations.length, both.length);
});

test("a journal locked by a live process is refused (exit 2); a stale lock is taken over", async () => {
  const config = writeConfig();
  fs.mkdirSync(path.dirname(journalFile()), { recursive: true });
  fs.writeFileSync(journalFile() + ".lock", String(process.pid));
  const r = await cli(["run", "--config", config, "--company", "GLOBEX"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `portal-migrate: journal ${journalFile()} is in use by pid ${process.pid}\n`);
  assert.equal(sim.state().migrations.length, 0);

  fs.writeFileSync(journalFile() + ".lock", "2147483646"); // no such process
  const ok = await cli(["run", "--config", config, "--company", "GLOBEX", "--quiet"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(fs.existsSync(journalFile() + ".lock"), false, "the lock is released at exit");
});

test("--progress json writes one event per line on stderr", async () => {
  const r = await cli(["run", "--config", writeConfig(), "--company", "INITECH", "--progress", "json", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
  const n = portalCustomers(["INITECH"]).length;
  assert.deepEqual(events[0], { kind: "start", jobId: events[0].jobId, total: n });
  assert.equal(events.filter((e) => e.kind === "customer").length, n);
  assert.deepEqual(events.at(-1), { kind: "finish", jobId: events[0].jobId, complete: true });
});

test("demo migrates, then shows a re-run with zero migrate calls", async () => {
  const r = await cli(["demo", "--progress", "none"]);
  assert.equal(r.code, 0, r.stderr);
  const sums = r.stdout.match(/^summary: .*$/gm);
  assert.equal(sums.length, 2);
  const [one, two] = sums.map(summaryOf);
  assert.ok(one.migrated > 30);
  assert.deepEqual(two, { migrated: 0, alreadyMigrated: one.migrated, failed: 0, skipped: one.skipped });
  // The demo runs the default bulk mode: one bulk call per batch of up to 100 customers.
  const calls = Number(/^migrate calls: first pass (\d+), second pass 0$/m.exec(r.stdout)?.[1]);
  assert.equal(calls, Math.ceil(one.migrated / 100), r.stdout.slice(-400));
});

test("--help and --version", async () => {
  const h = await cli(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^usage: portal-migrate <command>/);
  for (const cmd of ["run", "resume", "jobs", "sim", "demo", "doctor"]) assert.match(h.stdout, new RegExp(`^  ${cmd}\\b`, "m"));
  const v = await cli(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^portal-migrate \d+\.\d+\.\d+\n$/);
  const u = await cli(["launch"]);
  assert.equal(u.code, 2);
  assert.equal(u.stderr, 'portal-migrate: unknown command "launch" (see portal-migrate --help)\n');
});

test("doctor prints a checklist: all ✔ exits 0; a rejected token is ✘ with a fix and exits 1", async () => {
  const config = writeConfig();
  const ok = await cli(["doctor", "--config", config]);
  assert.equal(ok.code, 0, ok.stderr);
  const lines = ok.stdout.trimEnd().split("\n");
  assert.ok(lines.length >= 3);
  assert.ok(lines.every((l) => l.startsWith("✔ ")), ok.stdout);
  assert.match(ok.stdout, /^✔ credentials valid — /m);

  const bad = await cli(["doctor", "--config", config], { env: { ATLASSIAN_API_TOKEN: "wrong" } });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^✘ credentials valid — .*401/m);
  assert.match(bad.stdout, /^ {2}fix: .+/m);
  assert.equal(sim.state().migrations.length, 0);
});

test("doctor --company checks that company's attributes and space; without one they are skipped", async () => {
  const config = writeConfig({ companies: [] });
  const skipped = await cli(["doctor", "--config", config]);
  assert.equal(skipped.code, 0, skipped.stdout + skipped.stderr);
  // A skipped check never shows a ✔; the attributes are checked through the query's object type.
  assert.match(skipped.stdout, /^– Confluence space visible — skipped: give a company \(doctor --company KEY\) to check its space$/m);
  assert.doesNotMatch(skipped.stdout, /^✔ .*skipped/m);
  assert.match(skipped.stdout, /^✔ attribute portalAccountAttribute — "Portal Account" → id \d+$/m);
  const globex = await cli(["doctor", "--config", config, "--company", "GLOBEX"]);
  assert.equal(globex.code, 0, globex.stdout + globex.stderr);
  assert.match(globex.stdout, /^✔ Confluence space visible — GLX \(company GLOBEX\)$/m);
  assert.match(globex.stdout, /^✔ attribute portalAccountAttribute — "Portal Account" → id \d+$/m);
});

test("doctor fails a group id that does not exist, naming it", async () => {
  const config = writeConfig({ groups: ["0c1b8e5e-0000-4000-8000-000000000001"] });
  const r = await cli(["doctor", "--config", config]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^✘ groups resolved — 0c1b8e5e-0000-4000-8000-000000000001: Specified group does not exist\.$/m);
  assert.match(r.stdout, /^ {2}fix: use a group id or exact name in groups$/m);
});

test("re-running the unfinished job's own command continues it (no second job first)", async () => {
  const config = writeConfig();
  const globex = portalCustomers(["GLOBEX"]);
  assert.equal((await cli(["run", "--config", config, "--company", "GLOBEX", "--max-duration", "0", "--quiet"])).code, 3);
  const r = await cli(["run", "--config", config, "--company", "GLOBEX", "--quiet", "--concurrency", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /resuming/);
  assert.equal(r.stdout.match(/^summary:/gm).length, 1);
  assert.deepEqual(summaryOf(r.stdout), { migrated: globex.length, alreadyMigrated: 0, failed: 0, skipped: 0 });
  const resumed = await cli(["resume", "--journal", journalFile()]);
  assert.equal(resumed.stdout, "nothing to resume\n");
});
