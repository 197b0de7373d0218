// The Worker's and Forge's error answers (js/core/edge.js describeError) carry the core's advice and
// fix for a known failure (src/advice.rs), and nothing of the kind for an unknown one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeError } from "../../js/core/edge.js";

test("a core error with advice answers its sentence and its fix", () => {
  const err = Object.assign(new Error("admin.migrate: HTTP 401"), {
    code: "ATLASSIAN_API", surface: "admin", retryable: false,
    advice: "Atlassian refused the credentials", fix: "create a new API token for an org admin",
  });
  const d = describeError(err);
  assert.equal(d.status, 502);
  assert.deepEqual(d.body.error, {
    code: "ATLASSIAN_API", message: "admin.migrate: HTTP 401", surface: "admin", retryable: false,
    advice: "Atlassian refused the credentials", fix: "create a new API token for an org admin",
  });
});

test("an error without advice answers no advice", () => {
  const d = describeError(Object.assign(new Error("boom"), { code: "INTERNAL" }));
  assert.equal(d.status, 500);
  assert.equal("fix" in d.body.error, false);
  assert.equal("advice" in d.body.error, false);
});
