// One simulator instance: the tenant plus faults, rate limits and call counts. `reset` rebuilds all.
import { createTenant, TARGET_GROUP } from "./seed.js";
import { Faults } from "./faults.js";
import { RateLimits } from "./ratelimit.js";
import { dump, summary } from "./state.js";
import { preset, validateSettings } from "./profiles.js";

/** A ready portal-migrate config object for the seeded tenant (`state`: GET /__sim/state or its summary). */
export function demoConfig(url, state) {
  const group = state.groups.find((g) => g.name === TARGET_GROUP);
  return {
    siteUrl: url,
    adminUrl: url,
    apiUrl: url,
    assets: {
      customerQuery: 'objectType = "Customer" AND "Company" = {company}',
      portalAccountAttribute: "Portal Account",
      emailAttribute: "Email",
      companyAttribute: "Company",
      companyQuery: 'objectType = "Company" AND Key = {company}',
      spaceKeyAttribute: "Confluence Space",
    },
    groups: group ? [group.groupId] : [],
    confluence: { permissions: [] },
    companies: [...state.companies],
  };
}

export class Simulator {
  /** `profile` ("default" | "strict") and `settings` (names in profiles.js) are the start options. */
  constructor({ seed = 1, scenario = "demo", email, apiToken, profile = "default", settings = {}, quiet = true }) {
    preset(profile);
    this.defaults = { seed, scenario, email, apiToken, profile, settings: validateSettings(settings) };
    this.quiet = quiet;
    this.baseUrl = "http://127.0.0.1";
    this.reset();
  }

  /**
   * Rebuild everything: tenant, faults, rate limits, counters. Unset options fall back to the start
   * options. With a `profile`, settings start from that preset (the start settings are not applied);
   * without one, from the start profile plus the start settings. Given `settings` override either.
   */
  reset({ seed, scenario, profile, settings = {} } = {}) {
    const d = this.defaults;
    const given = validateSettings(settings);
    const base = profile === undefined ? { ...preset(d.profile), ...d.settings } : preset(profile);
    const tenant = createTenant({
      seed: seed ?? d.seed, scenario: scenario ?? d.scenario, email: d.email, apiToken: d.apiToken,
      profile: profile ?? d.profile, settings: { ...base, ...given },
    });
    tenant.baseUrl = this.baseUrl;
    this.tenant = tenant;
    this.faults = new Faults();
    this.ratelimit = new RateLimits();
    this.calls = { bySurface: {}, byRoute: {} };
  }

  /**
   * Change settings without a reset (POST /__sim/settings): with a `profile`, every setting goes to that
   * preset first; given `settings` override.
   */
  applySettings({ profile, settings = {} } = {}) {
    const given = validateSettings(settings);
    const t = this.tenant;
    const base = profile === undefined ? { ...t.settings } : preset(profile);
    t.setSettings({ ...base, ...given }, profile ?? t.profile);
  }

  /** Lazy completion of delayed work (asynchronous bulk migrations) whose time has come. */
  settle(now = Date.now()) {
    this.tenant.customers.settle(now);
  }

  setBaseUrl(url) {
    this.baseUrl = url;
    this.tenant.baseUrl = url;
  }

  count(surface, route) {
    this.calls.bySurface[surface] = (this.calls.bySurface[surface] ?? 0) + 1;
    this.calls.byRoute[route] = (this.calls.byRoute[route] ?? 0) + 1;
  }

  state() {
    this.settle();
    return dump(this);
  }

  config() {
    return demoConfig(this.baseUrl, summary(this));
  }
}
