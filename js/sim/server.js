// The HTTP front: routing, surfaces, faults, rate limits, Basic auth, the 501 fallback, lazy completion
// of delayed work, and the echoCredentials hostile mode.
import { SimError, jiraBody, jiraError, resetStamp } from "./http.js";
import { control } from "./control.js";
import { routes as tenantRoutes } from "./services/tenant/routes.js";
import { routes as assetsRoutes } from "./services/assets/routes.js";
import { routes as customersRoutes } from "./services/customers/routes.js";
import { routes as usersRoutes } from "./services/users/routes.js";
import { routes as groupsRoutes } from "./services/groups/routes.js";
import { routes as confluenceRoutes } from "./services/confluence/routes.js";
import { routes as commentsRoutes } from "./services/comments/routes.js";
import { routes as organizationsRoutes } from "./services/organizations/routes.js";
import { receivedCredentials, withCredentials } from "./echo.js";

const MAX_BODY = 16 * 1024 * 1024;

function compile(r) {
  const names = [];
  const src = r.path.replace(/[.+?^$()|[\]\\*]/g, "\\$&").replace(/\{(\w+)\}/g, (_, n) => {
    names.push(n);
    return "([^/]+)";
  });
  return { ...r, re: new RegExp(`^${src}$`), names };
}

export const ROUTES = [
  tenantRoutes, assetsRoutes, customersRoutes, usersRoutes, groupsRoutes, confluenceRoutes, commentsRoutes, organizationsRoutes,
].flat().map(compile);

export function match(method, path) {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.re.exec(path);
    if (!m) continue;
    const params = {};
    r.names.forEach((n, i) => {
      try { params[n] = decodeURIComponent(m[i + 1]); } catch { throw jiraError(400, [`Malformed path parameter ${n}`]); }
    });
    return { route: r, params };
  }
  return null;
}

/** The surface a path belongs to (HACKING.md surfaces table). */
export function surfaceOf(path) {
  if (path.startsWith("/jsm/assets/")) return "assets";
  if (path.startsWith("/gateway/") || path.startsWith("/rest/servicedesk/customer-management/")) return "admin";
  if (path.startsWith("/wiki/") || path === "/wiki" || path === "/cgraphql") return "confluence";
  return "jira";
}

/** A JSON body, or a string sent as-is (text/plain unless `headers` say otherwise; `respond` faults). */
function send(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  if (body === null || body === undefined || status === 204) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const raw = typeof body === "string";
  const text = raw ? body : JSON.stringify(body);
  const type = raw ? "text/plain;charset=UTF-8" : "application/json;charset=UTF-8";
  res.writeHead(status, { "content-type": type, ...headers, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(jiraError(413, ["Request body too large"])); req.destroy(); return; }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function authorised(req, t) {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return false;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const at = decoded.indexOf(":");
  if (at < 0) return false;
  return decoded.slice(0, at).toLowerCase() === String(t.credentials.email).toLowerCase()
    && decoded.slice(at + 1) === t.credentials.apiToken;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** 429 headers (§9.1); `bare` (Assets style) leaves out Retry-After and X-RateLimit-Reset. */
function tooMany(retryAfter, bare, limit) {
  const headers = { "ratelimit-reason": "jira-burst-based", "x-ratelimit-remaining": "0" };
  if (limit !== undefined) headers["x-ratelimit-limit"] = String(limit);
  if (!bare) {
    headers["retry-after"] = String(retryAfter);
    headers["x-ratelimit-reset"] = resetStamp(Date.now() + retryAfter * 1000);
  }
  return [429, jiraBody(["Rate limit exceeded."]), headers];
}

function faultResponse(rule) {
  switch (rule.kind) {
    case "respond": return [rule.respond.status, rule.respond.body, { ...rule.respond.headers }];
    case "429": return tooMany(rule.retryAfter, false);
    case "429-bare": return tooMany(rule.retryAfter, true);
    case "503": return [503, jiraBody(["Service Unavailable"]), { "retry-after": String(rule.retryAfter) }];
    default: return [500, jiraBody(["Internal server error"]), {}];
  }
}

function jsonOf(text) {
  return () => {
    if (text === "") return undefined;
    try { return JSON.parse(text); } catch (e) { throw jiraError(400, [`Invalid JSON in request body: ${e.message}`]); }
  };
}

async function handle(sim, req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  const isControl = url.pathname === "/__sim" || url.pathname.startsWith("/__sim/");
  // Every API answer goes out here; with echoCredentials a 4xx/5xx carries the received credentials.
  const answer = (status, body, headers) => {
    if (!isControl && sim.tenant.settings.echoCredentials && status >= 400) body = withCredentials(body, receivedCredentials(req));
    send(res, status, body, headers);
  };
  let text;
  try { text = await readBody(req); } catch (e) {
    if (e instanceof SimError) answer(e.status, e.body);
    return;
  }
  sim.settle(Date.now()); // lazy completion of delayed work (asynchronous bulk migrations)
  if (isControl) {
    const [status, body] = control(sim, req.method, url, text);
    return send(res, status, body);
  }
  const t = sim.tenant;
  let path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  const ex = /^\/ex\/jira\/([^/]+)(\/.*)$/.exec(path); // OAuth / scoped-token host form (§1)
  if (ex) path = ex[2];
  const surface = surfaceOf(path);
  const method = req.method;
  let matched;
  try { matched = match(method, path); } catch (e) { return answer(e.status, e.body); }
  sim.count(surface, `${method} ${matched ? matched.route.name : "unmatched"}`);

  const { latency, action } = sim.faults.pick(surface, method, path);
  const delay = latency + (t.settings.latencyMs || 0);
  if (delay > 0) await sleep(delay);
  if (action?.kind === "reset") { req.socket.destroy(); return; }
  const afterHandler = action?.kind === "commit-drop" || (action?.kind === "respond" && action.respond.commit);
  if (action && !afterHandler) return answer(...faultResponse(action));

  const limited = sim.ratelimit.take(surface, Date.now());
  if (limited) return answer(...tooMany(limited.retryAfter, limited.bare, limited.limit));

  if (!matched) return answer(501, jiraBody([`no simulator route for ${method} ${url.pathname}`]));
  if (!matched.route.noAuth && !authorised(req, t)) {
    return answer(401, jiraBody(["Client must be authenticated to access this resource."]));
  }
  let out;
  try {
    if (ex && ex[1] !== t.cloudId) throw jiraError(404, [`Site ${ex[1]} not found`]);
    out = matched.route.handler({
      tenant: t, params: matched.params, query: url.searchParams, json: jsonOf(text), method, path,
      url: req.url, caller: t.admin,
    });
  } catch (e) {
    if (!(e instanceof SimError)) throw e;
    out = { status: e.status, body: e.body, headers: e.headers };
  }
  if (action?.kind === "commit-drop") { req.socket.destroy(); return; }
  if (action?.kind === "respond") return answer(...faultResponse(action));
  answer(out.status, out.body, out.headers);
}

/** The node:http request listener for a Simulator. */
export function createHandler(sim) {
  return (req, res) => {
    const started = Date.now();
    if (!sim.quiet) res.on("finish", () => process.stderr.write(`[sim] ${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - started} ms)\n`));
    handle(sim, req, res).catch((e) => send(res, 500, jiraBody([`simulator error: ${e.message}`])));
  };
}
