#!/usr/bin/env -S node --optimize-for-size
// portal-migrate: dispatch to a command; every error becomes one line on stderr and an exit code.
// --optimize-for-size: the CLI waits on the network; V8's default heap growth more than doubled its
// peak RSS on a 10,000-customer job (bench S3) for a CPU saving it does not need.
import { version } from "../core/node.js";
import { UsageError, EXIT, USAGE_CODES } from "./errors.js";
import { USAGE } from "./commands/help.js";

const COMMANDS = {
  run: () => import("./commands/run.js").then((m) => m.run),
  resume: () => import("./commands/resume.js").then((m) => m.resume),
  sim: () => import("./commands/sim.js").then((m) => m.sim),
  demo: () => import("./commands/demo.js").then((m) => m.demo),
  doctor: () => import("./commands/doctor.js").then((m) => m.doctor),
};

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(USAGE);
    return EXIT.usage;
  }
  if (command === "help" || command === "--help" || command === "-h" || rest.includes("--help")) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (command === "--version" || command === "version") {
    process.stdout.write(`portal-migrate ${version()}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : null;
  if (!load) throw new UsageError(`unknown command ${JSON.stringify(command)} (see portal-migrate --help)`);
  return (await load())(rest);
}

function oneLine(s) {
  return String(s).replace(/\s*\n\s*/g, " ").trim();
}

try {
  const code = await main(process.argv.slice(2));
  process.exit(code ?? EXIT.ok);
} catch (e) {
  if (e instanceof UsageError || USAGE_CODES.has(e?.code)) {
    process.stderr.write(`portal-migrate: ${oneLine(e.message)}\n`);
    process.exit(EXIT.usage);
  }
  const code = typeof e?.code === "string" ? e.code : "ERROR";
  process.stderr.write(`portal-migrate: ${code}: ${oneLine(e?.message ?? e)}\n`);
  if (process.env.PORTAL_MIGRATE_DEBUG) process.stderr.write(`${e?.stack ?? ""}\n`);
  process.exit(EXIT.failed);
}
