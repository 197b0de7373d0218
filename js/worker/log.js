// Structured log lines for Workers Logs ([observability] in wrangler.toml): one JSON object per
// line, ids and counts only. Core error messages may name a customer by email, so every string is
// passed through an email redactor, and fields that could hold a credential are dropped by name.

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}/g;
const SECRET_FIELD = /token|secret|authorization|signature|password|email/i;

export function redact(value, depth = 0) {
  if (typeof value === "string") return value.replace(EMAIL, "[email]");
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redact(v, depth + 1));
  const out = {};
  for (const [k, v] of Object.entries(value)) if (!SECRET_FIELD.test(k)) out[k] = redact(v, depth + 1);
  return out;
}

export function log(level, message, fields = {}) {
  const line = JSON.stringify({ level, message: redact(message), ...redact(fields) });
  (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(line);
}
