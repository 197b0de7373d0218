// The CLI's transport (js/cli/fetch.js): the keep-alive node:http client and the global fetch
// behind the same createAtlassianFetch rules — Basic only to the configured origins, redirects
// never followed, a timeout over the whole exchange, the answer cap (decoded bytes) — and the
// keep-alive client reuses its connections.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import zlib from "node:zlib";
import { createFetch, createSend } from "../../js/cli/fetch.js";
import { createAtlassianFetch } from "../../js/core/edge.js";

const servers = {};
async function server(name, handler) {
  const seen = [];
  const sockets = new Set();
  const s = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body, socket: req.socket.remotePort });
      handler(req, res);
    });
  });
  s.on("connection", (c) => sockets.add(c));
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  servers[name] = { s, seen, sockets, url: `http://127.0.0.1:${s.address().port}` };
}

before(async () => {
  await server("site", (req, res) => {
    if (req.url === "/redirect") {
      res.writeHead(307, { location: `${servers.other.url}/stolen` });
      return res.end();
    }
    if (req.url === "/slow-body") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("part");
      return setTimeout(() => res.end("rest"), 1500);
    }
    if (req.url === "/gzip") {
      res.writeHead(200, { "content-encoding": "gzip", "content-type": "application/json" });
      return res.end(zlib.gzipSync(JSON.stringify({ pad: "z".repeat(5000) })));
    }
    if (req.url === "/gzip-small") {
      res.writeHead(200, { "content-encoding": "gzip" });
      return res.end(zlib.gzipSync('{"small":true}'));
    }
    if (req.url === "/declared") {
      res.writeHead(200, { "content-length": String(10_000) });
      return res.end("d".repeat(10_000));
    }
    if (req.url === "/utf8") return res.end(Buffer.from("€".repeat(3000))); // split across chunks
    if (req.url === "/echo") {
      res.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] });
      return res.end(JSON.stringify({ method: req.method, length: req.headers["content-length"] ?? null }));
    }
    res.end('{"ok":true}');
  });
  await server("other", (req, res) => res.end("{}"));
});
after(() => Object.values(servers).forEach(({ s }) => { s.closeAllConnections(); s.close(); }));

const credentials = { email: "me@example.com", apiToken: "secret" };
const basic = "Basic " + Buffer.from("me@example.com:secret").toString("base64");
const call = (f, url, extra = {}) => f({ surface: "jira", method: "GET", url, headers: {}, body: null, ...extra });

for (const transport of ["http", "fetch"]) {
  const make = (opts = {}) => createFetch({ credentials, origins: new Set([servers.site.url]), timeoutMs: 5000, transport, ...opts });

  test(`${transport}: Basic only to the configured origin; a redirect is returned, not followed`, async () => {
    const f = make();
    await call(f, `${servers.site.url}/x`);
    assert.equal(servers.site.seen.at(-1).headers.authorization, basic);
    await call(f, `${servers.other.url}/x`, { headers: { Authorization: "Basic forged" } });
    assert.equal(servers.other.seen.at(-1).headers.authorization, undefined);
    const before = servers.other.seen.length;
    const r = await call(f, `${servers.site.url}/redirect`);
    assert.equal(r.status, 307);
    assert.equal(r.headers.location, `${servers.other.url}/stolen`);
    assert.equal(servers.other.seen.length, before, "the redirect target was never asked");
  });

  test(`${transport}: the cap counts decoded bytes, declared or streamed; small gzip answers are decoded`, async () => {
    const f = make({ maxBodyBytes: 4000 });
    for (const p of ["/declared", "/gzip"]) {
      await assert.rejects(call(f, `${servers.site.url}${p}`), (e) => {
        assert.equal(e.code, "TOO_LARGE");
        assert.equal(e.message, `answer larger than 4000 bytes from ${servers.site.url}`);
        return true;
      });
    }
    const small = await call(f, `${servers.site.url}/gzip-small`);
    assert.equal(small.body, '{"small":true}');
    // (undici's fetch keeps the header of a body it decoded; the http client drops it)
    if (transport === "http") assert.equal(small.headers["content-encoding"], undefined, "a decoded body does not claim its encoding");
    const big = await call(make(), `${servers.site.url}/utf8`);
    assert.equal(big.body, "€".repeat(3000));
  });

  test(`${transport}: the timeout covers a body that trickles in`, async () => {
    const t0 = Date.now();
    await assert.rejects(call(make({ timeoutMs: 300 }), `${servers.site.url}/slow-body`), { code: "TIMEOUT" });
    assert.ok(Date.now() - t0 < 1200);
  });

  test(`${transport}: a body is sent with its length; repeated headers are joined`, async () => {
    const r = await make()({ surface: "jira", method: "PUT", url: `${servers.site.url}/echo`, headers: { "content-type": "application/json" }, body: '{"é":1}' });
    assert.deepEqual(JSON.parse(r.body), { method: "PUT", length: String(Buffer.byteLength('{"é":1}')) });
    if (transport === "http") assert.equal(r.headers["set-cookie"], "a=1, b=2"); // fetch keeps the last
  });
}

test("http: sequential and concurrent requests reuse keep-alive connections", async () => {
  const send = createSend();
  const g = createAtlassianFetch({ send, credentials, origins: new Set([servers.site.url]) });
  const ports = (from) => new Set(servers.site.seen.slice(from).map((r) => r.socket));
  let from = servers.site.seen.length;
  for (let i = 0; i < 20; i++) await call(g, `${servers.site.url}/x`);
  assert.equal(ports(from).size, 1, "20 sequential requests, one connection");
  from = servers.site.seen.length;
  await Promise.all(Array.from({ length: 8 }, () => call(g, `${servers.site.url}/x`)));
  await Promise.all(Array.from({ length: 8 }, () => call(g, `${servers.site.url}/x`)));
  assert.ok(ports(from).size <= 8, `${ports(from).size} connections for two waves of 8`);
  send.close();
});

test("http: a request that can never be sent rejects at once (and leaves no timer behind)", async () => {
  const f = createFetch({ credentials, origins: new Set([servers.site.url]), timeoutMs: 60_000, transport: "http" });
  const t0 = Date.now();
  await assert.rejects(call(f, `${servers.site.url}/x`, { headers: { "x-bad": "a\r\nb" } }), (e) => typeof e.code === "string" && e.code !== "TIMEOUT");
  assert.ok(Date.now() - t0 < 1000);
  const r = await call(f, `${servers.site.url}/x`, { headers: { "Content-Length": "999" } });
  assert.equal(r.status, 200, "a caller's content-length is replaced by the real one");
});
