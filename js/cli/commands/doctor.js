// portal-migrate doctor: the core's read-only checks of config, credentials and permissions.
import core from "../../core/node.js";
import { parseArgs } from "../args.js";
import { readConfigFile, checkConfig, secretsFromEnv } from "../config.js";
import { UsageError, EXIT } from "../errors.js";
import { realHost } from "../host.js";
import { memoryJournal } from "../journal.js";

export async function doctor(argv, { stdout = process.stdout } = {}) {
  const opts = parseArgs(argv, { config: "string", company: "string" });
  if (!opts.config) throw new UsageError("doctor needs --config FILE");
  const config = readConfigFile(opts.config);
  const urls = checkConfig(config);
  if (typeof core.doctor !== "function") throw new UsageError("doctor is not available in this build");
  const credentials = secretsFromEnv();
  const { checks = [] } = await core.doctor(config, realHost({ urls, credentials, journal: memoryJournal() }), {
    company: opts.company ?? null,
  });
  for (const c of checks) {
    stdout.write(`${c.ok ? "✔" : "✘"} ${c.name}${c.detail ? ` — ${c.detail}` : ""}\n`);
    if (!c.ok && c.fix) stdout.write(`  fix: ${c.fix}\n`);
  }
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.failed;
}
