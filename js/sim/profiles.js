// Simulator settings: every behaviour switch, its validation, and the two presets ("default", "strict").
//
// The default profile is the simulator's friendly reading of Atlassian (what it always did). The strict
// profile is a stricter reading that is still consistent with the public facts (atlassian-api.md §3.2,
// §4, §13, §14): capped AQL pages that echo the requested size, string `isLast`, no `total`, hidden
// emails, asynchronous bulk migration, `objectTypeId` required on object updates, no single-migrate
// route, a capped directory page, slow propagation of new accounts. Hostile modes (echoCredentials) and
// switches that model a tenant rather than a reading (migrateAsGuest, callerSiteAdmin, latencyMs) are
// the same in both presets.

const nonNegative = (v) => typeof v === "number" && Number.isFinite(v) && v >= 0;
const positiveInt = (v) => Number.isInteger(v) && v >= 1;
const bool = (v) => typeof v === "boolean";
const oneOf = (...values) => Object.assign((v) => values.includes(v), { values });

/** name → {check, describe, default, strict} */
export const SETTINGS = {
  latencyMs: { check: nonNegative, describe: "a number >= 0", default: 0, strict: 0 },
  propagationDelayMs: { check: nonNegative, describe: "a number >= 0", default: 0, strict: 1500 },
  migrateAsGuest: { check: bool, describe: "a boolean", default: false, strict: false },
  aqlPageCap: { check: positiveInt, describe: "an integer >= 1", default: 100, strict: 50 },
  aqlEchoRequestedMax: { check: bool, describe: "a boolean", default: false, strict: true },
  aqlIsLastString: { check: bool, describe: "a boolean", default: false, strict: true },
  aqlTotal: { check: oneOf("present", "absent"), default: "present", strict: "absent" },
  hideEmails: { check: bool, describe: "a boolean", default: false, strict: true },
  bulkMigrateDelayMs: { check: nonNegative, describe: "a number >= 0", default: 0, strict: 1000 },
  objectTypeIdRequired: { check: bool, describe: "a boolean", default: false, strict: true },
  singleMigrateRoute: { check: oneOf("present", "gone"), default: "present", strict: "gone" },
  directoryPaging: { check: oneOf("offset", "ignored", "page-number"), default: "offset", strict: "offset" },
  directoryPageCap: {
    check: (v) => v === null || positiveInt(v), describe: "null or an integer >= 1", default: null, strict: 25,
  },
  userBulkPageCap: { check: positiveInt, describe: "an integer >= 1", default: 200, strict: 10 },
  callerSiteAdmin: { check: bool, describe: "a boolean", default: true, strict: true },
  echoCredentials: { check: bool, describe: "a boolean", default: false, strict: false },
};

export const SETTING_NAMES = Object.keys(SETTINGS);
export const PROFILES = ["default", "strict"];

const describe = (spec) => spec.describe ?? `one of ${spec.check.values.map((v) => JSON.stringify(v)).join(", ")}`;

/** Every setting at its value in `profile`. Throws Error on an unknown profile. */
export function preset(profile) {
  if (!PROFILES.includes(profile)) {
    throw new Error(`unknown profile ${JSON.stringify(profile)}; valid profiles: ${PROFILES.join(", ")}`);
  }
  return Object.fromEntries(SETTING_NAMES.map((n) => [n, SETTINGS[n][profile]]));
}

/**
 * Validate settings given by a caller. `allowed` names extra keys that are not settings (e.g. `seed` on
 * reset) and are skipped. Unknown names and bad values throw Error naming the valid ones; undefined
 * values are dropped.
 */
export function validateSettings(body, allowed = []) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("body must be a JSON object");
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (allowed.includes(k) || v === undefined) continue;
    const spec = SETTINGS[k];
    if (!spec) {
      const extra = allowed.length ? ` (and ${allowed.join(", ")})` : "";
      throw new Error(`unknown setting ${JSON.stringify(k)}; valid settings: ${SETTING_NAMES.join(", ")}${extra}`);
    }
    if (!spec.check(v)) throw new Error(`${k} must be ${describe(spec)}`);
    out[k] = v;
  }
  return out;
}

/** Names whose value differs from the profile's preset. */
export function overridesOf(profile, settings) {
  const p = preset(profile);
  return SETTING_NAMES.filter((n) => settings[n] !== p[n]);
}
