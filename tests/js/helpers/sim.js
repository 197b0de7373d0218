// Shared by the end-to-end suites: the simulator's control plane and an in-memory host journal.
import { decideClaim, decideRelease } from "../../../js/cli/journal.js";

/** A control-plane call (no auth); throws on a non-2xx answer so a typo cannot pass silently. */
export async function ctl(sim, method, route, body) {
  const res = await fetch(`${sim.url}/__sim/${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${method} /__sim/${route} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** GET /__sim/state, over HTTP like any outside observer. */
export const simState = (sim) => ctl(sim, "GET", "state");

/**
 * An in-memory journal with the host interface ({get, put, list, claim, release}, HACKING.md "The
 * journal contract"); values are JSON text. Claims live in their own map, so `list` never shows them.
 */
export function memoryJournal() {
  const entries = new Map();
  const claims = new Map();
  return {
    entries,
    claims,
    claim: async (key, opts) => decideClaim(claims, key, opts),
    release: async (key, owner) => decideRelease(claims, key, owner),
    get: async (key) => entries.get(key) ?? null,
    put: async (key, value) => {
      if (typeof value !== "string") throw new Error(`journal value for ${key} is not a string`);
      entries.set(key, value);
    },
    list: async (prefix) => [...entries].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}
