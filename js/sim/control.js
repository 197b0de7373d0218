// The /__sim/ control plane (no auth): reset, state, config, faults, ratelimit, settings, users.
// Settings (names, values and the "default" / "strict" presets) are defined in profiles.js.
import { validateSettings, overridesOf } from "./profiles.js";

function parse(text) {
  if (!text) return {};
  return JSON.parse(text);
}

/** `{profile?, settings}` from a body that may also hold the `extra` keys (validated: 400 on unknown). */
function settingsOf(body, extra = []) {
  const settings = validateSettings(body, ["profile", ...extra]);
  return { profile: body.profile, settings };
}

const settingsAnswer = (sim) => ({
  profile: sim.tenant.profile, settings: { ...sim.tenant.settings }, overrides: overridesOf(sim.tenant.profile, sim.tenant.settings),
});

function findUser(t, { accountId, email }) {
  if (accountId) return t.users.get(accountId);
  if (email) return t.users.atlassianWithEmail(email) ?? t.users.withEmail(email)[0] ?? null;
  return null;
}

const HANDLERS = {
  "POST /__sim/reset": (sim, body) => {
    const { profile, settings } = settingsOf(body, ["seed", "scenario"]);
    sim.reset({ seed: body.seed, scenario: body.scenario, profile, settings });
    return [200, {
      ok: true, seed: sim.tenant.seed, cloudId: sim.tenant.cloudId, workspaceId: sim.tenant.assets.workspaceId,
      ...settingsAnswer(sim),
    }];
  },
  "GET /__sim/state": (sim) => [200, sim.state()],
  "GET /__sim/config": (sim) => [200, sim.config()],
  "GET /__sim/faults": (sim) => [200, { rules: sim.faults.describe(), faultsInjected: sim.faults.injected }],
  "POST /__sim/faults": (sim, body) => {
    sim.faults.set(body, sim.tenant.seed);
    return [200, { ok: true, rules: sim.faults.describe() }];
  },
  "DELETE /__sim/faults": (sim) => {
    sim.faults.clear();
    return [200, { ok: true }];
  },
  "POST /__sim/ratelimit": (sim, body) => {
    sim.ratelimit.configure(body, Date.now());
    return [200, { ok: true, ratelimit: sim.ratelimit.describe() }];
  },
  "DELETE /__sim/ratelimit": (sim) => {
    sim.ratelimit.configure(null, Date.now());
    return [200, { ok: true }];
  },
  "GET /__sim/settings": (sim) => [200, settingsAnswer(sim)],
  "POST /__sim/settings": (sim, body) => {
    sim.applySettings(settingsOf(body));
    return [200, { ok: true, ...settingsAnswer(sim) }];
  },
  "POST /__sim/users/guest": (sim, body) => {
    const t = sim.tenant;
    const u = findUser(t, body);
    if (!u) return [404, { error: "user not found; give accountId or email" }];
    if (body.space !== undefined && body.space !== null && !t.confluence.spaces.has(body.space)) {
      return [404, { error: `no space ${body.space}` }];
    }
    t.users.markGuest(u, body.space ?? null);
    return [200, { ok: true, accountId: u.accountId, space: u.guestSpace }];
  },
  "POST /__sim/users": (sim, body) => {
    const t = sim.tenant;
    const type = body.accountType ?? "atlassian";
    if (!body.email || typeof body.email !== "string") throw new Error("email is required");
    if (!["atlassian", "customer", "app"].includes(type)) throw new Error("accountType must be atlassian, customer or app");
    const u = t.users.add({
      accountId: body.accountId ?? (type === "customer" ? t.rng.qmId() : t.rng.aaid()), accountType: type,
      emailAddress: body.email, displayName: body.displayName ?? body.email, active: body.active ?? true,
    });
    return [201, { ok: true, accountId: u.accountId }];
  },
};

/** Returns [status, body]. */
export function control(sim, method, url, text) {
  const h = HANDLERS[`${method} ${url.pathname.replace(/\/+$/, "")}`];
  if (!h) return [404, { error: `no control route ${method} ${url.pathname}` }];
  let body;
  try { body = parse(text); } catch (e) { return [400, { error: `invalid JSON: ${e.message}` }]; }
  try {
    return h(sim, body);
  } catch (e) {
    return [400, { error: e.message }];
  }
}
