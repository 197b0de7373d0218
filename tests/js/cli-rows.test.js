// Big-job reports: rows stream to the report files as customers finish (js/cli/rows.js), and a job with
// more customers than the report may keep lists none in memory. With PORTAL_MIGRATE_KEEP_ROWS=5 the
// demo tenant's 39 customers are "big": the files must hold the same rows a small-job run writes
// (compared, as sets, with a run of the same request that keeps every row), the table gives way to
// one line, --json says how many rows were omitted, and no temporary file is left behind.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { startSim, pipelineConfig, tempDir, writeConfig, runCli, parseCsv } from "./helpers/pipeline.js";

let small; // {run, json, csv} kept every row
let big; // the same request on a fresh tenant, rows streamed
let tmp;

async function job(keep, name) {
  const sim = await startSim();
  try {
    const config = writeConfig(tmp, pipelineConfig(sim), `${name}.config.json`);
    const files = { json: tmp.file(`${name}.json`), csv: tmp.file(`${name}.csv`) };
    const env = keep === undefined ? {} : { PORTAL_MIGRATE_KEEP_ROWS: String(keep) };
    const run = await runCli(sim, ["run", "--config", config, "--report", files.json, "--report-csv", files.csv,
      "--journal", tmp.file(`${name}.journal.jsonl`), "--progress", "none", "--json"], { env });
    return { run, doc: JSON.parse(run.stdout), json: JSON.parse(readFileSync(files.json, "utf8")), csv: readFileSync(files.csv, "utf8") };
  } finally {
    await sim.close();
  }
}

before(async () => {
  tmp = tempDir("pm-rows-");
  small = await job(undefined, "small");
  big = await job(5, "big");
});
after(() => tmp.cleanup());

/** A row without what differs between two tenants (the new ids, the object ids are the same seed). */
const key = (c) => JSON.stringify([c.email, c.company, c.status, c.steps, c.failedStep ?? null, c.space ?? null]);

test("a big job's JSON report holds every row, the same rows as a job that kept them", () => {
  assert.equal(small.run.code, 0, small.run.stderr);
  assert.equal(big.run.code, 0, big.run.stderr);
  assert.equal(small.json.customers.length, 39);
  assert.equal(big.json.customers.length, 39);
  assert.deepEqual(big.json.customers.map(key).sort(), small.json.customers.map(key).sort());
  assert.equal(new Set(big.json.customers.map((c) => c.accountId).filter(Boolean)).size, 38, "38 migrated, one skipped: each new id once");
  assert.deepEqual(big.json.totals, small.json.totals);
  assert.deepEqual(big.json.byCompany, small.json.byCompany);
  assert.equal(big.json.omitted, undefined, "the file lists its rows");
});

test("a big job's CSV has the header and one line per customer", () => {
  const s = parseCsv(small.csv);
  const b = parseCsv(big.csv);
  assert.deepEqual(b[0], s[0]);
  assert.equal(b.length, 40);
  const byEmail = (rows) => rows.slice(1).map((r) => [r[2], r[3], r[5], r[8], r[9], r[10], r[11]].join("|")).sort();
  assert.deepEqual(byEmail(b), byEmail(s));
});

test("the big job's --json document and table say the rows are in the files", () => {
  assert.equal(big.doc.report.omitted, 39);
  assert.deepEqual(big.doc.report.customers, []);
  assert.equal(big.doc.report.totals.migrated, 38);
  assert.match(big.run.stderr, /39 customers: too many to list here; every row is in the report files/);
  assert.doesNotMatch(big.run.stderr, /OLD ID -> NEW ID/);
  assert.match(small.run.stderr, /OLD ID -> NEW ID/);
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
});
