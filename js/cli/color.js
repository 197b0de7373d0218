// Colour: only on a terminal, never with NO_COLOR set to a non-empty value (https://no-color.org/:
// "when present and not an empty string (regardless of its value), prevents the addition of ANSI
// color"), never with --no-color, never for TERM=dumb. Used where it helps a reader: doctor's marks
// and the summary line. Everything else stays plain, so piped output never holds escape codes.

export function colorEnabled(stream, { env = process.env, noColor = false } = {}) {
  if (noColor || !stream?.isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return env.TERM !== "dumb";
}

const SGR = { green: [32, 39], red: [31, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] };

/** { green(s), red(s), yellow(s), bold(s), dim(s) }: each returns s unchanged when disabled. */
export function createStyle(enabled) {
  const style = {};
  for (const [name, [on, off]] of Object.entries(SGR)) {
    style[name] = enabled ? (s) => `\x1b[${on}m${s}\x1b[${off}m` : (s) => s;
  }
  return style;
}

/** The summary line coloured by outcome: red with failures, yellow when unfinished, else green. */
export function styleSummary(style, summary, totals) {
  if (totals?.failed > 0) return style.red(summary);
  if (totals?.unfinished > 0) return style.yellow(summary);
  return style.green(summary);
}
