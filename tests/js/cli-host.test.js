// The CLI's host pieces: fetch (credentials only for configured origins, no redirects, transport
// error codes), the customers CSV, argument parsing, the table.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createFetch } from "../../js/cli/fetch.js";
import { trustedOrigins } from "../../js/cli/config.js";
import { parseCsv, readCustomersFile } from "../../js/cli/csv.js";
import { parseArgs } from "../../js/cli/args.js";
import { renderTable } from "../../js/cli/table.js";

// Two loopback servers: the "site" and a foreign origin. Each records the requests it got.
const servers = {};
async function server(name, handler) {
  const seen = [];
  const s = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  servers[name] = { s, seen, url: `http://127.0.0.1:${s.address().port}` };
}

before(async () => {
  await server("site", (req, res) => {
    if (req.url === "/redirect") {
      res.writeHead(302, { location: `${servers.other.url}/stolen` });
      return res.end();
    }
    if (req.url === "/slow") return setTimeout(() => res.end("late"), 2000);
    if (req.url === "/big") return res.end("x".repeat(4096));
    if (req.url === "/big-chunked") {
      res.write("y".repeat(3000));
      return res.end("y".repeat(3000));
    }
    res.writeHead(201, { "X-Thing": "yes", "content-type": "application/json" });
    res.end('{"ok":true}');
  });
  await server("other", (req, res) => res.end("{}"));
});
after(() => Object.values(servers).forEach(({ s }) => { s.closeAllConnections(); s.close(); }));

const credentials = { email: "me@example.com", apiToken: "secret" };
const basic = "Basic " + Buffer.from("me@example.com:secret").toString("base64");
const hostFetch = (timeoutMs = 5000) => createFetch({
  credentials,
  origins: trustedOrigins({ siteUrl: servers.site.url, adminUrl: "https://admin.atlassian.com", apiUrl: "https://api.atlassian.com" }),
  timeoutMs,
});

test("fetch sends the request, adds the credentials for the site and returns status, lower-case headers, text", async () => {
  const r = await hostFetch()({ surface: "jira", method: "POST", url: `${servers.site.url}/rest/x?a=1`, headers: { accept: "application/json", "content-type": "application/json" }, body: '{"q":1}' });
  assert.equal(r.status, 201);
  assert.equal(r.body, '{"ok":true}');
  assert.equal(r.headers["x-thing"], "yes");
  assert.equal(Object.keys(r.headers).every((k) => k === k.toLowerCase()), true);
  const got = servers.site.seen.at(-1);
  assert.deepEqual([got.method, got.url, got.body], ["POST", "/rest/x?a=1", '{"q":1}']);
  assert.equal(got.headers.authorization, basic);
});

test("fetch never sends the credentials to another origin, even when asked to", async () => {
  await hostFetch()({ surface: "jira", method: "GET", url: `${servers.other.url}/x`, headers: { authorization: "Basic forged" }, body: null });
  assert.equal(servers.other.seen.at(-1).headers.authorization, undefined);
});

test("fetch does not follow redirects", async () => {
  const before = servers.other.seen.length;
  const r = await hostFetch()({ surface: "jira", method: "GET", url: `${servers.site.url}/redirect`, headers: {}, body: null });
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, `${servers.other.url}/stolen`);
  assert.equal(servers.other.seen.length, before);
});

test("fetch refuses an answer larger than its cap, declared or streamed", async () => {
  const capped = createFetch({ credentials, origins: new Set([servers.site.url]), timeoutMs: 5000, maxBodyBytes: 4000 });
  for (const p of ["/big", "/big-chunked"]) {
    await assert.rejects(capped({ surface: "jira", method: "GET", url: `${servers.site.url}${p}`, headers: {}, body: null }), (e) => {
      assert.equal(e.code, "TOO_LARGE");
      assert.equal(e.message, `answer larger than 4000 bytes from ${servers.site.url}`);
      return true;
    });
  }
  const ok = await capped({ surface: "jira", method: "GET", url: `${servers.site.url}/x`, headers: {}, body: null });
  assert.equal(ok.body, '{"ok":true}');
});

test("transport failures reject with a code: ECONNREFUSED, TIMEOUT", async () => {
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, "127.0.0.1", r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(hostFetch()({ surface: "jira", method: "GET", url: `http://127.0.0.1:${port}/`, headers: {}, body: null }), { code: "ECONNREFUSED" });
  await assert.rejects(hostFetch(100)({ surface: "jira", method: "GET", url: `${servers.site.url}/slow`, headers: {}, body: null }), { code: "TIMEOUT" });
});

test("CSV: quoted fields with commas, doubled quotes, line breaks; CRLF", () => {
  assert.deepEqual(parseCsv('a,"b,1","say ""hi""","two\nlines"\r\nx,,z\n'), [["a", "b,1", 'say "hi"', "two\nlines"], ["x", "", "z"]]);
});

