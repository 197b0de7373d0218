// --customers-file: a UTF-8 CSV (a BOM is fine) with a header. The ids come from the first column
// named customer, email, accountId or portalAccountId, else from the first column; an optional
// `space` column names each customer's Confluence space (it wins over every lookup). Any other
// encoding is refused (exit 2) rather than turned into U+FFFD ids that match nobody.
import { readFileSync } from "node:fs";
import { UsageError } from "./errors.js";

const COLUMNS = ["customer", "email", "accountid", "portalaccountid"];

/** The ids of a customers file (see readCustomersRows for the spaces too). */
export function readCustomersFile(file) {
  return readCustomersRows(file).ids;
}

/** `{ids, spaces}`: the ids in file order and, from a `space` column, `{id: spaceKey}`. */
export function readCustomersRows(file) {
  let bytes;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read customers file ${file}: ${e.code ?? e.message}`);
  }
  const rows = parseCsv(decodeUtf8(bytes, file)).filter((r) => r.some((f) => f.trim() !== ""));
  if (rows.length === 0) throw new UsageError(`customers file ${file} is empty (it needs a header line)`);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const found = COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0);
  const col = found ?? 0;
  const spaceCol = header.indexOf("space");
  const ids = [];
  const spaces = {};
  for (const r of rows.slice(1)) {
    const id = (r[col] ?? "").trim();
    if (id === "") continue;
    ids.push(id);
    const space = spaceCol >= 0 && spaceCol !== col ? (r[spaceCol] ?? "").trim() : "";
    if (space !== "") spaces[id] = space;
  }
  return { ids, spaces };
}

/** The text of a UTF-8 file without its BOM; a UsageError naming the file and line otherwise. */
export function decodeUtf8(bytes, file) {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new UsageError(`customers file ${file} is UTF-16, not UTF-8; re-save it as UTF-8 (in Excel: "CSV UTF-8")`);
  }
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }); // ignoreBOM false: a BOM is dropped
  try {
    return fatal.decode(bytes);
  } catch {
    // A line break (0x0A) never occurs inside a UTF-8 sequence, so each line can be checked alone.
    let start = 0;
    for (let line = 1; ; line++) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      const bad = firstInvalid(bytes.subarray(start, end));
      if (bad >= 0) {
        const hex = bytes[start + bad].toString(16).toUpperCase().padStart(2, "0");
        throw new UsageError(`customers file ${file} is not valid UTF-8: line ${line}, byte ${bad + 1} (0x${hex}); re-save it as UTF-8 (in Excel: "CSV UTF-8"; Latin-1/Windows-1252 files are the usual cause)`);
      }
      if (nl < 0) break;
      start = nl + 1;
    }
    throw new UsageError(`customers file ${file} is not valid UTF-8; re-save it as UTF-8`);
  }
}

/** Index of the first byte of the first invalid UTF-8 sequence in `bytes`, or -1. */
function firstInvalid(bytes) {
  if (decodes(bytes)) return -1;
  // The longest prefix that is valid except, perhaps, for a sequence cut at its end.
  let lo = 0, hi = bytes.length + 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (decodes(bytes.subarray(0, mid), { stream: true })) lo = mid;
    else hi = mid;
  }
  if (decodes(bytes.subarray(0, lo))) return lo; // the byte at lo breaks it
  let p = lo - 1; // else the cut sequence at the end of the prefix: back to its first byte
  while (p > 0 && bytes[p] >= 0x80 && bytes[p] < 0xc0) p--;
  return p;
}

/** Whether `bytes` is valid UTF-8 (with stream: true, a sequence cut at the end is allowed). */
function decodes(bytes, { stream = false } = {}) {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream });
    return true;
  } catch {
    return false;
  }
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
