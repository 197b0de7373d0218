// portal-migrate demo: migrate every demo company against an in-process simulator, then run the same
// migration again to show that a re-run changes nothing (zero migrate calls).
import { startSimulator } from "../../sim/index.js";
import { parseArgs } from "../args.js";
import { createFetch, timeoutFromEnv } from "../fetch.js";
import { checkConfig, trustedOrigins } from "../config.js";
import { memoryJournal } from "../journal.js";
import { runJob, exitCode } from "../job.js";
import { createProgress } from "../progress.js";
import { progressMode } from "../options.js";

const SPEC = { seed: "int", progress: "string", quiet: "bool" };

export async function demo(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const opts = parseArgs(argv, SPEC);
  const mode = progressMode(opts);
  const s = await startSimulator({ port: 0, seed: opts.seed ?? 1, scenario: "demo", quiet: true });
  try {
    const config = s.config();
    const urls = checkConfig(config);
    // One journal for both passes, as a real re-run would have.
    const host = {
      fetch: createFetch({ credentials: s.credentials, origins: trustedOrigins(urls), timeoutMs: timeoutFromEnv() }),
      journal: memoryJournal(),
    };
    const out = { progress: createProgress(mode, stderr), quiet: opts.quiet, stdout };
    stdout.write(`demo: simulated Atlassian site at ${s.url}; companies: ${config.companies.join(", ")}\n\n`);
    stdout.write("first pass: migrate every demo company\n");
    const first = await runJob({}, config, host, out);
    stdout.write("\nsecond pass: a re-run changes nothing\n");
    const second = await runJob({}, config, host, out);
    stdout.write(`\nmigrate calls: first pass ${first.report.stats.migrateCalls}, second pass ${second.report.stats.migrateCalls}\n`);
    return exitCode([first, second]);
  } finally {
    await s.close();
  }
}
