// What the CLI writes where: --json documents, output larger than a pipe's buffer arriving in full,
// Ctrl-C (exit 130, the resume hint), colour only on a terminal. The CLI runs as a child process
// against simulators in this process.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSimulator } from "../../js/sim/index.js";
import { runCli, MAIN } from "./helpers/cli.js";
import { jobId } from "../../js/core/node.js";

const SUMMARY = /^summary: migrated=\d+ already_migrated=\d+ failed=\d+ skipped=\d+.*$/m;

let sim;
let dir;
before(async () => {
  sim = await startSimulator({ port: 0, seed: 5, scenario: "demo", quiet: true });
});
after(() => sim.close());
beforeEach(() => {
  sim.reset();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-out-"));
});

const cli = (args, opts = {}) => runCli(args, { sim, dir, ...opts });
function writeConfig(s = sim, name = "config.json") {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(s.config(), null, 2));
  return file;
}
const journalFile = (s = sim) => path.join(dir, "state", new URL(s.url).host.replace(":", "_"), "journal.jsonl");
const migratedOf = (company) => sim.state().assets.objects
  .filter((o) => o.objectType === "Customer" && o.attributes.Company === company && o.attributes["Portal Account"]).length;

test("run --json: one JSON document on stdout; table and summary on stderr", async () => {
  const n = migratedOf("GLOBEX");
  const r = await cli(["run", "--config", writeConfig(), "--company", "GLOBEX", "--json", "--report", "r.json", "--report-csv", "r.csv"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split("\n").length, 1, "exactly one line of JSON");
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.command, "run");
  assert.match(doc.jobId, /^job-[0-9a-f]+$/);
  assert.equal(doc.summary, `summary: migrated=${n} already_migrated=0 failed=0 skipped=0`);
  assert.deepEqual(doc.totals, { customers: n, migrated: n, alreadyMigrated: 0, failed: 0, skipped: 0, planned: 0, unfinished: 0 });
  assert.deepEqual(doc.reports, { json: "r.json", csv: "r.csv" });
  assert.equal(doc.finished, true);
  assert.equal(doc.resume, null);
  assert.equal(doc.exitCode, 0);
  assert.equal(doc.journal, journalFile());
  assert.deepEqual(doc.jobs.map((j) => j.jobId), [doc.jobId]);
  assert.deepEqual(doc.report, JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8")), "the report itself, as in --report");
  // The human text moved to stderr, unchanged.
  assert.match(r.stderr, /^COMPANY\s+EMAIL\s+OLD ID -> NEW ID\s+STATUS/m);
  assert.match(r.stderr, SUMMARY);
  assert.doesNotMatch(r.stderr, /\x1b\[/, "no colour on a pipe");
});

test("run --json when unfinished: exit 3, the resume command in the document; resume --json finishes it", async () => {
  const config = writeConfig();
  const r = await cli(["run", "--config", config, "--company", "INITECH", "--max-duration", "0", "--json"]);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.exitCode, 3);
  assert.equal(doc.finished, false);
  assert.equal(doc.resume, `portal-migrate resume ${doc.jobId} --config ${config}`);
  assert.deepEqual(doc.otherJobs, []);
  assert.equal(doc.totals.unfinished, migratedOf("INITECH"));
  assert.ok(r.stderr.includes(`\nunfinished: ${migratedOf("INITECH")} customers left; run: ${doc.resume}\n`), r.stderr);

  const resumed = await cli(["resume", "--journal", journalFile(), "--json"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const rdoc = JSON.parse(resumed.stdout);
  assert.equal(rdoc.command, "resume");
  assert.equal(rdoc.jobId, doc.jobId);
  assert.equal(rdoc.totals.migrated, migratedOf("INITECH"));
  assert.equal(rdoc.finished, true);
  assert.match(resumed.stderr, /^resuming job job-/m);
});

test("doctor --json: {ok, checks} on stdout, the checklist on stderr; a usage error is a JSON error too", async () => {
  const config = writeConfig();
  const ok = await cli(["doctor", "--config", config, "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  const doc = JSON.parse(ok.stdout);
  assert.equal(doc.ok, true);
  assert.equal(doc.exitCode, 0);
  assert.ok(doc.checks.length >= 3 && doc.checks.every((c) => c.ok && typeof c.name === "string"));
  assert.equal(ok.stderr.trimEnd().split("\n").length, doc.checks.length);
  assert.ok(ok.stderr.split("\n").filter(Boolean).every((l) => l.startsWith("✔ ")), ok.stderr);

  const bad = await cli(["doctor", "--config", config, "--json"], { env: { ATLASSIAN_API_TOKEN: "wrong" } });
  assert.equal(bad.code, 1);
  const badDoc = JSON.parse(bad.stdout);
  assert.equal(badDoc.ok, false);
  assert.equal(badDoc.checks.find((c) => c.name === "credentials valid").ok, false);
  assert.match(bad.stderr, /^✘ credentials valid/m);

  const usage = await cli(["doctor", "--json"]);
  assert.equal(usage.code, 2);
  assert.deepEqual(JSON.parse(usage.stdout), { error: { code: "USAGE", message: "doctor needs --config FILE (see portal-migrate doctor --help)" }, exitCode: 2 });
  assert.equal(usage.stderr, "portal-migrate: doctor needs --config FILE (see portal-migrate doctor --help)\n");
});

// --- more output than a pipe holds (64 KiB on Linux) -------------------------------------------

let big; // a simulator with 2,500 customers: the table is ~280 KB
// Above 1,000 rows the CLI prints no table (js/cli/rows.js); these tests need the big output.
const ALL_ROWS = { env: { PORTAL_MIGRATE_KEEP_ROWS: "5000" } };
async function bigSim() {
  big ??= await startSimulator({ port: 0, seed: 3, scenario: { companies: 2, customers: 2500 }, quiet: true });
  return big;
}
after(() => big?.close());

/**
 * Holds stdout unread (so the pipe fills, as behind a slow consumer) until the child exits or 1 s
 * after the core's "finish" progress event. A CLI that exits with output still queued loses it here.
 */
function slowReader() {
  let finished = false;
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  return {
    onStderr(child, stderr) {
      if (!finished && stderr.includes('"kind":"finish"')) { finished = true; setTimeout(release, 1000); }
    },
    holdStdout(child) {
      child.once("exit", release);
      return held;
    },
  };
}

test("a table larger than the pipe buffer arrives in full behind a slow reader, summary included", async () => {
  const s = await bigSim();
  const r = await cli(["run", "--config", writeConfig(s, "big.json"), "--dry-run", "--progress", "json"], { sim: s, ...ALL_ROWS, ...slowReader() });
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  assert.ok(Buffer.byteLength(r.stdout) > 64 * 1024 + 1, `only ${Buffer.byteLength(r.stdout)} bytes: too small to test a full pipe`);
  const lines = r.stdout.trimEnd().split("\n");
  // The header, a row per customer, a line per company (two), the summary.
  assert.equal(lines.length, 1 + 2500 + 2 + 1, `got ${Buffer.byteLength(r.stdout)} bytes`);
  assert.deepEqual(lines.slice(-3, -1), ["CO1: 1250 planned", "CO2: 1250 planned"]);
  assert.equal(lines.at(-1), "summary: migrated=0 already_migrated=0 failed=0 skipped=0 planned=2500");
});

test("--json: a document larger than the pipe buffer arrives whole behind a slow reader", async () => {
  const s = await bigSim();
  const r = await cli(["run", "--config", writeConfig(s, "big.json"), "--company", "CO1", "--dry-run", "--json", "--progress", "json"], { sim: s, ...ALL_ROWS, ...slowReader() });
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  assert.ok(Buffer.byteLength(r.stdout) > 256 * 1024, `only ${Buffer.byteLength(r.stdout)} bytes`);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.report.customers.length, 1250);
  assert.equal(doc.totals.planned, 1250);
  assert.match(r.stderr, /^summary: .* planned=1250$/m);
});

test("a reader that goes away (| head) neither crashes the run nor skips its report files", async () => {
  const config = writeConfig();
  const r = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, "run", "--config", config, "--company", "GLOBEX", "--report", "r.json"], {
      cwd: dir,
      env: { ...process.env, ATLASSIAN_EMAIL: sim.credentials.email, ATLASSIAN_API_TOKEN: sim.credentials.apiToken, PORTAL_MIGRATE_STATE_DIR: path.join(dir, "state") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy(); // closes the read end: every write to stdout fails with EPIPE
    let stderr = "";
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8")).totals.migrated, migratedOf("GLOBEX"));
});

// --- Ctrl-C ------------------------------------------------------------------------------------

test("Ctrl-C: exit 130, the resume hint on stderr (and a JSON document with --json); resume finishes the job", async () => {
  sim.reset({ latencyMs: 25 });
  const acme = migratedOf("ACME");
  let sent = false;
  const config = writeConfig();
  const r = await cli(["run", "--config", config, "--company", "ACME", "--progress", "json", "--json", "--concurrency", "1", "--report", "r.json", "--report-csv", "r.csv"], {
    onStderr(child, stderr) {
      if (!sent && /"kind":"customer"/.test(stderr)) { sent = true; child.kill("SIGINT"); }
    },
  });
  assert.ok(sent, "no customer event seen");
  assert.equal(r.code, 130, r.stderr.slice(-1000));
  // The hint names the job and keeps the run's config and report options.
  const resume = `portal-migrate resume ${jobId({ companies: ["ACME"] })} --config ${config} --report r.json --report-csv r.csv`;
  assert.ok(r.stderr.endsWith(`portal-migrate: interrupted (SIGINT); nothing is lost: run: ${resume}\n`), r.stderr.slice(-500));
  assert.deepEqual(JSON.parse(r.stdout), { command: "run", interrupted: "SIGINT", journal: journalFile(), resume, exitCode: 130 });
  assert.ok(sim.state().migrations.length < acme, "interrupted before the end");
  assert.equal(fs.existsSync(journalFile() + ".lock"), false, "the lock is released");
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no report rows spool left behind");

  // The printed command, as pasted (no word of it needs quoting here).
  const resumed = await cli([...resume.split(" ").slice(1), "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const qms = sim.state().migrations.map((m) => m.qmId);
  assert.equal(qms.length, acme);
  assert.equal(new Set(qms).size, acme, "nobody migrated twice");
  const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
  assert.equal(report.jobId, jobId({ companies: ["ACME"] }));
  assert.equal(report.totals.unfinished, 0);
  assert.equal(fs.readFileSync(path.join(dir, "r.csv"), "utf8").trimEnd().split("\n").length, 1 + report.customers.length);
});

// --- colour on a terminal ------------------------------------------------------------------------

const hasScript = spawnSync("script", ["--version"]).status === 0;

/** Runs the CLI on a pseudo-terminal (util-linux `script`); returns what the terminal showed. */
function onTerminal(args, env) {
  const cmd = [process.execPath, MAIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ATLASSIAN_EMAIL: sim.credentials.email, ATLASSIAN_API_TOKEN: sim.credentials.apiToken, TERM: "xterm", NO_COLOR: "", ...env },
  });
  return { code: r.status, out: r.stdout };
}

test("colour only on a terminal: doctor's marks are green there, plain with NO_COLOR or --no-color", { skip: !hasScript && "no util-linux script" }, async () => {
  // spawnSync blocks this process, so the simulator runs in a child of its own (portal-migrate sim).
  const simProc = spawn(process.execPath, [MAIN, "sim", "--config-out", path.join(dir, "tty.json"), "--seed", "5"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise((resolve, reject) => {
      let text = "";
      simProc.stdout.on("data", (d) => { text += d; if (text.includes("stop with Ctrl-C")) resolve(); });
      simProc.on("exit", () => reject(new Error(`sim exited: ${text}`)));
    });
    const tty = path.join(dir, "tty.json");
    const coloured = onTerminal(["doctor", "--config", tty], {});
    assert.equal(coloured.code, 0, coloured.out);
    assert.match(coloured.out, /\x1b\[32m✔\x1b\[39m credentials valid/);
    for (const [args, env] of [[["--no-color"], {}], [[], { NO_COLOR: "1" }], [[], { TERM: "dumb" }]]) {
      const plain = onTerminal(["doctor", "--config", tty, ...args], env);
      assert.equal(plain.code, 0, plain.out);
      assert.match(plain.out, /^✔ credentials valid/m, JSON.stringify(env));
      assert.doesNotMatch(plain.out, /\x1b\[3\dm/, `colour despite ${args.join(" ")} ${JSON.stringify(env)}`);
    }
  } finally {
    simProc.kill("SIGINT");
  }
});
