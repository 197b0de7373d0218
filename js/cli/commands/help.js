// portal-migrate help [command]: the overview, or one command's usage and options.
import { parseArgs } from "../args.js";
import { COMMON_OPTIONS } from "../options.js";
import { overview, commandHelp, specFor } from "../usage.js";

export const spec = {
  name: "help",
  summary: "this overview, or a command's options: portal-migrate help <command>",
  usage: "[command [subcommand]]",
  about: "Prints the overview of every command, or one command's usage and options (the same as portal-migrate <command> --help; portal-migrate help jobs show for a subcommand).",
  options: { ...COMMON_OPTIONS },
  exits: [[0, "help printed"], [2, "no such command"]],
};

/** `commands`: the registry ({loadCommand, allSpecs} of commands/index.js), handed in by main.js. */
export async function help(argv, { stdout = process.stdout, commands } = {}) {
  const opts = parseArgs(argv, spec.options, { positional: 2, command: "help" });
  const [name, ...sub] = opts._;
  const text = name === undefined
    ? overview(await commands.allSpecs())
    : commandHelp(specFor((await commands.loadCommand(name)).spec, sub));
  stdout.write(text);
  return 0;
}
