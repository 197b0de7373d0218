// Report rows as the core finishes them (host.rows, see HACKING.md): appended to temporary files next
// to --report and --report-csv, so a job of 100,000 customers never holds its report in memory. A job
// of at most KEEP_ROWS customers gets its files from the whole report, as before (sorted); a bigger
// job's report lists no rows (`omitted`), and its files are assembled from the streamed rows, in the
// order the customers finished.
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { UsageError } from "./errors.js";

// PORTAL_MIGRATE_KEEP_ROWS lowers it (tests exercise big-job files with a few customers).
export const KEEP_ROWS = keepFromEnv(process.env.PORTAL_MIGRATE_KEEP_ROWS) ?? 1000;
const MARK = "\u0000rows\u0000";

/** `files`: {report?, reportCsv?} paths. Returns {host, write(report, csvHeader), discard()}. */
export function rowFiles(files = {}, { keep = KEEP_ROWS } = {}) {
  const json = spool(files.report);
  const csv = spool(files.reportCsv);
  let failed = null;
  const spools = [json, csv].filter(Boolean);
  const discard = () => {
    process.off("exit", discard);
    for (const s of spools) s.remove();
  };
  // Ctrl-C ends the process from its signal handler (job.js onInterrupt): no temp file stays behind.
  if (spools.length) process.on("exit", discard);
  return {
    host: {
      keep,
      // The core ignores what a row callback throws, so a failed write is remembered and raised
      // when the files are written (the journal holds every customer either way).
      row(rowJson, csvLine) {
        if (failed) return;
        try {
          json?.append((json.rows++ ? ",\n" : "") + rowJson);
          csv?.append(csvLine);
        } catch (e) {
          failed = e;
        }
      },
    },
    /** Writes the report files of a report that omitted its rows; returns {json?, csv?}. */
    write(report, csvHeader) {
      try {
        if (failed) throw new UsageError(`cannot write the report rows: ${failed.code ?? failed.message}`);
        const written = {};
        if (json) {
          const { omitted, ...rest } = report;
          const [head, tail] = JSON.stringify({ ...rest, customers: MARK }, null, 2).split(JSON.stringify(MARK));
          json.finish(head + "[\n", "\n]" + tail + "\n");
          written.json = json.target;
        }
        if (csv) {
          csv.finish(csvHeader, "");
          written.csv = csv.target;
        }
        return written;
      } finally {
        discard();
      }
    },
    discard,
  };
}

/** A temporary file beside `target` taking rows; `finish` wraps them and renames it into place. */
function spool(target) {
  if (!target) return null;
  const tmp = `${target}.${process.pid}.rows.tmp`;
  let fd = open(tmp, "w", target);
  return {
    target,
    rows: 0,
    append(text) {
      writeSync(fd, text);
    },
    finish(head, tail) {
      closeSync(fd);
      fd = null;
      const out = `${target}.${process.pid}.tmp`;
      const w = open(out, "w", target);
      try {
        writeSync(w, head);
        copyInto(tmp, w);
        writeSync(w, tail);
      } finally {
        closeSync(w);
      }
      renameSync(out, target);
    },
    remove() {
      if (fd !== null) closeSync(fd);
      fd = null;
      rmSync(tmp, { force: true });
    },
  };
}

function open(file, flags, target) {
  try {
    return openSync(file, flags, 0o600);
  } catch (e) {
    throw new UsageError(`cannot write ${target}: ${e.code ?? e.message}`);
  }
}

function copyInto(file, fd) {
  const r = openSync(file, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (let n; (n = readSync(r, buf, 0, buf.length, null)) > 0;) writeSync(fd, buf, 0, n);
  } finally {
    closeSync(r);
  }
}

function keepFromEnv(v) {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`PORTAL_MIGRATE_KEEP_ROWS: give a whole number ≥ 0, not ${JSON.stringify(v)}`);
  return n;
}
