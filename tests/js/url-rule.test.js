// The one URL rule, through the hosts: the table of tests/url-cases.json (the Rust tests run it too)
// through validateConfig, and every accepted URL read the same way by WHATWG's parser (Node's URL,
// as Forge and workerd use): the core and the hosts can never disagree about where credentials go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { validateConfig } from "../../js/core/node.js";
import { createAtlassianFetch } from "../../js/core/edge.js";

const table = JSON.parse(readFileSync(new URL("../url-cases.json", import.meta.url), "utf8"));
const FIELD = { site: "siteUrl", admin: "adminUrl", api: "apiUrl" };
const base = {
  siteUrl: "https://acme.atlassian.net",
  allowedHosts: table.allowedHosts,
  assets: { customerQuery: "objectTypeId = 4 AND Company = {company}", portalAccountAttribute: "91" },
};

for (const c of table.cases) {
  test(`${JSON.stringify(c.url)} as ${FIELD[c.role]}: ${c.origin ?? `refused${c.fix ? `, fix ${c.fix}` : ""}`}`, () => {
    const config = { ...base, [FIELD[c.role]]: c.url };
    if (c.origin === null) {
      // The refusal names the field and, only where the table gives one, the fix.
      const fix = c.fix ? `; did you mean "${c.fix}"?` : null;
      assert.throws(() => validateConfig(config), (e) => e.code === "CONFIG" && e.path === `$.${FIELD[c.role]}`
        && (fix ? e.message.endsWith(fix) : !e.message.includes("did you mean")));
      return;
    }
    const urls = validateConfig(config);
    assert.equal(urls[FIELD[c.role]], c.origin);
    assert.ok(urls.origins.includes(c.origin));
    assert.equal(new URL(c.url.trim()).origin, c.origin, "WHATWG reads the same origin");
  });
}

test("the credentialed fetch authorises exactly the core's origins, comparing parsed origins", async () => {
  const urls = validateConfig(base);
  const seen = [];
  const fetchImpl = async (url, init) => {
    seen.push([url, init.headers.authorization ?? null]);
    return new Response("{}", { status: 200 });
  };
  const f = createAtlassianFetch({ fetchImpl, credentials: { email: "a@b.example", apiToken: "tok" }, urls });
  for (const url of [
    "https://acme.atlassian.net/rest/api/3/myself",
    "https://ACME.atlassian.net:443/x",
    "https://acme.atlassian.net.evil.example/x",
    "https://evil.example\\.atlassian.net/x",
    "https://api.atlassian.com/jsm/assets/workspace/w/v1/object/aql",
  ]) await f({ method: "GET", url, headers: {} });
  const authorised = seen.filter(([, a]) => a !== null).map(([u]) => u);
  assert.deepEqual(authorised, [
    "https://acme.atlassian.net/rest/api/3/myself",
    "https://ACME.atlassian.net:443/x",
    "https://api.atlassian.com/jsm/assets/workspace/w/v1/object/aql",
  ]);
});
