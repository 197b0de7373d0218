#!/usr/bin/env node
// Builds the Custom UI pages' one generated file: bridge.js, @forge/bridge bundled into an ES
// module with the webpack that @forge/bundler (Forge's own bundler) depends on. Everything else a
// page needs is plain, committed HTML/JS/CSS under js/forge/ui/<page>/ (manifest.yml `resources`).
// Custom UI pages run under a CSP that refuses inline scripts, so each page loads files only.
//   node js/forge/ui/build.js            (npm run build:forge-ui; before `forge deploy`)
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PAGES = ["admin", "action"];

export async function buildBridge({ pages = PAGES, quiet = false } = {}) {
  const require = createRequire(import.meta.url);
  const webpack = createRequire(require.resolve("@forge/bundler"))("webpack");
  const out = mkdtempSync(path.join(os.tmpdir(), "portal-migrate-bridge-"));
  try {
    const stats = await new Promise((resolve, reject) => {
      webpack({
        mode: "production",
        target: "web",
        entry: path.join(HERE, "bridge-entry.js"),
        experiments: { outputModule: true },
        output: { path: out, filename: "bridge.js", library: { type: "module" }, module: true },
        performance: false,
        devtool: false,
      }, (err, s) => (err ? reject(err) : resolve(s)));
    });
    if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
    for (const page of pages) copyFileSync(path.join(out, "bridge.js"), path.join(HERE, page, "bridge.js"));
    if (!quiet) console.error(`forge-ui: wrote bridge.js for ${pages.join(", ")}`);
    return pages.map((p) => path.join(HERE, p, "bridge.js"));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildBridge().catch((err) => {
    console.error(`forge-ui: ${err.message}`);
    process.exitCode = 1;
  });
}
