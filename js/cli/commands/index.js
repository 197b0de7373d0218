// The commands, in the order the overview lists them. Each module exports `spec` (usage.js) and a
// function named like the command: (argv, io) => exit code. Loaded on demand.
import { UsageError } from "../errors.js";
import { closest } from "../suggest.js";

const LOADERS = {
  run: () => import("./run.js"),
  resume: () => import("./resume.js"),
  jobs: () => import("./jobs.js"),
  doctor: () => import("./doctor.js"),
  demo: () => import("./demo.js"),
  sim: () => import("./sim.js"),
  help: () => import("./help.js"),
};

export const NAMES = Object.keys(LOADERS);

/** { spec, main } of a command; an unknown name is a UsageError suggesting the closest one. */
export async function loadCommand(name) {
  if (!Object.hasOwn(LOADERS, name)) {
    const near = closest(name, [...NAMES, "version"]);
    throw new UsageError(`unknown command ${JSON.stringify(name)}${near ? `; did you mean "${near}"?` : ""} (see portal-migrate --help)`);
  }
  const m = await LOADERS[name]();
  return { spec: m.spec, main: m[name] };
}

export async function allSpecs() {
  return Promise.all(NAMES.map(async (n) => (await loadCommand(n)).spec));
}
