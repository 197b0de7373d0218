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
