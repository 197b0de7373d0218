// Installing without Rust: `npm pack` (its prepack build is a no-op when js/pkg/ is current) gives a
// tarball holding the built wasm; `npm install -g` of it, offline, gives a `portal-migrate` that runs
// the demo with no cargo, rustc or wasm-bindgen on PATH. No network: the registry is a closed port.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUST_TOOLS = ["cargo", "rustc", "rustup", "wasm-bindgen"];

/** The environment without the outer npm's npm_* variables (npm test sets many). */
function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...extra };
}

function npm(args, { cwd, env }) {
  const r = spawnSync("npm", args, { cwd, env, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `npm ${args.join(" ")}: ${r.error ?? ""}\n${r.stdout}\n${r.stderr}`);
  return r;
}

test("npm pack → npm install -g (offline) → portal-migrate demo, with no Rust toolchain on PATH", (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pm-pack-"));
  const offline = ["--offline", "--registry", "http://127.0.0.1:9/", "--cache", path.join(tmp, "cache")];
  const env = cleanEnv({ HOME: path.join(tmp, "home") });

  // npm pack runs prepack (scripts/build.sh, up to date here: npm test built js/pkg/ first).
  const packed = npm(["pack", "--json", "--pack-destination", tmp, ...offline], { cwd: ROOT, env });
  const [info] = JSON.parse(packed.stdout);
  const files = info.files.map((f) => f.path);
  t.diagnostic(`${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files`);
  for (const f of ["package.json", "README.md", "js/cli/main.js", "js/core/node.js", "js/pkg/portal_migrate.js", "js/pkg/portal_migrate_bg.wasm", "js/sim/index.js"]) {
    assert.ok(files.includes(f), `tarball lacks ${f}`);
  }
  for (const f of files) {
    assert.match(f, /^(package\.json|README\.md|LICEN[CS]E(\.\w+)?|js\/(cli|core|pkg|sim)\/.+)$/, `tarball holds ${f}, which the CLI does not need`);
  }
  assert.ok(!files.some((f) => f.endsWith("_b64.js")), "the Forge base64 module is not for the CLI");
  assert.ok(info.size < 1024 * 1024, `tarball is ${info.size} bytes`);

  // Install the tarball into a scratch prefix, without the registry (there are no runtime deps).
  const prefix = path.join(tmp, "prefix");
  npm(["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", ...offline, path.join(tmp, info.filename)], { cwd: tmp, env });
  const installed = path.join(prefix, "lib", "node_modules", "portal-migrate");
  assert.ok(fs.existsSync(path.join(installed, "js", "pkg", "portal_migrate_bg.wasm")));
  assert.equal(fs.existsSync(path.join(installed, "node_modules")), false, "no dependencies are installed");

  // PATH: node (a symlink in a directory of its own) and the system directories without Rust tools.
  const nodeDir = path.join(tmp, "node-bin");
  fs.mkdirSync(nodeDir);
  fs.symlinkSync(process.execPath, path.join(nodeDir, "node"));
  const system = ["/usr/bin", "/bin"].filter((d) => fs.existsSync(d) && !RUST_TOOLS.some((x) => fs.existsSync(path.join(d, x))));
  const PATH = [nodeDir, ...system].join(path.delimiter);
  for (const dir of PATH.split(path.delimiter)) {
    for (const x of RUST_TOOLS) assert.equal(fs.existsSync(path.join(dir, x)), false, `${x} in ${dir}`);
  }
  const runEnv = { PATH, HOME: path.join(tmp, "home"), NO_COLOR: "1" };

  const bin = path.join(prefix, "bin", "portal-migrate");
  const demo = spawnSync(bin, ["demo", "--progress", "none"], { cwd: tmp, env: runEnv, encoding: "utf8", timeout: 120_000 });
  assert.equal(demo.status, 0, `${demo.error ?? ""}\n${demo.stdout}\n${demo.stderr}`);
  const m = demo.stdout.match(/^migrate calls: first pass (\d+), second pass 0$/m);
  assert.ok(m && Number(m[1]) > 0, demo.stdout.slice(-500));

  const help = spawnSync(bin, ["run", "--help"], { cwd: tmp, env: runEnv, encoding: "utf8" });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: portal-migrate run /);
  fs.rmSync(tmp, { recursive: true, force: true });
});
