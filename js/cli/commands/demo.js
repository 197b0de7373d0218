// portal-migrate demo: migrate every demo company against an in-process simulator, then run the same
// migration again to show that a re-run changes nothing (zero migrate calls).
import { secretsOf } from "../../core/edge.js";
import { startSimulator } from "../../sim/index.js";
import { parseArgs } from "../args.js";
import { createFetch, timeoutFromEnv } from "../fetch.js";
import { checkConfig, trustedOrigins } from "../config.js";
import { memoryJournal } from "../journal.js";
import { runJob, exitCode } from "../job.js";
import { createOutput } from "../output.js";
import { createProgress } from "../progress.js";
import { progressMode, OUTPUT_OPTIONS, COMMON_OPTIONS } from "../options.js";

export const spec = {
  name: "demo",
  summary: "migrate the demo companies on an in-process simulator, twice",
  usage: "[--seed N] [--progress MODE] [--quiet]",
  about: "Starts the built-in Atlassian Cloud simulator on 127.0.0.1, migrates every demo company, then runs the same migration again to show that a re-run changes nothing (zero migrate calls). Needs no credentials and touches no real site.",
  options: {
    seed: { type: "int", arg: "N", help: "the simulator's seed (ids and names; default 1)" },
    progress: OUTPUT_OPTIONS.progress,
    quiet: OUTPUT_OPTIONS.quiet,
    ...COMMON_OPTIONS,
  },
  exits: [[0, "both passes done"], [1, "a customer failed"], [2, "bad usage"]],
};

export async function demo(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, spec.options, { command: "demo" });
  const mode = progressMode(opts);
  const out = createOutput({ noColor: opts.noColor, stdout, stderr });
  const s = await startSimulator({ port: 0, seed: opts.seed ?? 1, scenario: "demo", quiet: true });
  try {
    const config = s.config();
    const urls = checkConfig(config);
    // One journal for both passes, as a real re-run would have.
    const host = {
      fetch: createFetch({ credentials: s.credentials, origins: trustedOrigins(urls), timeoutMs: timeoutFromEnv() }),
      journal: memoryJournal(),
      secrets: secretsOf(s.credentials),
    };
    const jobOut = { progress: createProgress(mode, stderr), quiet: opts.quiet, out };
    out.print(`demo: simulated Atlassian site at ${s.url}; companies: ${config.companies.join(", ")}\n\n`);
    out.print("first pass: migrate every demo company\n");
    const first = await runJob({}, config, host, jobOut);
    out.print(`${first.stepsLine}\n`);
    out.print("\nsecond pass: a re-run changes nothing\n");
    const second = await runJob({}, config, host, jobOut);
    out.print(`${second.stepsLine}\n`);
    out.print(`\nmigrate calls: first pass ${first.report.stats.migrateCalls}, second pass ${second.report.stats.migrateCalls}\n`);
    return exitCode([first, second]);
  } finally {
    await s.close();
  }
}
