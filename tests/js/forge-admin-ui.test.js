// The Custom UI pages in headless Chromium: the real page files (js/forge/ui/<page>/) served from
// loopback, with @forge/bridge replaced at the module edge (./bridge.js) by a stub whose invoke()
// posts to /invoke, where the real resolver runs in Node on the fake platform against the
// simulator. The queue is delivered to the real consumer after each invoke (as Forge would, later).
// Screenshots go to $PORTAL_MIGRATE_SCREENSHOTS (default: the OS temp dir).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "../../js/core/forge.js";
import { startSimulator } from "../../js/sim/index.js";
import { createResolver } from "../../js/forge/resolver.js";
import { createHandlers } from "../../js/forge/handlers.js";
import { CONFIG_KEY } from "../../js/forge/settings.js";
import { fakePlatform, forgeContext, adminAccountId, invoker } from "./helpers/forge.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const UI = path.join(ROOT, "js/forge/ui");
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const SKIP = CHROMIUM ? false : "chromium not found (/usr/bin/chromium): run scripts/setup.sh, which installs Debian's chromium";
const SHOTS = process.env.PORTAL_MIGRATE_SCREENSHOTS ?? os.tmpdir();

// The module the pages import as ./bridge.js, in place of @forge/bridge.
const BRIDGE_STUB = `
export async function invoke(functionKey, payload) {
  const res = await fetch("/invoke", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ functionKey, payload: payload ?? {} }) });
  if (!res.ok) throw new Error("invoke failed: HTTP " + res.status);
  return res.json();
}
const handlers = {};
export const events = {
  on(name, fn) { (handlers[name] ??= []).push(fn); return Promise.resolve({ unsubscribe() {} }); },
};
globalThis.__emit = (name, data) => (handlers[name] ?? []).forEach((fn) => fn(data));
export const view = {
  getContext: async () => (await fetch("/context")).json(),
  submit: async (value) => { await fetch("/submit", { method: "POST", body: JSON.stringify(value ?? null) }); },
};
`;

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };

