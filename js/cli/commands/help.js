// portal-migrate help [command]: the overview, or one command's usage and options.
import { parseArgs } from "../args.js";
import { COMMON_OPTIONS } from "../options.js";
import { overview, commandHelp } from "../usage.js";

export const spec = {
  name: "help",
  summary: "this overview, or a command's options: portal-migrate help <command>",
  usage: "[command]",
  about: "Prints the overview of every command, or one command's usage and options (the same as portal-migrate <command> --help).",
  options: { ...COMMON_OPTIONS },
  exits: [[0, "help printed"], [2, "no such command"]],
};

/** `commands`: the registry ({loadCommand, allSpecs} of commands/index.js), handed in by main.js. */
export async function help(argv, { stdout = process.stdout, commands } = {}) {
  const opts = parseArgs(argv, spec.options, { positional: 1, command: "help" });
  const [name] = opts._;
  const text = name === undefined
    ? overview(await commands.allSpecs())
    : commandHelp((await commands.loadCommand(name)).spec);
  stdout.write(text);
  return 0;
}
