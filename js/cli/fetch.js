// host.fetch for the core: one HTTP request, no redirects followed, a timeout, and credentials only
// for the configured Atlassian origins (a URL from an answer must never receive the token).

const DEFAULT_TIMEOUT_MS = 60_000;
/** The largest answer read (an AQL page of 1,000 objects is a few MB); past it the request fails. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function timeoutFromEnv(env = process.env) {
  const v = Number(env.PORTAL_MIGRATE_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_MS;
}

export function createFetch({ credentials, origins, timeoutMs = timeoutFromEnv(), maxBodyBytes = MAX_BODY_BYTES }) {
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
      return { status: res.status, headers: out, body: await readCapped(res, maxBodyBytes) };
    } catch (e) {
      if (e.code === "TOO_LARGE") throw e;
      throw transportError(e, method, url);
    }
  };
}

/** The body as text, refusing more than `max` bytes instead of buffering whatever arrives. */
async function readCapped(res, max) {
  const declared = Number(res.headers.get("content-length"));
  const tooLarge = () => Object.assign(new Error(`answer larger than ${max} bytes from ${new URL(res.url).origin}`), { code: "TOO_LARGE" });
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return "";
  const chunks = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > max) {
      await res.body.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
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
