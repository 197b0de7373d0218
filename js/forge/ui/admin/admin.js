// The admin page (jira:adminPage, Custom UI). Talks only to the resolver (js/forge/resolver.js)
// through @forge/bridge invoke; ./bridge.js is @forge/bridge bundled by js/forge/ui/build.js.
import { invoke, view } from "./bridge.js";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// ---- calls --------------------------------------------------------------------------------------

async function call(name, payload = {}) {
  try {
    const answer = await invoke(name, payload);
    if (answer && answer.ok === false) return answer;
    return answer ?? { ok: false, error: { code: "EMPTY", message: "no answer" } };
  } catch (err) {
    return { ok: false, error: { code: "INVOKE", message: String(err?.message ?? err) } };
  }
}

function say(id, text, kind = "") {
  const el = $(`#${id}`);
  el.textContent = text;
  el.className = `status ${kind}`;
}

function banner(text) {
  const el = $("#banner");
  el.textContent = text;
  el.hidden = !text;
}

async function busy(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}

// ---- tabs ---------------------------------------------------------------------------------------

function showTab(name) {
  for (const b of $$("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of $$(".tab")) s.hidden = s.id !== `tab-${name}`;
  if (name === "jobs") loadJobs();
}

// ---- the config form ----------------------------------------------------------------------------

const FIELDS = [
  "siteUrl", "adminUrl", "cloudId", "assets.workspaceId", "assets.customerQuery", "assets.portalAccountAttribute",
  "assets.emailAttribute", "assets.companyAttribute", "assets.companyQuery", "assets.spaceKeyAttribute", "groups",
  "confluence.permissions", "confluence.spaceByOrganization", "confluence.spaceByEmailDomain",
  "migrate.mode", "migrate.batchSize", "concurrency", "companies",
];
const FORM_KEYS = new Set(["siteUrl", "adminUrl", "cloudId", "assets", "groups", "confluence", "migrate", "comment", "concurrency", "companies"]);

const getPath = (obj, dotted) => dotted.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
function setPath(obj, dotted, value) {
  const keys = dotted.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys.at(-1)] = value;
}
const splitList = (text) => text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
/** "name=KEY" lines as an object; a line without "=" is kept whole as a key (the core names it). */
const splitMap = (text) => Object.fromEntries(text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
  const at = l.lastIndexOf("=");
  return at < 0 ? [l, ""] : [l.slice(0, at).trim(), l.slice(at + 1).trim()];
}));
const mapText = (m) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join("\n");

function fillConfig(config, context) {
  const form = $("#config-form");
  const c = config ?? { siteUrl: context?.siteUrl ?? "" };
  for (const name of FIELDS) {
    const input = form.elements[name];
    const v = getPath(c, name);
    input.value = v === undefined || v === null ? "" : Array.isArray(v) ? v.join(", ")
      : typeof v === "object" ? mapText(v) : String(v);
  }
  if (!c.migrate?.mode) form.elements["migrate.mode"].value = "single";
  form.elements["confluence.enabled"].checked = Boolean(c.confluence);
  form.elements["comment.enabled"].checked = c.comment?.enabled ?? true;
  form.elements["comment.internal"].checked = c.comment?.internal ?? true;
  const extra = Object.fromEntries(Object.entries(c).filter(([k]) => !FORM_KEYS.has(k)));
  form.elements.extra.value = Object.keys(extra).length ? JSON.stringify(extra, null, 2) : "";
}

/** The config object from the form; blank fields are left out so the core's defaults apply. */
function readConfig() {
  const form = $("#config-form");
  const config = {};
  for (const name of FIELDS) {
    const input = form.elements[name];
    const text = input.value.trim();
    if (!text) continue;
    if (input.dataset.list !== undefined) setPath(config, name, splitList(text));
    else if (input.dataset.map !== undefined) setPath(config, name, splitMap(text));
    else if (input.type === "number") setPath(config, name, Number(text));
    else setPath(config, name, text);
  }
  if (form.elements["confluence.enabled"].checked) config.confluence = { ...config.confluence, permissions: config.confluence?.permissions ?? [] };
  else delete config.confluence;
  config.comment = { enabled: form.elements["comment.enabled"].checked, internal: form.elements["comment.internal"].checked };
  const extraText = form.elements.extra.value.trim();
  if (extraText) {
    let extra;
    try {
      extra = JSON.parse(extraText);
    } catch (e) {
      return { error: { path: "extra", message: `not valid JSON: ${e.message}` } };
    }
    if (!extra || typeof extra !== "object" || Array.isArray(extra)) return { error: { path: "extra", message: "must be a JSON object" } };
    Object.assign(config, extra);
  }
  return { config };
}

