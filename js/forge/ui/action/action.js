// The Automation action's config form (action module `config.resource`, Custom UI). Automation
// keeps what view.submit() was last given and validates it against the manifest's `inputs`; the
// native Next button fires AUTOMATION_ACTION_SUBMIT
// (https://developer.atlassian.com/platform/forge/manifest-reference/modules/automation-action/#action-configuration).
// Text may hold smart values: Automation renders them before invoking the action.
import { events, view } from "./bridge.js";

const form = document.getElementById("action-form");
const TEXT = ["issueKey", "companies", "customers"];

function values() {
  const out = {};
  for (const name of TEXT) out[name] = form.elements[name].value.trim();
  out.dryRun = form.elements.dryRun.checked;
  return out;
}

let invalid = {};

/** Automation's per-field errors (extension.errors.invalidInputs); a field's clears when edited. */
function showInvalid() {
  for (const p of form.querySelectorAll("[data-error-for]")) {
    const msg = invalid[p.dataset.errorFor]?.message;
    p.textContent = msg ?? "";
    p.hidden = !msg;
  }
}

async function start() {
  const context = await view.getContext();
  const saved = context?.extension?.data?.inputs ?? null;
  const inputs = saved ?? { issueKey: "{{issue.key}}" };
  for (const name of TEXT) form.elements[name].value = typeof inputs[name] === "string" ? inputs[name] : "";
  form.elements.dryRun.checked = inputs.dryRun === true || inputs.dryRun === "true";
  invalid = { ...(context?.extension?.errors?.invalidInputs ?? {}) };
  showInvalid();
  const submit = () => view.submit(values());
  for (const el of form.elements) {
    el.addEventListener("change", () => {
      delete invalid[el.name];
      showInvalid();
      submit();
    });
  }
  events.on("AUTOMATION_ACTION_SUBMIT", submit);
  if (!saved) submit(); // a new action keeps the {{issue.key}} default
  document.body.dataset.ready = "true";
}

start();
