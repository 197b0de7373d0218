// A small argv parser: `--name value`, `--name=value`, repeatable options, boolean flags.
// Anything unknown is a UsageError (exit 2), never silently ignored.
import { UsageError } from "./errors.js";
import { closest } from "./suggest.js";

/**
 * spec: { name: type | { type, arg, help, group } }, names without the leading dashes; type is
 * "string" | "list" | "int" | "number" | "bool". The object form is what commands export (their help
 * is generated from it, see usage.js); `command` names the command in the error hints.
 * Returns { [camelName]: value, _: positional[] }.
 */
export function parseArgs(argv, spec, { positional = 0, command } = {}) {
  const out = { _: [] };
  const see = `see portal-migrate ${command ? `${command} ` : ""}--help`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--") || arg === "--") {
      if (out._.length >= positional) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}${command ? ` (${see})` : ""}`);
      out._.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const type = Object.hasOwn(spec, name) ? typeOf(spec[name]) : undefined;
    if (!type) {
      const near = closest(name, Object.keys(spec));
      throw new UsageError(`unknown option --${name}${near ? `; did you mean --${near}?` : ""} (${see})`);
    }
    const key = camel(name);
    if (type === "bool") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[key] = true;
      continue;
    }
    let value;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) value = argv[++i];
    else throw new UsageError(`--${name} needs a value`);
    if (type === "int" || type === "number") {
      const re = type === "int" ? /^\d+$/ : /^\d+(\.\d+)?$/;
      if (!re.test(value)) throw new UsageError(`--${name} must be a ${type === "int" ? "whole " : ""}number >= 0, not ${JSON.stringify(value)}`);
      value = Number(value);
    }
    if (type === "list") (out[key] ??= []).push(value);
    else if (out[key] !== undefined) throw new UsageError(`--${name} given twice`);
    else out[key] = value;
  }
  return out;
}

function typeOf(entry) {
  return typeof entry === "string" ? entry : entry?.type;
}

export function camel(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

export function oneOf(name, value, allowed) {
  if (value !== undefined && !allowed.includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
  }
  return value;
}
