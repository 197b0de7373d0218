// host.fetch for the core on Forge: every request goes by its `surface` (HACKING.md "Surfaces").
//
//   jira        api.asApp().requestJira(path)        site REST, as the app
//   confluence  api.asApp().requestConfluence(path)  /wiki/..., as the app
//   assets      api.asApp().requestJira(path)        /jsm/assets/workspace/{ws}/v1/..., the form the
//               Assets docs give Forge apps (no api.atlassian.com origin, no /ex/jira/{cloudId}):
//               https://developer.atlassian.com/cloud/assets/assets-rest-api-guide/scopes-for-oauth-2-3LO-and-forge-apps/
//   admin       external fetch with the org admin's Basic token (js/core/edge.js
//               createAtlassianFetch: credentials only for the admin origin, no redirects). The
//               admin gateway's customer-management calls take an org admin, never an app.
//
// Product fetch is proxied and authenticated by Forge and reaches only the installation's own
// site, and it is not counted in the per-invocation egress budget (egress.js). We add no
// Authorization header to it. Paths go through assumeTrustedRoute exactly as the core
// percent-encoded them (the `route` tag would re-encode them); in exchange this module checks the
// origin, the surface's path prefix and dot segments itself, so an answer cannot steer a call
// elsewhere on the site.
//   const fetch = createProductFetch({ product, urls, adminFetch, budget });
//   product: { requestJira(path, init), requestConfluence(path, init) } (platform.js, or a fake)
import { MAX_ANSWER_BYTES } from "../core/edge.js";

// /_edge/tenant_info only when no cloudId is known (host.js fills it in from the context).
const PREFIX = {
  jira: ["/rest/", "/_edge/tenant_info"],
  confluence: ["/wiki/"],
  assets: ["/jsm/assets/workspace/"],
};
const GATEWAY_PREFIX = /^\/ex\/jira\/[A-Za-z0-9-]+(?=\/)/;

function transportError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/** Origin and the rest of an absolute URL, the rest byte for byte as given (no re-encoding). */
export function splitUrl(url) {
  const m = /^(https?:\/\/[^/?#]+)([/?][^#]*)?/i.exec(String(url));
  if (!m) return null;
  let origin;
  try {
    origin = new URL(m[1]).origin;
  } catch {
    return null;
  }
  const rest = m[2] ?? "/";
  return { origin, rest: rest.startsWith("?") ? "/" + rest : rest };
}

function hasDotSegment(pathAndQuery) {
  const path = pathAndQuery.split("?")[0];
  return path.split("/").some((seg) => {
    let s = seg;
    try {
      s = decodeURIComponent(seg);
    } catch {
      return true;
    }
    return s === "." || s === "..";
  });
}

/** The site-relative path a product request for `surface` goes to, or throws BAD_URL. */
export function productPath(surface, url, urls) {
  const parts = splitUrl(url);
  const expected = new URL(surface === "assets" ? urls.apiUrl : urls.siteUrl).origin;
  if (!parts || parts.origin !== expected) {
    throw transportError("BAD_URL", `${surface}: ${parts?.origin ?? "not a URL"} is not the configured ${surface === "assets" ? "apiUrl" : "siteUrl"} origin`);
  }
  let path = parts.rest;
  if (surface === "assets") path = path.replace(GATEWAY_PREFIX, "");
  if (!PREFIX[surface].some((p) => path.startsWith(p)) || hasDotSegment(path)) {
    throw transportError("BAD_URL", `${surface}: a product call must go to ${PREFIX[surface].join(" or ")}…`);
  }
  return path;
}

export function createProductFetch({ product, urls, adminFetch, budget, timeoutMs = 60_000, maxBodyBytes = MAX_ANSWER_BYTES }) {
  const adminOrigin = new URL(urls.adminUrl).origin;
  const stats = { product: 0, external: 0, bySurface: {} };

  async function viaProduct(surface, { method, url, headers, body }) {
    const path = productPath(surface, url, urls);
    const h = {};
    for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() !== "authorization") h[k] = v;
    const call = surface === "confluence" ? product.requestConfluence : product.requestJira;
    let res;
    try {
      res = await call(path, { method, headers: h, body: body ?? undefined, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const timeout = e?.name === "TimeoutError" || e?.name === "AbortError";
      throw transportError(timeout ? "TIMEOUT" : e?.code ?? "FETCH", `${method} ${surface}: ${timeout ? "timed out" : e?.message ?? String(e)}`);
    }
    const out = {};
    res.headers?.forEach?.((v, k) => { out[k.toLowerCase()] = v; });
    if (Number(out["content-length"]) > maxBodyBytes) throw transportError("TOO_LARGE", `answer larger than ${maxBodyBytes} bytes from ${surface}`);
    const text = await res.text();
    if (text.length > maxBodyBytes) throw transportError("TOO_LARGE", `answer larger than ${maxBodyBytes} bytes from ${surface}`);
    return { status: res.status, headers: out, body: text };
  }

  async function viaEgress(request) {
    const parts = splitUrl(request.url);
    if (!parts || parts.origin !== adminOrigin) throw transportError("BAD_URL", "admin: not the configured adminUrl origin");
    await budget?.take();
    return adminFetch(request);
  }

  async function hostFetch(request) {
    const surface = request?.surface;
    const external = surface === "admin";
    if (!external && !(surface in PREFIX)) throw transportError("BAD_SURFACE", `no route for surface ${JSON.stringify(surface)}`);
    stats[external ? "external" : "product"]++;
    stats.bySurface[surface] = (stats.bySurface[surface] ?? 0) + 1;
    return external ? viaEgress(request) : viaProduct(surface, request);
  }
  hostFetch.stats = stats;
  return hostFetch;
}
