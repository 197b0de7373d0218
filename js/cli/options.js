// Options shared by several commands, each with its help line (usage.js renders them): colour,
// --json, and the output, progress and limit options of run and resume.
import { oneOf } from "./args.js";

/** Every command accepts these. */
export const COMMON_OPTIONS = {
  "no-color": { type: "bool", group: "output", help: "no colour (also without a terminal, or with NO_COLOR set)" },
};

/** Commands that print a result: run, resume, doctor. */
export const JSON_OPTION = {
  json: { type: "bool", group: "output", help: "one JSON document on stdout; tables, progress and hints go to stderr" },
};

export const OUTPUT_OPTIONS = {
  config: { type: "string", arg: "FILE", group: "required", help: "the config file (JSON; see README)" },
  journal: { type: "string", arg: "FILE", help: "default: $PORTAL_MIGRATE_STATE_DIR (or ~/.portal-migrate)/<site>/journal.jsonl" },
  report: { type: "string", arg: "FILE", group: "output", help: "write the report as JSON" },
  "report-csv": { type: "string", arg: "FILE", group: "output", help: "write the report as CSV, one row per customer" },
  concurrency: { type: "int", arg: "N", help: "customers in flight (default: the config's, else 4)" },
  "max-duration": { type: "number", arg: "SECONDS", help: "start no customer after this; the rest is left for resume (exit 3)" },
  progress: { type: "string", arg: "auto|bar|json|none", group: "output", help: "progress on stderr (auto: a bar on a terminal, else none)" },
  quiet: { type: "bool", group: "output", help: "no table, only the summary line" },
  ...JSON_OPTION,
  ...COMMON_OPTIONS,
};

export function progressMode(opts) {
  return oneOf("progress", opts.progress, ["auto", "bar", "json", "none"]) ?? "auto";
}

/** --max-duration S: no customer starts after now + S; the rest comes back as a continuation. */
export function deadline(opts) {
  return opts.maxDuration === undefined ? undefined : Date.now() + Math.round(opts.maxDuration * 1000);
}
