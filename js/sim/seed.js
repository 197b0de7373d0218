// Tenant generators: the "demo" scenario and generated ones ({companies, customersPerCompany} or
// {companies, customers}). Every id comes from the tenant's one seeded Rng, so a seed fixes them all.
import { Tenant, SITE_ADMINS } from "./tenant.js";

export { Rng, SEED_TIME } from "./rng.js";
import { Rng, SEED_TIME } from "./rng.js";

const FIRST = ["Ada", "Alan", "Amara", "Ben", "Carla", "Chen", "Dana", "Diego", "Elena", "Emeka", "Farah", "Felix",
  "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jade", "Jonas", "Kai", "Lara", "Leo", "Maya", "Milan", "Nadia", "Noah",
  "Olga", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Sofia", "Tariq", "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe"];
const LAST = ["Abbott", "Baker", "Chandra", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
  "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quintero", "Rossi", "Schmidt", "Tanaka",
  "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Novak", "Silva", "Murphy", "Kim"];

export const DEMO_COMPANIES = [
  { key: "ACME", name: "Acme Corporation", domain: "acme.example", space: "ACME", customers: 30 },
  { key: "GLOBEX", name: "Globex", domain: "globex.example", space: "GLX", customers: 5 },
  { key: "INITECH", name: "Initech", domain: "initech.example", space: "INI", customers: 4 },
];

/** Demo quirks, by company key and customer index. */
const DEMO_OTHER_DOMAIN = { ACME: { 7: "contractor.example" }, GLOBEX: { 2: "gmail.example" } };
const DEMO_NO_PORTAL_ACCOUNT = { ACME: 12 };

export const TARGET_GROUP = "portal-migrated";
/** A second admin group of the caller (for myself?expand=groups). Its id comes from its own generator,
 *  so adding it left every other seeded id unchanged. */
export const JIRA_ADMINS = "jira-admins";

/** "demo" or a generated scenario, validated; throws Error with a readable message. */
export function normaliseScenario(scenario) {
  if (scenario === undefined || scenario === null || scenario === "demo") return "demo";
  if (typeof scenario !== "object") throw new Error(`unknown scenario ${JSON.stringify(scenario)}`);
  const companies = scenario.companies ?? 3;
  if (!Number.isInteger(companies) || companies < 1) throw new Error("scenario.companies must be an integer >= 1");
  let per = scenario.customersPerCompany;
  if (per === undefined) {
    const total = scenario.customers ?? 10 * companies;
    if (!Number.isInteger(total) || total < 0) throw new Error("scenario.customers must be an integer >= 0");
    return { companies, customers: total };
  }
  if (!Number.isInteger(per) || per < 0) throw new Error("scenario.customersPerCompany must be an integer >= 0");
  return { companies, customersPerCompany: per };
}

function companiesFor(scenario) {
  if (scenario === "demo") return DEMO_COMPANIES;
  const n = scenario.companies;
  const out = [];
  for (let i = 0; i < n; i++) {
    let count = scenario.customersPerCompany;
    if (count === undefined) count = Math.floor(scenario.customers / n) + (i < scenario.customers % n ? 1 : 0);
    out.push({ key: `CO${i + 1}`, name: `Company ${i + 1}`, domain: `co${i + 1}.example`, space: `SP${i + 1}`, customers: count });
  }
  return out;
}

/** Build a fully seeded tenant. */
export function createTenant({ seed = 1, scenario = "demo", email, apiToken, profile = "default", settings = {} }) {
  scenario = normaliseScenario(scenario);
  const t = new Tenant({ seed, scenario, email, apiToken, profile, settings });
  const rng = t.rng;
  const demo = scenario === "demo";

  t.admin = t.users.add({ accountId: rng.aaid(), accountType: "atlassian", emailAddress: email, displayName: "Site Admin" });
  const admins = t.groups.add(SITE_ADMINS);
  t.groups.add(TARGET_GROUP);
  t.groups.add("confluence-guests");
  if (t.settings.callerSiteAdmin) admins.members.add(t.admin.accountId);
  t.assets.seedSchema();

  const companies = companiesFor(scenario);
  const used = new Map();
  const reporters = [];
  for (const c of companies) {
    t.companies.push(c.key);
    t.assets.addObject("1", { Name: c.name, Key: c.key, "Confluence Space": c.space }, SEED_TIME);
    t.confluence.addSpace({ key: c.space, name: c.name }, t.admin.accountId);
    const org = t.organizations.add(c.name);
    for (let i = 0; i < c.customers; i++) {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const domain = (demo && DEMO_OTHER_DOMAIN[c.key]?.[i]) || c.domain;
      const local = `${first}.${last}`.toLowerCase();
      const n = (used.get(`${local}@${domain}`) ?? 0) + 1;
      used.set(`${local}@${domain}`, n);
      const emailAddress = `${local}${n > 1 ? n : ""}@${domain}`;
      const displayName = `${first} ${last}`;
      const linked = !(demo && DEMO_NO_PORTAL_ACCOUNT[c.key] === i);
      let qm = null;
      if (linked) {
        qm = t.users.add({ accountId: rng.qmId(), accountType: "customer", emailAddress, displayName }).accountId;
        t.organizations.addMember(org, qm);
        if (i === 0 || reporters.length < 3 && i === 1 && companies.length === 1) reporters.push(qm);
      }
      t.assets.addObject("4", {
        Name: displayName, Email: emailAddress, Company: c.key, "Portal Account": qm, Xboarding: "false",
      }, SEED_TIME);
    }
  }
  if (demo) {
    t.users.add({ accountId: rng.qmId(), accountType: "customer", emailAddress: "former.customer@acme.example",
      displayName: "Former Customer", active: false });
  }
  const summaries = ["Cannot log in to the portal", "Please give our team access to the knowledge base", "Invoice question"];
  for (let i = 0; i < 3; i++) {
    t.comments.addIssue({ key: `SUP-${i + 1}`, summary: summaries[i], reporter: reporters[i] ?? t.admin.accountId });
  }
  const jiraAdmins = t.groups.add(JIRA_ADMINS, new Rng(((Number(seed) >>> 0) ^ 0x5bd1e995) >>> 0).uuid());
  jiraAdmins.members.add(t.admin.accountId);
  return t;
}
