// One simulator instance: the tenant plus faults, rate limits and call counts. `reset` rebuilds all.
import { createTenant, TARGET_GROUP } from "./seed.js";
import { Faults } from "./faults.js";
import { RateLimits } from "./ratelimit.js";
import { dump, summary } from "./state.js";

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
      companyQuery: 'objectType = "Company" AND Key = {company}',
      spaceKeyAttribute: "Confluence Space",
    },
    groups: group ? [group.groupId] : [],
    confluence: { permissions: [] },
    companies: [...state.companies],
  };
}

export class Simulator {
  constructor({ seed = 1, scenario = "demo", email, apiToken, settings = {}, quiet = true }) {
    this.defaults = { seed, scenario, email, apiToken, settings };
    this.quiet = quiet;
    this.baseUrl = "http://127.0.0.1";
    this.reset();
  }

  /** Rebuild everything: tenant, faults, rate limits, counters. Unset options fall back to the start options. */
  reset({ seed, scenario, settings = {} } = {}) {
    const d = this.defaults;
    settings = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    const tenant = createTenant({
      seed: seed ?? d.seed, scenario: scenario ?? d.scenario, email: d.email, apiToken: d.apiToken,
      settings: { ...d.settings, ...settings },
    });
    tenant.baseUrl = this.baseUrl;
    this.tenant = tenant;
    this.faults = new Faults();
    this.ratelimit = new RateLimits();
    this.calls = { bySurface: {}, byRoute: {} };
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
    return dump(this);
  }

  config() {
    return demoConfig(this.baseUrl, summary(this));
  }
}
