// Help text, generated from the command specs (each command module exports `spec`, whose options are
// also what parseArgs accepts), so an option and its help line cannot drift apart.
//
//   spec = { name, summary, usage, about?, options: { name: { type, arg?, help, group? } },
//            groups?: { group: heading }, exits?: [[code, meaning]], examples?: [line],
//            commands?: [[synopsis, summary]], subcommands?: { word: spec } }
//
// A command with subcommands (jobs show, jobs discard) lists them under "commands:"; each
// subcommand's own spec (name "jobs show") drives its parsing and its help (specFor).

const WIDTH = 100;
const COLUMN = 27; // where option help starts

export const EXIT_CODES = [
  [0, "done, no customer failed"],
  [1, "a customer failed (the report says which step and why), a doctor check failed, or an error"],
  [2, "bad usage, config or secrets, or credentials Atlassian refuses"],
  [3, "unfinished: --max-duration ran out, or the job runs in another process; run the printed resume command"],
  [130, "interrupted (Ctrl-C); nothing is lost: run the printed resume command"],
];

const ENVIRONMENT = [
  ["ATLASSIAN_EMAIL", "the service account's email (never in the config)"],
  ["ATLASSIAN_API_TOKEN", "its API token (never in the config)"],
  ["PORTAL_MIGRATE_TIMEOUT_MS", "per-request timeout (default 60000)"],
  ["PORTAL_MIGRATE_STATE_DIR", "where default journals live"],
  ["NO_COLOR", "set (non-empty): no colour; colour is only ever used on a terminal"],
];

const HEADINGS = { required: "required", options: "options", output: "output" };

/** `portal-migrate --help`: what it does, the commands, conventions, exit codes. */
export function overview(specs) {
  const width = Math.max(...specs.map((s) => s.name.length), "--version".length) + 2;
  return [
    "usage: portal-migrate <command> [options]",
    "       portal-migrate <command> --help      (or: portal-migrate help <command>)",
    "",
    wrap("Moves Jira Service Management portal-only customers to Atlassian accounts, then writes the new id back to Assets, adds group memberships and grants the company's Confluence space.", 0),
    "",
    "commands:",
    ...specs.map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    `  ${"--version".padEnd(width)}the version`,
    "",
    "output:",
    wrap("Tables, checklists and summaries go to stdout; progress goes to stderr. With --json (run, resume, jobs, doctor) stdout is exactly one JSON document and the human text goes to stderr. Colour only on a terminal; never with NO_COLOR set or --no-color.", 2),
    "",
    "jobs:",
    wrap("Every run is a job, kept in the site's journal; the same request is the same job, so a re-run never migrates anyone twice. A run does only what it is asked: other unfinished jobs are listed with the commands that resume (portal-migrate resume ID) or discard (portal-migrate jobs discard ID) them, and finished first only with --resume-others. portal-migrate jobs lists them.", 2),
    "",
    "environment:",
    ...ENVIRONMENT.map(([k, v]) => row(k, v, 2, 29)),
    "",
    "exit codes:",
    ...EXIT_CODES.map(([c, m]) => row(String(c), m, 2, 7)),
    "",
  ].join("\n");
}

/** `portal-migrate <command> --help`: that command's usage and options only. */
export function commandHelp(spec) {
  const lines = [`usage: portal-migrate ${spec.name}${spec.usage ? ` ${spec.usage}` : ""}`, ""];
  lines.push(wrap(spec.about ?? spec.summary, 0), "");
  const groups = new Map();
  const shown = { ...spec.options, help: { type: "bool", help: "this text" } };
  for (const [name, o] of Object.entries(shown)) {
    const g = o.group ?? "options";
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(row(`--${name}${o.arg ? ` ${o.arg}` : ""}`, o.help ?? "", 2, COLUMN));
  }
  if (spec.commands?.length) {
    lines.push("commands:", ...spec.commands.map(([call, text]) => row(`portal-migrate ${call}`, text, 2, 36)), "");
  }
  const order = ["required", ...Object.keys(spec.groups ?? {}), "options", "output"];
  for (const g of [...new Set([...order, ...groups.keys()])]) {
    if (!groups.has(g)) continue;
    lines.push(`${spec.groups?.[g] ?? HEADINGS[g] ?? g}:`, ...groups.get(g), "");
  }
  if (spec.examples?.length) lines.push("examples:", ...spec.examples.map((e) => `  ${e}`), "");
  lines.push("exit codes:", ...(spec.exits ?? EXIT_CODES).map(([c, m]) => row(String(c), m, 2, 7)));
  return lines.join("\n") + "\n";
}

/** The spec `argv` asks about: a subcommand's (`jobs show --help`), else the command's own. */
export function specFor(spec, argv) {
  const [word] = argv;
  return word !== undefined && spec.subcommands && Object.hasOwn(spec.subcommands, word) ? spec.subcommands[word] : spec;
}

/** "  key   text" with text starting at `column` (on the next line when key is too long), wrapped. */
function row(key, text, indent, column) {
  const head = " ".repeat(indent) + key;
  const body = wrap(text, column).trimStart();
  if (head.length + 1 < column) return head.padEnd(column) + body;
  return `${head}\n${" ".repeat(column)}${body}`;
}

/** Wraps text to WIDTH, every line indented by `indent`. */
function wrap(text, indent) {
  const out = [];
  let line = "";
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      out.push(" ".repeat(indent) + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(" ".repeat(indent) + line);
  return out.join("\n");
}
