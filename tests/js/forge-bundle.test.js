// The app as `forge deploy` packages it: src/forge.js bundled by @forge/bundler (Forge's own
// webpack configuration: target node18, CommonJS .cjs, babel-loader), offline, then loaded and
// called outside the Forge runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { readFileSync } from "node:fs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("src/forge.js bundles with @forge/bundler and the bundle exports every manifest handler", { timeout: 180_000 }, async () => {
  const run = spawnSync(process.execPath, [path.join(ROOT, "tests/js/helpers/forge-bundle.cjs")], {
    cwd: ROOT, encoding: "utf8", timeout: 170_000, env: { ...process.env, FORGE_DISABLE_ANALYTICS: "true" },
  });
  assert.equal(run.status, 0, run.stderr);
  const { outputDir, files, modules } = JSON.parse(run.stdout);
  try {
    assert.ok(files.includes("forge.cjs"), files.join(", "));
    // The Forge packages are bundled in (Forge installs no node_modules for the app).
    for (const m of ["@forge/api", "@forge/kvs", "@forge/events", "@forge/resolver"]) assert.ok(modules.includes(m), `${m} is in the bundle`);
    const bundle = createRequire(import.meta.url)(path.join(outputDir, "forge.cjs"));
    const manifest = parseYaml(readFileSync(path.join(ROOT, "manifest.yml"), "utf8"));
    for (const f of manifest.modules.function) {
      const name = f.handler.split(".")[1];
      assert.equal(typeof bundle[name], "function", `the bundle exports ${name}`);
    }
    // A handler runs from the bundle: with no caller secret configured the web trigger refuses
    // every request (503) without touching the Forge runtime.
    const res = await bundle.webTrigger({ method: "POST", userPath: "", headers: {}, queryParameters: {}, body: "{}" }, {});
    assert.equal(res.statusCode, 503);
    assert.equal(JSON.parse(res.body).error.code, "NOT_CONFIGURED");
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
});

test("the Custom UI pages' bridge.js builds from @forge/bridge as an ES module", { timeout: 120_000 }, async () => {
  const { buildBridge } = await import("../../js/forge/ui/build.js");
  const written = await buildBridge({ quiet: true });
  assert.equal(written.length, 2);
  for (const file of written) {
    const text = readFileSync(file, "utf8");
    assert.match(text, /export\s*\{[^}]*\binvoke\b[^}]*\}/);
    assert.match(text, /export\s*\{[^}]*\bview\b[^}]*\}/);
    assert.match(text, /export\s*\{[^}]*\bevents\b[^}]*\}/);
  }
});
