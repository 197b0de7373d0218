// Help generated from each command's spec, suggestions for typos, and the colour/output helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { MAIN } from "./helpers/cli.js";
import { NAMES, loadCommand } from "../../js/cli/commands/index.js";
import { colorEnabled, createStyle } from "../../js/cli/color.js";
import { createOutput, flushed } from "../../js/cli/output.js";
import { closest } from "../../js/cli/suggest.js";

const cli = (...args) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test("the overview lists every command and the exit codes, including 130 for Ctrl-C", () => {
  const r = cli("--help");
  assert.equal(r.code, 0);
  for (const name of NAMES) assert.match(r.stdout, new RegExp(`^  ${name}\\s+\\S`, "m"), name);
  for (const [code, word] of [[0, "done"], [1, "failed"], [2, "bad usage"], [3, "unfinished"], [130, "interrupted"]]) {
    assert.match(r.stdout, new RegExp(`^  ${code}\\s+.*${word}`, "m"), `exit code ${code}`);
  }
  assert.match(r.stdout, /NO_COLOR/);
  assert.match(r.stdout, /--json/);
  assert.equal(cli("help").stdout, r.stdout);
  const bare = cli();
  assert.equal(bare.code, 2, "no command is a usage error");
  assert.equal(bare.stderr, r.stdout);
});

test("<command> --help shows that command's usage and options only, generated from its spec", async () => {
  const helps = {};
  for (const name of NAMES) {
    const { spec } = await loadCommand(name);
    const r = cli(name, "--help");
    assert.equal(r.code, 0, name);
    assert.equal(r.stderr, "");
    assert.ok(r.stdout.startsWith(`usage: portal-migrate ${name}`), `${name}: ${r.stdout.slice(0, 80)}`);
    assert.equal(cli("help", name).stdout, r.stdout, `help ${name} is the same text`);
    // Every option the command accepts is documented, with its help line.
    for (const [opt, o] of Object.entries(spec.options)) {
      assert.ok(o.help, `${name} --${opt} has no help text`);
      assert.match(r.stdout, new RegExp(`^  --${opt}\\b`, "m"), `${name} --help lacks --${opt}`);
    }
    // ...and nothing else: every --option shown at the start of a line is in the spec.
    for (const [, opt] of r.stdout.matchAll(/^ {2}--([a-z-]+)/gm)) {
      assert.ok(opt === "help" || Object.hasOwn(spec.options, opt), `${name} --help shows --${opt}, which it does not accept`);
    }
    helps[name] = r.stdout;
  }
  assert.match(helps.run, /--customers-file CSV/);
  assert.doesNotMatch(helps.doctor, /--customers-file/);
  assert.doesNotMatch(helps.demo, /--config/);
  assert.match(helps.doctor, /--json/);
  assert.match(helps.run, /^ {2}130 +interrupted/m);
});

test("a subcommand's --help (jobs show, jobs discard) comes from its own spec; the command's help lists them", async () => {
  let checked = 0;
  for (const name of NAMES) {
    const { spec } = await loadCommand(name);
    for (const [word, sub] of Object.entries(spec.subcommands ?? {})) {
      const r = cli(name, word, "--help");
      assert.equal(r.code, 0, `${name} ${word}`);
      assert.ok(r.stdout.startsWith(`usage: portal-migrate ${name} ${word} `), r.stdout.slice(0, 80));
      assert.equal(cli("help", name, word).stdout, r.stdout, `help ${name} ${word} is the same text`);
      for (const opt of Object.keys(sub.options)) assert.match(r.stdout, new RegExp(`^  --${opt}\\b`, "m"), `${name} ${word} --help lacks --${opt}`);
      for (const [, opt] of r.stdout.matchAll(/^ {2}--([a-z-]+)/gm)) {
        assert.ok(opt === "help" || Object.hasOwn(sub.options, opt), `${name} ${word} --help shows --${opt}, which it does not accept`);
      }
      assert.match(cli(name, "--help").stdout, new RegExp(`^  portal-migrate ${name} ${word} ID +\\S`, "m"), `${name} --help lists ${word}`);
      checked++;
    }
  }
  assert.equal(checked, 2, "jobs show and jobs discard");
  const jobs = cli("jobs", "--help").stdout;
  assert.match(jobs, /^ {2}--all +also the jobs that are done, failed or discarded$/m);
  assert.doesNotMatch(cli("jobs", "show", "--help").stdout, /--all/);
  assert.match(cli("run", "--help").stdout, /^ {2}--resume-others +first finish the journal's other unfinished jobs/m);
  assert.match(cli("--help").stdout, /^jobs:\n {2}Every run is a job/m);
});

test("a mistyped command or option suggests the closest one (exit 2)", () => {
  let r = cli("rnu");
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'portal-migrate: unknown command "rnu"; did you mean "run"? (see portal-migrate --help)\n');
  r = cli("docter", "--config", "x.json");
  assert.match(r.stderr, /did you mean "doctor"\?/);
  r = cli("launch");
  assert.equal(r.stderr, 'portal-migrate: unknown command "launch" (see portal-migrate --help)\n');
  r = cli("run", "--dryrun");
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "portal-migrate: unknown option --dryrun; did you mean --dry-run? (see portal-migrate run --help)\n");
  r = cli("help", "nope");
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(closest("resum", ["run", "resume"]), "resume");
  assert.equal(closest("x", ["run", "resume"]), null);
});

test("colour: only on a TTY, never with a non-empty NO_COLOR, --no-color or TERM=dumb", () => {
  const tty = { isTTY: true };
  assert.equal(colorEnabled(tty, { env: {} }), true);
  assert.equal(colorEnabled({ isTTY: false }, { env: {} }), false);
  assert.equal(colorEnabled({}, { env: {} }), false);
  assert.equal(colorEnabled(tty, { env: { NO_COLOR: "1" } }), false);
  assert.equal(colorEnabled(tty, { env: { NO_COLOR: "0" } }), false, "any non-empty value");
  assert.equal(colorEnabled(tty, { env: { NO_COLOR: "" } }), true, "an empty NO_COLOR is not set (no-color.org)");
  assert.equal(colorEnabled(tty, { env: {}, noColor: true }), false);
  assert.equal(colorEnabled(tty, { env: { TERM: "dumb" } }), false);
  assert.equal(createStyle(true).green("ok"), "\x1b[32mok\x1b[39m");
  assert.equal(createStyle(false).red("x"), "x");
});

test("output helper: human text to stdout, or to stderr with json, where stdout gets one document", async () => {
  const sink = (isTTY = false) => ({ isTTY, text: "", writable: true, write(s, cb) { this.text += s; cb?.(); return true; } });
  let stdout = sink(), stderr = sink();
  let out = createOutput({ stdout, stderr, env: {} });
  out.print("table\n"); out.note("note\n");
  assert.equal(out.document({ a: 1 }), false);
  assert.deepEqual([stdout.text, stderr.text], ["table\n", "note\n"]);

  stdout = sink(); stderr = sink(true);
  out = createOutput({ json: true, stdout, stderr, env: {} });
  out.print(out.style.green("table") + "\n"); out.note("note\n");
  assert.equal(out.document({ a: 1 }), true);
  assert.equal(out.document({ a: 2 }), false, "only one document");
  assert.equal(stdout.text, '{"a":1}\n');
  assert.equal(stderr.text, "\x1b[32mtable\x1b[39m\nnote\n", "colour follows the stream human text goes to");
  await flushed([stdout, stderr]);
});
