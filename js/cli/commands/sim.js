// portal-migrate sim: the Atlassian Cloud simulator (demo scenario) on 127.0.0.1 until SIGINT/SIGTERM.
import { writeFileSync } from "node:fs";
import { startSimulator } from "../../sim/index.js";
import { parseArgs } from "../args.js";
import { UsageError } from "../errors.js";

const SPEC = { port: "int", seed: "int", "config-out": "string", email: "string", "api-token": "string" };

export async function sim(argv, { stdout = process.stdout } = {}) {
  const opts = parseArgs(argv, SPEC);
  if (opts.port !== undefined && opts.port > 65535) throw new UsageError("--port must be between 0 and 65535");
  const email = opts.email ?? "demo@example.com";
  const apiToken = opts.apiToken ?? "demo-token";
  const s = await startSimulator({ port: opts.port ?? 0, seed: opts.seed ?? 1, email, apiToken, scenario: "demo", quiet: true });
  if (opts.configOut) {
    try {
      writeFileSync(opts.configOut, JSON.stringify(s.config(), null, 2) + "\n");
    } catch (e) {
      await s.close();
      throw new UsageError(`cannot write ${opts.configOut}: ${e.code ?? e.message}`);
    }
  }
  stdout.write(`Atlassian Cloud simulator listening on ${s.url}\n`);
  stdout.write(`ATLASSIAN_EMAIL=${email} ATLASSIAN_API_TOKEN=${apiToken}\n`);
  if (opts.configOut) stdout.write(`config written to ${opts.configOut}; try: portal-migrate run --config ${opts.configOut}\n`);
  stdout.write("stop with Ctrl-C\n");
  await new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await s.close();
  return 0;
}