test("customers file: the first known column wins, else the first column; blank lines skipped", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-csv-"));
  const f = path.join(dir, "c.csv");
  fs.writeFileSync(f, "\uFEFFName,Email,accountId\nA,a@x.example,1\n\n ,  ,\nB,b@x.example,2\n");
  assert.deepEqual(readCustomersFile(f), ["a@x.example", "b@x.example"]);
  fs.writeFileSync(f, "id,comment\nqm:1,first\n712020:abc,second\n");
  assert.deepEqual(readCustomersFile(f), ["qm:1", "712020:abc"]);
  fs.writeFileSync(f, "portalAccountId,customer\nqm:1,c@x.example\n");
  assert.deepEqual(readCustomersFile(f), ["c@x.example"]);
  assert.throws(() => readCustomersFile(path.join(dir, "none.csv")), { name: "UsageError", message: /cannot read customers file .*none\.csv: ENOENT/ });
});

test("customers file: invalid UTF-8 (Latin-1, UTF-16) is a usage error naming the file, line and byte; a BOM is fine", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-csv-"));
  const f = path.join(dir, "latin1.csv");
  // "René" and "Zoë" as Latin-1 (0xE9, 0xEB): what Excel's plain "CSV" saves on Windows.
  fs.writeFileSync(f, Buffer.concat([Buffer.from("name,email\r\nAnn,a@x.example\r\nRen"), Buffer.from([0xe9]), Buffer.from(",r@x.example\r\nZo"), Buffer.from([0xeb]), Buffer.from(",z@x.example\r\n")]));
  assert.throws(() => readCustomersFile(f), {
    name: "UsageError",
    message: `customers file ${f} is not valid UTF-8: line 3, byte 4 (0xE9); re-save it as UTF-8 (in Excel: "CSV UTF-8"; Latin-1/Windows-1252 files are the usual cause)`,
  });
  // A sequence cut by the end of the file, and one broken by its next byte, are found too.
  fs.writeFileSync(f, Buffer.concat([Buffer.from("email\nok@x.example\n"), Buffer.from([0xc3])]));
  assert.throws(() => readCustomersFile(f), { message: /: line 3, byte 1 \(0xC3\)/ });
  fs.writeFileSync(f, Buffer.concat([Buffer.from("email\na"), Buffer.from([0xe2, 0x82]), Buffer.from("@x.example\n")]));
  assert.throws(() => readCustomersFile(f), { message: /: line 2, byte 2 \(0xE2\)/ });
  fs.writeFileSync(f, Buffer.from("\uFEFFemail\na@x.example\n", "utf16le"));
  assert.throws(() => readCustomersFile(f), { message: `customers file ${f} is UTF-16, not UTF-8; re-save it as UTF-8 (in Excel: "CSV UTF-8")` });
  // Valid UTF-8 with a BOM and non-ASCII ids decodes unchanged.
  fs.writeFileSync(f, "\uFEFFemail\nrené@x.example\nzoë@x.example\n");
  assert.deepEqual(readCustomersFile(f), ["rené@x.example", "zoë@x.example"]);
});

test("arguments: repeatable lists, =values, numbers; unknown or valueless options are usage errors", () => {
  const spec = { company: "list", "dry-run": "bool", concurrency: "int", "max-duration": "number", config: "string" };
  assert.deepEqual(parseArgs(["--company", "A", "--company=B", "--dry-run", "--concurrency", "8", "--max-duration=1.5", "--config", "c.json"], spec),
    { _: [], company: ["A", "B"], dryRun: true, concurrency: 8, maxDuration: 1.5, config: "c.json" });
  assert.throws(() => parseArgs(["--nope"], spec), { name: "UsageError", message: "unknown option --nope (see portal-migrate --help)" });
  assert.throws(() => parseArgs(["--config"], spec), { message: "--config needs a value" });
  assert.throws(() => parseArgs(["--concurrency", "x"], spec), { message: /--concurrency must be a whole number/ });
  assert.throws(() => parseArgs(["--config", "a", "--config", "b"], spec), { message: "--config given twice" });
  assert.throws(() => parseArgs(["stray"], spec), { message: 'unexpected argument "stray"' });
});

test("table: one aligned row per customer with old -> new id and the failed step", () => {
  const out = renderTable({ customers: [
    { company: "ACME", email: "a@acme.example", portalAccountId: "qm:1", accountId: "712020:a", status: "migrated", failedStep: null, error: null },
    { company: "GLOBEX", email: "b@globex.example", portalAccountId: "qm:2", accountId: null, status: "failed", failedStep: "migrate", error: "customers.migrate (admin): HTTP 500:\nboom" },
  ] });
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[1], "ACME     a@acme.example    qm:1 -> 712020:a  migrated");
  assert.equal(lines[2], "GLOBEX   b@globex.example  qm:2 -> -         failed    migrate: customers.migrate (admin): HTTP 500: boom");
});
