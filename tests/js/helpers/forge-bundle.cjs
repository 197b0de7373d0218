// Bundles src/forge.js with Forge's own bundler (@forge/bundler's node runtime bundler, the one
// `forge deploy` runs) and prints {outputDir, files} as JSON. CommonJS and its own process:
// @forge/bundler needs require.main. The runtime wrapper Forge downloads at deploy time is
// replaced by a stub provider: only the app's bundle is under test. Run from the repo root.
const path = require("node:path");
const fs = require("node:fs");
const { getNodeBundler, getEntryPoints } = require("@forge/bundler");

const logger = { info() {}, debug() {}, warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`), trace() {} };
const wrapperProvider = {
  getNodeRuntimeWrapper: async () => ({ script: "// wrapper stub\n" }),
  getNodeRuntimeLoader: async () => ({ script: "// loader stub\n", version: "test" }),
};
const configReader = { readConfig: async () => ({ app: {} }) };

(async () => {
  const bundler = getNodeBundler(logger, wrapperProvider, configReader);
  const out = await bundler.bundle({
    appDirectory: process.cwd(),
    entryPoints: getEntryPoints([{ module: "forge" }]),
    watchMode: false,
    successMessage: "",
  });
  const files = fs.readdirSync(out.outputDir);
  process.stdout.write(JSON.stringify({ outputDir: out.outputDir, files, modules: out.metadata?.modules ?? [] }));
})().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
