// Where a command's output goes. Human text (tables, summaries, checklists, resume hints) goes to
// stdout, or to stderr with --json, where stdout carries exactly one JSON document for scripts.
// Progress and side notes always go to stderr. Any command that prints a result (run, resume,
// doctor; later jobs) takes one of these:
//
//   const out = createOutput({ json: opts.json, noColor: opts.noColor, stdout, stderr });
//   out.print(table); out.note("resuming ...\n"); out.document({ ... });

import { colorEnabled, createStyle } from "./color.js";

export function createOutput({ json = false, noColor = false, stdout = process.stdout, stderr = process.stderr, env = process.env } = {}) {
  const human = json ? stderr : stdout;
  let documented = false;
  return {
    json,
    stdout,
    stderr,
    /** The stream human text goes to (for progress bars and colour checks). */
    human,
    style: createStyle(colorEnabled(human, { env, noColor })),
    /** Human text: stdout, or stderr with --json. */
    print(text) {
      human.write(text);
    },
    /** Side notes ("resuming job ..."): always stderr, so stdout stays the result. */
    note(text) {
      stderr.write(text);
    },
    /** With --json, writes `doc` as one line of JSON on stdout; only the first call writes. */
    document(doc) {
      if (!json || documented) return false;
      documented = true;
      stdout.write(JSON.stringify(doc) + "\n");
      return true;
    },
    get documented() {
      return documented;
    },
  };
}

/**
 * Resolves once everything written so far to each stream has been handed to the OS (or the stream
 * failed), or after `timeoutMs`. Writes to pipes are asynchronous on POSIX, and process.exit() drops
 * whatever is still queued ("A note on process I/O", https://nodejs.org/api/process.html#a-note-on-process-io;
 * process.exit(): "set process.exitCode and allow the process to exit naturally"). So the CLI never
 * calls process.exit() except on a signal, and then only after this.
 */
export function flushed(streams = [process.stdout, process.stderr], { timeoutMs = 2000 } = {}) {
  const one = (stream) => new Promise((resolve) => {
    if (!stream || stream.destroyed || !stream.writable) return resolve();
    // A write's callback runs after every earlier write on the stream has completed.
    try { stream.write("", () => resolve()); } catch { resolve(); }
  });
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); });
  return Promise.race([Promise.all(streams.map(one)), timeout]).finally(() => clearTimeout(timer));
}

/**
 * A reader that goes away (`portal-migrate run ... | head`) makes writes fail with EPIPE. That must
 * not crash a job midway or skip its report files: the lost output is dropped quietly and the
 * command finishes with its own exit code. Any other stream error is still thrown.
 */
export function ignoreClosedReaders(streams = [process.stdout, process.stderr]) {
  for (const s of streams) {
    s.on("error", (e) => {
      if (e?.code !== "EPIPE" && e?.code !== "ERR_STREAM_DESTROYED") throw e;
    });
  }
}
