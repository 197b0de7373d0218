// --customers-file: a CSV with a header. The ids come from the first column named customer, email,
// accountId or portalAccountId, else from the first column.
import { readFileSync } from "node:fs";
import { UsageError } from "./errors.js";

const COLUMNS = ["customer", "email", "accountid", "portalaccountid"];

export function readCustomersFile(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read customers file ${file}: ${e.code ?? e.message}`);
  }
  const rows = parseCsv(text.replace(/^\uFEFF/, "")).filter((r) => r.some((f) => f.trim() !== ""));
  if (rows.length === 0) throw new UsageError(`customers file ${file} is empty (it needs a header line)`);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const found = COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0);
  const col = found ?? 0;
  return rows.slice(1).map((r) => (r[col] ?? "").trim()).filter((v) => v !== "");
}

/** RFC 4180 rows: quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === "") {
      quoted = true;
      field = "";
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
