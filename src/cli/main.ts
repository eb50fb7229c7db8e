#!/usr/bin/env node
// The only place that touches argv, the TTY and the process exit code.
//
// Start-up is most of a short run's time, so only the invoked command's module is loaded (its
// dependencies with it); `--version` loads none. Whatever lists commands (help, `completion`, an
// unknown command's "did you mean") gets them all, registered in the order below.
import { Command, CommanderError } from "commander";
import { SOPSYNC_VERSION } from "../version.js";
import { EXIT_ERROR, reportError } from "./exit.js";
import { quietOnClosedOutput } from "./io.js";

type Register = (program: Command, setExit: (code: number) => void) => void;

/** Every command, in the order help lists them; each loaded only when needed. */
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  plan: () => import("./commands/plan.js"),
  apply: () => import("./commands/apply.js"),
  validate: () => import("./commands/validate.js"),
  init: () => import("./commands/init.js"),
  set: () => import("./commands/set.js"),
  edit: () => import("./commands/edit.js"),
  import: () => import("./commands/import.js"),
  "force-unlock": () => import("./commands/force-unlock.js"),
  rotate: () => import("./commands/rotate.js"),
  updatekeys: () => import("./commands/updatekeys.js"),
  show: () => import("./commands/show.js"),
  report: () => import("./commands/report.js"),
  targets: () => import("./commands/targets.js"),
  completion: () => import("./commands/completion.js"),
};

const VERSION_FLAGS = new Set(["-V", "--version"]);

/**
 * The commands this argv needs registered. The program's own options are only -V and -h (no values),
 * so the first word not starting with "-" is the command's name. Anything that is not plainly one
 * known command, or a plain `--version`, gets them all: registering all is always correct, just slower.
 */
function commandsFor(args: string[]): string[] {
  const all = Object.keys(COMMANDS);
  const at = args.findIndex((a) => !a.startsWith("-"));
  if (at === -1) return args.length > 0 && args.every((a) => VERSION_FLAGS.has(a)) ? [] : all;
  const name = args[at] as string;
  if (at > 0 || name === "completion" || !Object.hasOwn(COMMANDS, name)) return all;
  return [name];
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedOutput();
  // sopsync pins an SDK release that supports Node 20; its Node 22 notice would only be noise in
  // plans posted to pull requests.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  let code = 0;
  const setExit = (c: number) => {
    code = c;
  };
  const program = new Command("sopsync")
    .description("Keep AWS Secrets Manager equal to a SOPS-encrypted manifest")
    .version(SOPSYNC_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    const modules = await Promise.all(commandsFor(argv.slice(2)).map((name) => COMMANDS[name]!()));
    for (const m of modules) m.register(program, setExit);
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_ERROR;
    return reportError(err, (s) => process.stderr.write(s));
  }
  return code;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportError(err, (s) => process.stderr.write(s));
  },
);