/** Serves one page directory; ./bridge.js is the stub; /invoke runs the resolver. */
function servePage(page, { onInvoke, context, submits }) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const body = await new Promise((resolve) => {
      let text = "";
      req.on("data", (c) => { text += c; });
      req.on("end", () => resolve(text));
    });
    const send = (status, type, text) => {
      // Custom UI's CSP refuses inline scripts: the page must work under the same rule.
      res.writeHead(status, { "content-type": type, "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'", "cache-control": "no-store" });
      res.end(text);
    };
    try {
      if (url.pathname === "/invoke") return send(200, "application/json", JSON.stringify(await onInvoke(JSON.parse(body))));
      if (url.pathname === "/context") return send(200, "application/json", JSON.stringify(context()));
      if (url.pathname === "/submit") {
        submits.push(JSON.parse(body));
        return send(204, "text/plain", "");
      }
      if (url.pathname === "/bridge.js") return send(200, TYPES[".js"], BRIDGE_STUB);
      if (url.pathname === "/favicon.ico") return send(204, "image/x-icon", ""); // the browser's own request
      const file = url.pathname === "/" ? "index.html" : path.normalize(url.pathname).replace(/^\/+/, "");
      const full = path.join(UI, page, file);
      if (!full.startsWith(path.join(UI, page) + path.sep) || !existsSync(full)) return send(404, "text/plain", "not found");
      return send(200, TYPES[path.extname(full)] ?? "application/octet-stream", readFileSync(full));
    } catch (err) {
      send(500, "text/plain", String(err?.stack ?? err));
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

async function launch() {
  const { chromium } = await import("playwright-core");
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "portal-migrate-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { context, close: async () => { await context.close(); rmSync(userDataDir, { recursive: true, force: true }); } };
}

describe("the admin page in Chromium", { skip: SKIP }, () => {
  let sim, site, browser, page, platform;
  const errors = [];
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `portal-migrate-admin-${name}.png`), fullPage: true });

  before(async () => {
    sim = await startSimulator({ seed: 11 });
    platform = fakePlatform(sim, { env: { PORTAL_MIGRATE_CONFIG: "", ATLASSIAN_EMAIL: "", ATLASSIAN_API_TOKEN: "", PORTAL_MIGRATE_TRIGGER_STATUS: "" } });
    const cloudId = sim.state().cloudId;
    const context = { ...forgeContext(sim), accountId: adminAccountId(sim), cloudId, siteUrl: sim.url };
    const call = invoker(createResolver({ platform, core }), context);
    const consumer = createHandlers({ platform, core, log: () => {} });
    site = await servePage("admin", {
      context: () => ({ cloudId, siteUrl: sim.url, moduleKey: "portal-migrate-admin", extension: { type: "jira:adminPage" } }),
      submits: [],
      onInvoke: async ({ functionKey, payload }) => {
        const answer = await call(functionKey, payload);
        while (platform.pushes.length) await consumer.queueConsumer({ body: platform.pushes.shift().body }, forgeContext(sim));
        return answer;
      },
    });
    browser = await launch();
    page = await browser.context.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(site.url);
    await page.waitForSelector("body[data-ready=true]");
  });

  after(async () => {
    await browser?.close();
    site?.server.close();
    await sim?.close();
  });

  test("a config with a typo shows the error next to its field; fixed, it saves", async () => {
    const c = sim.config();
    assert.equal(await page.inputValue("[name=siteUrl]"), sim.url, "the site URL comes from the page's context");
    await page.fill("[name=adminUrl]", c.adminUrl);
    await page.fill("[name='assets.customerQuery']", c.assets.customerQuery.replace("{company}", "{compnay}"));
    await page.fill("[name='assets.portalAccountAttribute']", c.assets.portalAccountAttribute);
    await page.fill("[name='assets.emailAttribute']", c.assets.emailAttribute);
    await page.fill("[name='assets.companyAttribute']", c.assets.companyAttribute);
    await page.fill("[name='assets.companyQuery']", c.assets.companyQuery);
    await page.fill("[name='assets.spaceKeyAttribute']", c.assets.spaceKeyAttribute);
    await page.fill("[name=groups]", c.groups.join(", "));
    await page.check("[name='confluence.enabled']");
    await page.fill("[name=companies]", c.companies.join(", "));
    await page.fill("[name=extra]", JSON.stringify({ apiUrl: c.apiUrl }));
    await page.click("#save-config");
    const error = page.locator("[data-error-for='$.assets.customerQuery']");
    await error.waitFor({ state: "visible" });
    assert.match(await error.textContent(), /must contain the \{company\} placeholder/);
    assert.equal(await page.locator("[name='assets.customerQuery']").getAttribute("class"), "invalid");
    assert.equal(await page.locator(".error:visible").count(), 1, "only that field shows an error");
    assert.equal(platform.store.has(CONFIG_KEY), false, "nothing saved");
    await shot("1-config-error");

    await page.fill("[name='assets.customerQuery']", c.assets.customerQuery);
    await page.click("#save-config");
    await page.waitForSelector("#config-status.good");
    assert.equal(await page.locator(".error:visible").count(), 0);
    const stored = platform.store.get(CONFIG_KEY);
    assert.deepEqual(stored, { ...c, migrate: { mode: "single" }, comment: { enabled: true, internal: true } });
  });

  test("secrets are saved and only shown as set / not set", async () => {
    await page.click("[data-tab=secrets]");
    assert.equal(await page.textContent("[data-secret=apiToken]"), "not set");
    await page.fill("[name=email]", sim.credentials.email);
    await page.fill("[name=apiToken]", sim.credentials.apiToken);
    await page.click("#save-secrets");
    await page.waitForSelector("#secrets-status.good");
    assert.equal(await page.textContent("[data-secret=email]"), "set ✓");
    assert.equal(await page.textContent("[data-secret=apiToken]"), "set ✓");
    assert.equal(await page.inputValue("[name=apiToken]"), "", "the token does not stay in the page");
    assert.doesNotMatch(await page.content(), new RegExp(sim.credentials.apiToken));
    await shot("2-secrets");
  });

  test("doctor: every check passes against the simulator", async () => {
    await page.click("[data-tab=doctor]");
    await page.fill("#doctor-form [name=company]", "ACME");
    await page.click("#run-doctor");
    await page.waitForSelector("#doctor-status.good, #doctor-status.bad");
    const failed = await page.locator("#doctor-checks li.fail").allTextContents();
    assert.deepEqual(failed, []);
    assert.ok((await page.locator("#doctor-checks li.ok").count()) >= 10);
    assert.equal(await page.textContent("#doctor-status"), "All checks passed ✔");
    await shot("3-doctor");
  });

  test("a dry run of ACME shows the plan per customer and step", async () => {
    await page.click("[data-tab=dryrun]");
    await page.fill("#dryrun-form [name=company]", "ACME");
    await page.click("#run-dryrun");
    await page.waitForSelector("#plan:not([hidden])");
    const rows = page.locator("#plan tbody tr");
    assert.equal(await rows.count(), 30);
    const first = await rows.first().locator("td").allTextContents();
    assert.equal(first.length, 7);
    assert.match(await page.textContent("#dryrun-status"), /30 customer\(s\): 29 to migrate, 0 already migrated, 1 skipped/);
    assert.equal(await page.locator("#plan tbody tr td:nth-child(4).planned").count(), 29, "29 migrations planned");
    assert.equal(sim.state().migrations.length, 0);
    await shot("4-dry-run");
  });

  test("a started job is listed and its CSV downloads", async () => {
    await page.click("[data-tab=jobs]");
    await page.fill("#start-form [name=companies]", "GLOBEX");
    await page.click("#start-job");
    await page.waitForSelector("#start-status.good");
    assert.match(await page.textContent("#start-status"), /^job-[0-9a-f]{16}: queued/);
    await page.click("#refresh-jobs");
    const row = page.locator("#jobs tbody tr").first();
    await row.locator("td", { hasText: "done" }).waitFor();
    const cells = await row.locator("td").allTextContents();
    assert.match(cells[0], /^job-[0-9a-f]{16}$/);
    assert.deepEqual(cells.slice(1, 7), ["done", "company:GLOBEX", "5", "5", "0", "0"]);
    assert.match(cells[7], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await shot("5-jobs");
    const [download] = await Promise.all([page.waitForEvent("download"), row.locator("button.csv").click()]);
    assert.equal(download.suggestedFilename(), `${cells[0]}.csv`);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
    assert.equal(csv[0], "portal_account_id,account_id,email,company,asset_object_id,status,failed_step,error,migrate,write_back,groups,space,space_key,retryable,next,notes");
    assert.equal(csv.length, 6);
    const migrated = new Map(sim.state().migrations.map((m) => [m.qmId, m]));
    for (const line of csv.slice(1)) {
      const [qm, accountId, email, company, , status] = line.split(",");
      assert.equal(company, "GLOBEX");
      assert.equal(status, "migrated");
      assert.ok(migrated.has(qm), `${qm} was migrated`);
      assert.match(accountId, /^712020:/);
      assert.match(email, /@/);
    }
  });

  test("no script error on the page", () => {
    assert.deepEqual(errors, []);
  });
});

