// `echoCredentials`: a hostile mode for security tests. Every 4xx/5xx answer echoes the received
// Authorization header and its decoded `email:token`, as a misbehaving proxy or debug build might, so
// tests can prove clients redact whatever an error body carries before it reaches a report or a log.

/** `{header, decoded}` of the request's Authorization (decoded only for Basic). */
export function receivedCredentials(req) {
  const header = req.headers.authorization ?? null;
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  return { header, decoded: m ? Buffer.from(m[1], "base64").toString("utf8") : null };
}

/**
 * The error body with the credentials added where clients look: a line in `errorMessages` (Jira),
 * appended to `message` (Confluence v1, gateway) and `errorMessage` (JSM), plus the fields
 * `receivedAuthorization` and `decodedCredentials`. Text bodies get a line appended; empty bodies
 * become a Jira error that carries them.
 */
export function withCredentials(body, { header, decoded }) {
  const note = `received Authorization: ${header ?? "(none)"}; decoded credentials: ${decoded ?? "(none)"}`;
  if (typeof body === "string") return `${body}\n${note}`;
  if (body === null || body === undefined) {
    return { errorMessages: [note], errors: {}, receivedAuthorization: header, decodedCredentials: decoded };
  }
  if (Array.isArray(body) || typeof body !== "object") return { body, errorMessages: [note], receivedAuthorization: header, decodedCredentials: decoded };
  const out = { ...body, receivedAuthorization: header, decodedCredentials: decoded };
  if (Array.isArray(body.errorMessages)) out.errorMessages = [...body.errorMessages, note];
  if (typeof body.message === "string") out.message = `${body.message} (${note})`;
  if (typeof body.errorMessage === "string") out.errorMessage = `${body.errorMessage} (${note})`;
  if (!("errorMessages" in body) && !("message" in body) && !("errorMessage" in body)) out.errorMessages = [note];
  return out;
}
