// Spawning the CLI for the output tests: env with a simulator's credentials, a scratch state dir, and
// a reader that can hold stdout back (as a slow pipe consumer does) until a moment of our choosing.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const MAIN = fileURLToPath(new URL("../../../js/cli/main.js", import.meta.url));

/**
 * Runs `node js/cli/main.js ...args` in `dir`. `holdStdout(child, stderrSoFar)`: when given, stdout
 * is not read until the promise it returns resolves (the pipe fills meanwhile). Resolves to
 * {code, signal, stdout, stderr}.
 */
export function runCli(args, { sim, dir, env = {}, holdStdout, onStderr, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: dir,
      env: {
        ...process.env,
        NO_COLOR: "",
        ...(sim ? { ATLASSIAN_EMAIL: sim.credentials.email, ATLASSIAN_API_TOKEN: sim.credentials.apiToken } : {}),
        PORTAL_MIGRATE_STATE_DIR: path.join(dir, "state"),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = [];
    let stderr = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`CLI ${args.join(" ")} timed out\n${stderr}`)); }, timeoutMs);
    child.stderr.on("data", (d) => { stderr += d; onStderr?.(child, stderr); });
    // A listener from the start (else child_process resumes an unread stdout at exit, dropping data);
    // paused, the stream reads until its buffer is full and then the pipe fills.
    child.stdout.on("data", (d) => out.push(d));
    if (holdStdout) {
      child.stdout.pause();
      holdStdout(child).then(() => child.stdout.resume());
    }
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr });
    });
  });
}