describe("the Automation action's config form in Chromium", { skip: SKIP }, () => {
  let site, browser, page;
  const submits = [];
  let inputs = null;

  before(async () => {
    site = await servePage("action", {
      context: () => ({ extension: { type: "action", data: { inputs }, errors: { invalidInputs: inputs ? {} : { issueKey: { message: "issueKey is required" } } } } }),
      submits,
      onInvoke: async () => ({ ok: false }),
    });
    browser = await launch();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    site?.server.close();
  });

  test("a new action starts with {{issue.key}}; edits and the Next button submit the inputs", async () => {
    await page.goto(site.url);
    await page.waitForSelector("body[data-ready=true]");
    assert.equal(await page.inputValue("[name=issueKey]"), "{{issue.key}}");
    assert.equal(await page.textContent("[data-error-for=issueKey]"), "issueKey is required", "Automation's invalidInputs are shown");
    await page.fill("[name=companies]", "ACME, GLOBEX");
    await page.locator("[name=companies]").dispatchEvent("change");
    assert.equal(await page.isVisible("[data-error-for=issueKey]"), true, "editing another field keeps issueKey's error");
    await page.check("[name=dryRun]");
    await page.evaluate(() => globalThis.__emit("AUTOMATION_ACTION_SUBMIT"));
    await page.waitForFunction(() => true);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(submits[0], { issueKey: "{{issue.key}}", companies: "", customers: "", dryRun: false });
    assert.deepEqual(submits.at(-1), { issueKey: "{{issue.key}}", companies: "ACME, GLOBEX", customers: "", dryRun: true });
    await page.screenshot({ path: path.join(SHOTS, "portal-migrate-action-config.png"), fullPage: true });
  });

  test("a saved action loads its inputs", async () => {
    inputs = { issueKey: "{{triggerIssue.key}}", companies: "", customers: "a@x.example", dryRun: false };
    submits.length = 0;
    await page.goto(site.url);
    await page.waitForSelector("body[data-ready=true]");
    assert.equal(await page.inputValue("[name=issueKey]"), "{{triggerIssue.key}}");
    assert.equal(await page.inputValue("[name=customers]"), "a@x.example");
    assert.equal(submits.length, 0, "a saved form is not re-submitted on load");
  });
});
