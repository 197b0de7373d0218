// Errors the CLI raises itself. A UsageError is the user's to fix (bad argument, config, secret,
// file) and exits 2 with one line.

export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2, unfinished: 3, interrupted: 130 };

/** Core error codes that mean "fix your input" rather than "something went wrong". */
export const USAGE_CODES = new Set(["REQUEST", "CONFIG"]);

/**
 * Whether `e` is the user's to fix (exit 2): the CLI's own usage errors, the core's config and
 * request errors, and what the core calls credentials (src/advice.rs: a job-level 401 or 403).
 */
export function isUsage(e) {
  return e instanceof UsageError || USAGE_CODES.has(e?.code) || e?.kind === "credentials";
}

/**
 * The line for a core error the core gave advice on (src/advice.rs): its sentence and fix, then
 * Atlassian's own words. Credentials also name the doctor command that checks them.
 */
export function advisedLine(e, message, argv = []) {
  const doctor = e.kind === "credentials"
    ? `; \`portal-migrate doctor --config ${optionValue(argv, "config") ?? "FILE"}\` checks the credentials and permissions`
    : "";
  return `${e.advice}. Fix: ${e.fix}${doctor}. (${e.source ?? "detail"}: ${message})`;
}

/** The value of `--name V` or `--name=V` in `argv`, if given. */
function optionValue(argv, name) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}
