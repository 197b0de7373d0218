// The Atlassian Cloud simulator: one loopback origin serving every surface portal-migrate touches.
//
//   const sim = await startSimulator({ port: 0, seed: 1, email, apiToken, scenario: "demo", quiet: true,
//                                      profile: "default" | "strict", settings: { hideEmails: true, ... } });
//   sim.url, sim.port, sim.credentials, sim.config(), sim.state(), await sim.close()
import http from "node:http";
import { Simulator, demoConfig } from "./simulator.js";
import { createHandler } from "./server.js";

export { demoConfig, Simulator };
export { createTenant, normaliseScenario, DEMO_COMPANIES, TARGET_GROUP } from "./seed.js";
export { SETTINGS, SETTING_NAMES, PROFILES, preset } from "./profiles.js";

export async function startSimulator({
  port = 0, seed = 1, email = "demo@example.com", apiToken = "demo-token", scenario = "demo", quiet = true,
  profile = "default", settings: given = {}, propagationDelayMs, latencyMs, migrateAsGuest,
} = {}) {
  const settings = { ...given };
  if (propagationDelayMs !== undefined) settings.propagationDelayMs = propagationDelayMs;
  if (latencyMs !== undefined) settings.latencyMs = latencyMs;
  if (migrateAsGuest !== undefined) settings.migrateAsGuest = migrateAsGuest;
  const sim = new Simulator({ seed, scenario, email, apiToken, profile, settings, quiet });
  const server = http.createServer(createHandler(sim));
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const url = `http://127.0.0.1:${actualPort}`;
  sim.setBaseUrl(url);
  return {
    url,
    port: actualPort,
    credentials: { email, apiToken },
    config: () => sim.config(),
    state: () => sim.state(),
    reset: (options = {}) => {
      const { seed: s, scenario: sc, profile: p, ...rest } = options;
      sim.reset({ seed: s, scenario: sc, profile: p, settings: rest });
    },
    simulator: sim,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
