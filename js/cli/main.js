#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --optimize-for-size --max-semi-space-size=1 --liftoff-only
// portal-migrate: dispatch to a command; every error becomes one line on stderr and an exit code.
// --optimize-for-size: the CLI waits on the network; V8's default heap growth more than doubled its
// peak RSS on a 10,000-customer job (bench S3) for a CPU saving it does not need.
// --max-semi-space-size=1 (MiB): a young generation that small cost no wall time and 17 MiB less
// peak RSS at 10,000 customers (124.5 → 107.4 MiB, bench S3's tenant).
// --liftoff-only: the core stays on V8's baseline wasm compiler; tiering hot functions up to
// TurboFan cost ~20 MiB of peak RSS (1,000 customers at 50 ms: 97 → 78 MiB) and no measurable wall
// time (8.9-9.2 s either way at concurrency 16, 6.2-6.6 s at 32): the core is ~7% of the CLI's CPU.
// MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (libuv's pool does the journal's writes
// and fsyncs) an arena of its own; two arenas cost 3-6 MiB less peak RSS (1,000 customers at
// concurrency 32: 77.7-80.9 → 74.1-74.9 MiB) and no wall time. Ignored off glibc; npm's Windows
// shims turn the assignment into a `set`.
//
// The exit code is set with process.exitCode and the process ends on its own, once stdout and stderr
// have drained: process.exit() would drop output still queued for a pipe (see output.js).
import { version } from "../core/node.js";
import { EXIT, isUsage, advisedLine } from "./errors.js";
import * as commands from "./commands/index.js";
import { overview, commandHelp, specFor } from "./usage.js";
import { ignoreClosedReaders } from "./output.js";

const HELP = new Set(["--help", "-h"]);

async function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const [command, ...rest] = argv;
  let json = false;
  try {
    if (command === undefined) {
      stderr.write(overview(await commands.allSpecs()));
      return EXIT.usage;
    }
    if (HELP.has(command)) {
      stdout.write(overview(await commands.allSpecs()));
      return EXIT.ok;
    }
    if (command === "--version" || command === "version") {
      stdout.write(`portal-migrate ${version()}\n`);
      return EXIT.ok;
    }
    const { spec, main: run } = await commands.loadCommand(command);
    if (rest.some((a) => HELP.has(a))) {
      stdout.write(commandHelp(specFor(spec, rest)));
      return EXIT.ok;
    }
    // Decided before parsing, so that even a usage error answers a script in JSON.
    json = Object.hasOwn(spec.options ?? {}, "json") && rest.includes("--json");
    return (await run(rest, { stdout, stderr, commands })) ?? EXIT.ok;
  } catch (e) {
    const usage = isUsage(e);
    const code = typeof e?.code === "string" ? e.code : usage ? "USAGE" : "ERROR";
    const message = oneLine(e?.message ?? e);
    const text = e?.fix ? advisedLine(e, message, rest) : message;
    stderr.write(usage ? `portal-migrate: ${text}\n` : `portal-migrate: ${code}: ${text}\n`);
    if (!usage && process.env.PORTAL_MIGRATE_DEBUG) stderr.write(`${e?.stack ?? ""}\n`);
    const exitCode = usage ? EXIT.usage : EXIT.failed;
    const advice = e?.fix ? { advice: e.advice, fix: e.fix, kind: e.kind } : {};
    if (json) stdout.write(JSON.stringify({ error: { code, message, ...advice }, exitCode }) + "\n");
    return exitCode;
  }
}

function oneLine(s) {
  return String(s).replace(/\s*\n\s*/g, " ").trim();
}

ignoreClosedReaders();
process.exitCode = await main(process.argv.slice(2));
