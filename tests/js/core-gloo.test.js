// The core's own transport (gloo-net over the global fetch), used when a host gives credentials and
// no fetch: a whole job against the simulator, and the credential rule it shares with every host.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { migrate, validateConfig } from "../../js/core/node.js";
import { startSim, pipelineConfig, memoryJournal, simState } from "./helpers/pipeline.js";

let sim;
before(async () => { sim = await startSim(); });
after(() => sim.close());

test("with credentials and no fetch, the core's gloo-net transport runs a whole job", async () => {
  const config = pipelineConfig(sim);
  const result = await migrate({ companies: ["GLOBEX"] }, config, { credentials: sim.credentials, journal: memoryJournal() });
  assert.equal(result.report.totals.migrated, 5, result.summary);
  assert.equal(result.report.totals.failed, 0);
  const state = await simState(sim);
  assert.equal(state.migrations.length, 5);
});

test("wrong credentials reach the simulator as a 401 (the header was sent, and only the configured one)", async () => {
  const config = pipelineConfig(sim);
  const bad = { email: sim.credentials.email, apiToken: "wrong" };
  await assert.rejects(
    migrate({ companies: ["GLOBEX"] }, config, { credentials: bad, journal: memoryJournal() }),
    (e) => e.code === "ATLASSIAN_API" && e.status === 401,
  );
});

test("the origins the core hands the hosts are parsed origins, one per host", () => {
  const config = pipelineConfig(sim);
  const u = new URL(sim.url);
  const { origins } = validateConfig({ ...config, adminUrl: `http://localhost:${u.port}/`, apiUrl: sim.url });
  assert.deepEqual(origins, [`http://127.0.0.1:${u.port}`, `http://localhost:${u.port}`]);
});
