// The Automation action: inputs as Automation passes them (smart values already rendered, at the
// top level of the payload), the rule's actor from context.principal, and the check that only a
// site admin or a member of an allowed group makes the app act.
import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as core from "../../js/core/forge.js";
import { startSimulator } from "../../js/sim/index.js";
import { createHandlers } from "../../js/forge/handlers.js";
import { ALLOWED_GROUPS_KEY } from "../../js/forge/settings.js";
import { fakePlatform, forgeContext, adminAccountId } from "./helpers/forge.js";
import { assertPipelineDone } from "./helpers/pipeline.js";

let sim;
before(async () => {
  sim = await startSimulator({ seed: 11 });
});
after(async () => {
  await sim?.close();
});
beforeEach(() => sim.reset());

async function control(path, body) {
  const res = await fetch(`${sim.url}/__sim/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.status < 300, text);
  return JSON.parse(text);
}

/** A licensed Atlassian account that is not a site admin (a rule author). */
async function ruleAuthor() {
  const out = await control("users", { email: "rule.author@acme.example", displayName: "Rule Author", accountType: "atlassian" });
  return out.accountId ?? out.user?.accountId ?? sim.state().users.find((u) => u.emailAddress === "rule.author@acme.example").accountId;
}

/** What a rule's actions changed: everything a migration touches. */
function footprint() {
  const s = sim.state();
  return JSON.stringify({ migrations: s.migrations, pending: s.pendingMigrations, comments: s.comments, objects: s.assets.objects, groups: s.groups, spaces: s.spaces, users: s.users });
}

const quiet = () => {};

describe("automationAction: who may run it", () => {
  test("a site admin's rule migrates the issue's reporter (issueKey rendered from {{issue.key}})", async () => {
    const platform = fakePlatform(sim);
    const h = createHandlers({ platform, core, log: quiet });
    const reporter = sim.state().issues.find((i) => i.key === "SUP-2").reporter;
    const object = sim.state().assets.objects.find((o) => o.attributes["Portal Account"] === reporter);
    // Automation renders the form's "{{issue.key}}" before invoking the function.
    const out = await h.automationAction({ issueKey: "SUP-2", companies: "", customers: "", dryRun: false }, forgeContext(sim, { accountId: adminAccountId(sim) }));
    assert.equal(out.status, "done", JSON.stringify(out));
    assert.ok(sim.state().migrations.some((m) => m.qmId === reporter));
    // Written back, grouped, granted its company's space (GLOBEX: GLX), one comment.
    assertPipelineDone(sim.state(), object, { space: "GLX" });
    assert.equal(sim.state().comments["SUP-2"].length, 1);
  });

  test("a rule author who is not a site admin is refused: the rule stops and nothing changes", async () => {
    const author = await ruleAuthor();
    const platform = fakePlatform(sim);
    const h = createHandlers({ platform, core, log: quiet });
    const before = footprint();
    const callsBefore = sim.state().calls.byRoute;
    const out = await h.automationAction({ companies: "ACME,GLOBEX", dryRun: false }, forgeContext(sim, { accountId: author }));
    assert.equal(out.errors?.length, 1, JSON.stringify(out));
    assert.match(out.errors[0].message, /^FORBIDDEN: the rule's actor is not a site admin nor in a group allowed/);
    assert.equal(footprint(), before, "the simulator's state is unchanged");
    // The only request was the app's read of the actor's groups; nothing went over egress.
    assert.deepEqual(platform.requests.map((r) => `${r.kind} ${r.method} ${r.path ?? r.url}`), [
      `product GET /rest/api/3/user?accountId=${encodeURIComponent(author)}&expand=groups`,
    ]);
    const callsAfter = sim.state().calls.byRoute;
    const delta = Object.fromEntries(Object.entries(callsAfter).filter(([k, v]) => v !== (callsBefore[k] ?? 0)).map(([k, v]) => [k, v - (callsBefore[k] ?? 0)]));
    assert.deepEqual(delta, { "GET getUser": 1 });
    assert.equal(platform.pushes.length, 0, "nothing queued");
    assert.ok(![...platform.store.keys()].some((k) => k.startsWith("j:")), "no job record written");
  });

  test("no invoking user at all: refused before any request", async () => {
    const platform = fakePlatform(sim);
    const h = createHandlers({ platform, core, log: quiet });
    for (const context of [undefined, forgeContext(sim), { principal: { accountId: "not an id!" } }]) {
      const out = await h.automationAction({ companies: "ACME" }, context);
      assert.match(out.errors[0].message, /^FORBIDDEN: .*without a user/);
    }
    assert.equal(platform.requests.length, 0);
    assert.equal(sim.state().migrations.length, 0);
  });

  test("a member of a group listed in actionAllowedGroups may run it (by name or group id)", async () => {
    const auth = "Basic " + Buffer.from(`${sim.credentials.email}:${sim.credentials.apiToken}`).toString("base64");
    for (const by of ["name", "groupId"]) {
      sim.reset();
      const author = await ruleAuthor();
      const group = sim.state().groups.find((g) => g.name === "confluence-guests");
      const add = await fetch(`${sim.url}/rest/api/3/group/user?groupId=${group.groupId}`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify({ accountId: author }) });
      assert.equal(add.status, 201);
      const email = sim.state().assets.objects.find((o) => o.attributes.Company === "INITECH" && o.attributes["Portal Account"]).attributes.Email;
      const platform = fakePlatform(sim, { kvsSeed: { [ALLOWED_GROUPS_KEY]: [group[by]] } });
      const h = createHandlers({ platform, core, log: quiet });
      const out = await h.automationAction({ customers: email, dryRun: "true" }, forgeContext(sim, { accountId: author }));
      assert.equal(out.status, "done", JSON.stringify(out));
      assert.match(out.summary, /planned=1/);
      assert.equal(sim.state().migrations.length, 0, "dry run");
    }
  });
});
