// portal-migrate sim: the Atlassian Cloud simulator (demo scenario) on 127.0.0.1 until SIGINT/SIGTERM.
import { writeFileSync } from "node:fs";
import { startSimulator } from "../../sim/index.js";
import { parseArgs } from "../args.js";
import { UsageError } from "../errors.js";
import { COMMON_OPTIONS } from "../options.js";

export const spec = {
  name: "sim",
  summary: "run the Atlassian Cloud simulator until Ctrl-C",
  usage: "[--port N] [--seed N] [--config-out FILE] [--email E] [--api-token T]",
  about: "Serves the built-in Atlassian Cloud simulator (the demo companies) on 127.0.0.1 until Ctrl-C, so that run, resume and doctor can be tried without a real site.",
  options: {
    port: { type: "int", arg: "N", help: "the port (default: any free one)" },
    seed: { type: "int", arg: "N", help: "the seed for ids and names (default 1)" },
    "config-out": { type: "string", arg: "FILE", help: "write a config for this simulator to FILE" },
    email: { type: "string", arg: "E", help: "the ATLASSIAN_EMAIL it accepts (default demo@example.com)" },
    "api-token": { type: "string", arg: "T", help: "the ATLASSIAN_API_TOKEN it accepts (default demo-token)" },
    ...COMMON_OPTIONS,
  },
  exits: [[0, "stopped with Ctrl-C"], [2, "bad usage"]],
};

export async function sim(argv, { stdout = process.stdout } = {}) {
  const opts = parseArgs(argv, spec.options, { command: "sim" });
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