function clearErrors(form) {
  for (const p of $$(".error", form)) {
    p.hidden = true;
    p.textContent = "";
  }
  for (const el of $$(".invalid", form)) el.classList.remove("invalid");
}

/**
 * Shows an error next to the field its JSON path names: the exact field, else the nearest one
 * above it ($.migrate.batchSize → $.migrate), else the "other settings" JSON, else the form top.
 */
function showError(form, path, message) {
  const slot = slotFor(form, path);
  slot.textContent = message;
  slot.hidden = false;
  const field = $$("[data-path]", form).find((el) => el.dataset.path === path);
  field?.classList.add("invalid");
  (field ?? slot).scrollIntoView?.({ block: "center" });
}

function slotFor(form, path) {
  const slots = new Map($$("[data-error-for]", form).map((p) => [p.dataset.errorFor, p]));
  for (let p = String(path ?? "$"); p !== "$" && p.includes("."); p = p.slice(0, p.lastIndexOf("."))) {
    if (slots.has(p)) return slots.get(p);
  }
  if (slots.has(path) && path !== "$") return slots.get(path); // "host", "secrets", "extra"
  const top = String(path ?? "").split(".")[1];
  return (top && !FORM_KEYS.has(top) ? slots.get("extra") : null) ?? slots.get("$");
}

async function saveConfig(event) {
  event.preventDefault();
  const form = $("#config-form");
  clearErrors(form);
  const { config, error } = readConfig();
  if (error) return showError(form, error.path, error.message);
  await busy($("#save-config"), async () => {
    say("config-status", "Saving…");
    const answer = await call("saveConfig", { config });
    if (!answer.ok) {
      say("config-status", "Not saved", "bad");
      showError(form, answer.error.path, answer.error.message);
      return;
    }
    say("config-status", "Saved ✓", "good");
  });
}

async function saveHost(event) {
  event.preventDefault();
  const form = $("#host-form");
  clearErrors(form);
  await busy($("#save-host"), async () => {
    const answer = await call("saveHostSettings", {
      triggerStatus: form.elements.triggerStatus.value.trim() || null,
      actionAllowedGroups: splitList(form.elements.actionAllowedGroups.value),
    });
    if (!answer.ok) return showError(form, "host", answer.error.message);
    say("host-status", "Saved ✓", "good");
  });
}

// ---- secrets ------------------------------------------------------------------------------------

function showSecrets(secrets) {
  for (const el of $$("[data-secret]")) {
    const set = secrets?.[el.dataset.secret] === true;
    el.textContent = set ? "set ✓" : "not set";
    el.className = `set ${set ? "good" : "bad"}`;
  }
}

async function saveSecrets(event) {
  event.preventDefault();
  const form = $("#secrets-form");
  clearErrors(form);
  await busy($("#save-secrets"), async () => {
    const answer = await call("saveSecrets", { email: form.elements.email.value.trim(), apiToken: form.elements.apiToken.value });
    form.elements.apiToken.value = ""; // never kept in the page
    if (!answer.ok) return showError(form, "secrets", answer.error.message);
    form.elements.email.value = "";
    showSecrets(answer.secrets);
    say("secrets-status", "Saved ✓", "good");
  });
}

// ---- doctor and dry run -------------------------------------------------------------------------

async function runDoctor(event) {
  event.preventDefault();
  const list = $("#doctor-checks");
  list.replaceChildren();
  await busy($("#run-doctor"), async () => {
    say("doctor-status", "Running…");
    const answer = await call("doctor", { company: $("#doctor-form").elements.company.value.trim() || undefined });
    if (!answer.ok && !answer.checks) return say("doctor-status", `${answer.error.code}: ${answer.error.message}`, "bad");
    for (const c of answer.checks) {
      const li = document.createElement("li");
      li.className = c.ok ? "ok" : "fail";
      li.dataset.check = c.name;
      li.append(mark(c.ok), ` ${c.name}`, detail(c.detail));
      if (!c.ok && c.fix) li.append(detail(`fix: ${c.fix}`));
      list.append(li);
    }
    const failed = answer.checks.filter((c) => !c.ok).length;
    say("doctor-status", failed ? `${failed} check(s) failed` : "All checks passed ✔", failed ? "bad" : "good");
  });
}

