// portal-migrate doctor: the core's read-only checks of config, credentials and permissions.
import core from "../../core/node.js";
import { parseArgs } from "../args.js";
import { readConfigFile, checkConfig, secretsFromEnv } from "../config.js";
import { UsageError, EXIT } from "../errors.js";
import { realHost } from "../host.js";
import { memoryJournal } from "../journal.js";
import { createOutput } from "../output.js";
import { JSON_OPTION, COMMON_OPTIONS } from "../options.js";

export const spec = {
  name: "doctor",
  summary: "check config, credentials and permissions (read-only)",
  usage: "--config FILE [--company KEY] [--json]",
  about: "Checks the config, the credentials and every permission a run needs, without changing anything, and prints a checklist: ✔ passed, ✘ failed with the fix, – skipped (and why).",
  options: {
    config: { type: "string", arg: "FILE", group: "required", help: "the config file (JSON; see README)" },
    company: { type: "string", arg: "KEY", help: "also check that company's Assets attributes and Confluence space" },
    ...JSON_OPTION,
    ...COMMON_OPTIONS,
  },
  exits: [[0, "every check passed"], [1, "a check failed (see its fix)"], [2, "bad usage, config or secrets"]],
};

export async function doctor(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, spec.options, { command: "doctor" });
  if (!opts.config) throw new UsageError("doctor needs --config FILE (see portal-migrate doctor --help)");
  const config = readConfigFile(opts.config);
  const urls = checkConfig(config);
  if (typeof core.doctor !== "function") throw new UsageError("doctor is not available in this build");
  const credentials = secretsFromEnv();
  const out = createOutput({ json: opts.json, noColor: opts.noColor, stdout, stderr });
  const { checks = [] } = await core.doctor(config, realHost({ urls, credentials, journal: memoryJournal() }), {
    company: opts.company ?? null,
  });
  const { style } = out;
  for (const c of checks) {
    const mark = c.skipped ? style.dim("–") : c.ok ? style.green("✔") : style.red("✘");
    out.print(`${mark} ${c.name}${c.detail ? ` — ${c.detail}` : ""}\n`);
    if (!c.ok && c.fix) out.print(`  ${style.bold("fix:")} ${c.fix}\n`);
  }
  const ok = checks.every((c) => c.ok);
  const code = ok ? EXIT.ok : EXIT.failed;
  out.document({ command: "doctor", ok, checks, exitCode: code });
  return code;
}
