// One simulated Atlassian site: its settings and one store per surface. `reset` builds a new one.
import { Rng } from "./rng.js";
import { UsersStore } from "./services/users/store.js";
import { CustomersStore } from "./services/customers/store.js";
import { AssetsStore } from "./services/assets/store.js";
import { GroupsStore } from "./services/groups/store.js";
import { ConfluenceStore } from "./services/confluence/store.js";
import { CommentsStore } from "./services/comments/store.js";

export class Tenant {
  constructor({ seed, scenario, email, apiToken, settings }) {
    this.seed = seed;
    this.scenario = scenario;
    this.rng = new Rng(seed);
    this.credentials = { email, apiToken };
    this.settings = { latencyMs: 0, propagationDelayMs: 0, migrateAsGuest: false, ...settings };
    this.baseUrl = "http://127.0.0.1";
    this.cloudId = this.rng.uuid();
    this.companies = [];
    this.users = new UsersStore(this);
    this.customers = new CustomersStore(this);
    this.assets = new AssetsStore(this, this.rng.uuid());
    this.groups = new GroupsStore(this);
    this.confluence = new ConfluenceStore(this);
    this.comments = new CommentsStore(this);
    this.admin = null;
  }

  now() {
    return Date.now();
  }
}
