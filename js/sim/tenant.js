// One simulated Atlassian site: its settings and one store per surface. `reset` builds a new one.
import { Rng } from "./rng.js";
import { preset } from "./profiles.js";
import { UsersStore } from "./services/users/store.js";
import { CustomersStore } from "./services/customers/store.js";
import { AssetsStore } from "./services/assets/store.js";
import { GroupsStore } from "./services/groups/store.js";
import { ConfluenceStore } from "./services/confluence/store.js";
import { CommentsStore } from "./services/comments/store.js";
import { OrganizationsStore } from "./services/organizations/store.js";

export const SITE_ADMINS = "site-admins";

export class Tenant {
  /** `settings` are validated names from profiles.js; unset ones take the profile's preset. */
  constructor({ seed, scenario, email, apiToken, profile = "default", settings = {} }) {
    this.seed = seed;
    this.scenario = scenario;
    this.rng = new Rng(seed);
    this.credentials = { email, apiToken };
    this.profile = profile;
    this.settings = { ...preset(profile), ...settings };
    this.baseUrl = "http://127.0.0.1";
    this.cloudId = this.rng.uuid();
    this.companies = [];
    this.users = new UsersStore(this);
    this.customers = new CustomersStore(this);
    this.assets = new AssetsStore(this, this.rng.uuid());
    this.groups = new GroupsStore(this);
    this.confluence = new ConfluenceStore(this);
    this.comments = new CommentsStore(this);
    this.organizations = new OrganizationsStore(this);
    this.admin = null;
  }

  now() {
    return Date.now();
  }

  /** Replace every setting (same object, so holders of `settings` see the change) and keep the state
   *  that follows a setting in step: `callerSiteAdmin` is the caller's membership of site-admins. */
  setSettings(next, profile = this.profile) {
    const wasAdmin = this.settings.callerSiteAdmin;
    for (const k of Object.keys(this.settings)) delete this.settings[k];
    Object.assign(this.settings, next);
    this.profile = profile;
    if (this.settings.callerSiteAdmin !== wasAdmin) this.syncCallerSiteAdmin();
  }

  syncCallerSiteAdmin() {
    const g = this.groups.byName.get(SITE_ADMINS);
    if (!g || !this.admin) return;
    if (this.settings.callerSiteAdmin) g.members.add(this.admin.accountId);
    else g.members.delete(this.admin.accountId);
  }
}
