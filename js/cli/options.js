// Options shared by run and resume: output, progress, limits.
import { oneOf } from "./args.js";

export const OUTPUT_OPTIONS = {
  report: "string",
  "report-csv": "string",
  progress: "string",
  quiet: "bool",
  "max-duration": "number",
  concurrency: "int",
  journal: "string",
  config: "string",
};

export function progressMode(opts) {
  return oneOf("progress", opts.progress, ["auto", "bar", "json", "none"]) ?? "auto";
}

/** --max-duration S: no customer starts after now + S; the rest comes back as a continuation. */
export function deadline(opts) {
  return opts.maxDuration === undefined ? undefined : Date.now() + Math.round(opts.maxDuration * 1000);
}
