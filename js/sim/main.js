#!/usr/bin/env node
// Run the simulator standalone:
//   node js/sim/main.js [--port N] [--seed N] [--scenario demo|JSON] [--profile default|strict] [--verbose]
import { startSimulator } from "./index.js";

function args(argv) {
  const out = { port: 0, seed: 1, scenario: "demo", profile: "default", quiet: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--port") out.port = Number(next());
    else if (a === "--seed") out.seed = Number(next());
    else if (a === "--scenario") { const v = next(); out.scenario = v === "demo" ? v : JSON.parse(v); }
    else if (a === "--profile") out.profile = next();
    else if (a === "--verbose") out.quiet = false;
    else if (a === "--help" || a === "-h") {
      console.log("usage: node js/sim/main.js [--port N] [--seed N] [--scenario demo|'{\"companies\":3,\"customersPerCompany\":10}'] [--profile default|strict] [--verbose]");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

let opts;
try {
  opts = args(process.argv.slice(2));
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const sim = await startSimulator(opts);
console.log(`Atlassian simulator listening on ${sim.url}`);
console.log(`profile: ${sim.simulator.tenant.profile}`);
console.log(`credentials: email=${sim.credentials.email} apiToken=${sim.credentials.apiToken}`);
console.log(`config: ${JSON.stringify(sim.config())}`);
const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