const mark = (ok) => Object.assign(document.createElement("span"), { className: "mark", textContent: ok ? "✔" : "✘" });
const detail = (text) => Object.assign(document.createElement("span"), { className: "detail", textContent: text ?? "" });

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

async function runDryRun(event) {
  event.preventDefault();
  const table = $("#plan");
  const body = $("tbody", table);
  body.replaceChildren();
  table.hidden = true;
  const company = $("#dryrun-form").elements.company.value.trim();
  if (!company) return say("dryrun-status", "Give a company key", "bad");
  await busy($("#run-dryrun"), async () => {
    say("dryrun-status", "Planning…");
    const answer = await call("dryRun", { company });
    if (!answer.ok) return say("dryrun-status", `${answer.error.code}: ${answer.error.message}`, "bad");
    for (const c of answer.customers) {
      const tr = document.createElement("tr");
      tr.append(cell(c.email ?? c.portalAccountId ?? "(no email)"), cell(c.status, c.status));
      for (const step of ["check", "migrate", "writeBack", "groups", "space"]) tr.append(cell(c.steps?.[step] ?? "", c.steps?.[step] ?? ""));
      body.append(tr);
    }
    table.hidden = false;
    const t = answer.totals;
    say("dryrun-status", `${t.customers} customer(s): ${t.planned} to migrate, ${t.alreadyMigrated} already migrated, ${t.skipped} skipped${answer.more ? " (more not planned yet: the plan stopped at its time limit)" : ""}`, "good");
  });
}

// ---- jobs ---------------------------------------------------------------------------------------

async function startJob(event) {
  event.preventDefault();
  const form = $("#start-form");
  await busy($("#start-job"), async () => {
    say("start-status", "Starting…");
    const answer = await call("startJob", {
      companies: form.elements.companies.value,
      customers: form.elements.customers.value,
      issueKey: form.elements.issueKey.value,
    });
    if (!answer.ok) return say("start-status", `${answer.error.code}: ${answer.error.message}`, "bad");
    const job = answer.job;
    say("start-status", `${job.jobId}: ${job.status}${job.summary ? ` (${job.summary})` : ""}`, "good");
    await loadJobs();
  });
}

function when(ms) {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "";
}

async function loadJobs() {
  const body = $("#jobs tbody");
  const answer = await call("listJobs");
  if (!answer.ok) return banner(`${answer.error.code}: ${answer.error.message}`);
  body.replaceChildren();
  for (const j of answer.jobs) {
    const tr = document.createElement("tr");
    tr.dataset.jobId = j.jobId;
    const t = j.totals ?? {};
    tr.append(cell(j.jobId, "mono"), cell(j.state, j.state), cell(j.sources.join(", ")), cell(t.customers), cell(t.migrated), cell(t.failed), cell(t.unfinished), cell(when(j.startedMs)));
    const td = document.createElement("td");
    const button = Object.assign(document.createElement("button"), { type: "button", className: "small csv", textContent: "CSV" });
    button.disabled = !j.totals;
    button.addEventListener("click", () => downloadCsv(j.jobId));
    td.append(button);
    tr.append(td);
    body.append(tr);
  }
}

async function downloadCsv(jobId) {
  const answer = await call("jobCsv", { jobId });
  if (!answer.ok) return banner(`${answer.error.code}: ${answer.error.message}`);
  const url = URL.createObjectURL(new Blob([answer.csv], { type: "text/csv" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: answer.filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- start --------------------------------------------------------------------------------------

async function start() {
  for (const b of $$("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("#config-form").addEventListener("submit", saveConfig);
  $("#host-form").addEventListener("submit", saveHost);
  $("#secrets-form").addEventListener("submit", saveSecrets);
  $("#doctor-form").addEventListener("submit", runDoctor);
  $("#dryrun-form").addEventListener("submit", runDryRun);
  $("#start-form").addEventListener("submit", startJob);
  $("#refresh-jobs").addEventListener("click", loadJobs);
  const context = await view.getContext().catch(() => ({}));
  const answer = await call("getSettings");
  if (!answer.ok) {
    banner(`${answer.error.code}: ${answer.error.message}`);
    return;
  }
  fillConfig(answer.config, context);
  $("#host-form").elements.triggerStatus.value = answer.triggerStatus ?? "";
  $("#host-form").elements.actionAllowedGroups.value = (answer.actionAllowedGroups ?? []).join(", ");
  showSecrets(answer.secrets);
  if (answer.configSource === "variable") banner("The configuration comes from the app's environment variables; saving it here stores it for this site.");
  document.body.dataset.ready = "true";
}

start();
