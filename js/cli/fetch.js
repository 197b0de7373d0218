// host.fetch for the core: one HTTP request, no redirects followed, a timeout, and credentials only
// for the configured Atlassian origins (a URL from an answer must never receive the token).

const DEFAULT_TIMEOUT_MS = 60_000;

export function timeoutFromEnv(env = process.env) {
  const v = Number(env.PORTAL_MIGRATE_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_MS;
}

export function createFetch({ credentials, origins, timeoutMs = timeoutFromEnv() }) {
  const authorization = "Basic " + Buffer.from(`${credentials.email}:${credentials.apiToken}`).toString("base64");
  return async function hostFetch({ method, url, headers = {}, body }) {
    const h = { ...headers };
    delete h.authorization;
    if (origins.has(new URL(url).origin)) h.authorization = authorization;
    try {
      const res = await fetch(url, {
        method,
        headers: h,
        body: body ?? undefined,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const out = {};
      res.headers.forEach((v, k) => { out[k.toLowerCase()] = v; });
      return { status: res.status, headers: out, body: await res.text() };
    } catch (e) {
      throw transportError(e, method, url);
    }
  };
}

/** Node's fetch hides the socket error in `cause`; the core wants a `code` it can classify. */
export function transportError(e, method, url) {
  const timeout = e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError";
  const code = timeout ? "TIMEOUT" : e?.cause?.code ?? e?.code ?? "FETCH";
  const detail = timeout ? "timed out" : e?.cause?.message ?? e?.message ?? String(e);
  const err = new Error(`${method} ${new URL(url).origin}: ${detail}`);
  err.code = code;
  return err;
}
