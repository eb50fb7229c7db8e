#!/usr/bin/env node
// The only place that touches argv, the TTY and the process exit code.
import { Command, CommanderError } from "commander";
import * as apply from "./commands/apply.js";
import * as plan from "./commands/plan.js";
import * as validate from "./commands/validate.js";
import * as init from "./commands/init.js";
import * as set from "./commands/set.js";
import * as edit from "./commands/edit.js";
import * as importCmd from "./commands/import.js";
import * as forceUnlock from "./commands/force-unlock.js";
import * as rotate from "./commands/rotate.js";
import * as updatekeys from "./commands/updatekeys.js";
import * as show from "./commands/show.js";
import * as completion from "./commands/completion.js";
import * as report from "./commands/report.js";
import * as targets from "./commands/targets.js";
import { SOPSYNC_VERSION } from "../version.js";
import { EXIT_ERROR, reportError } from "./exit.js";
import { quietOnClosedOutput } from "./io.js";

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
  plan.register(program, setExit);
  apply.register(program, setExit);
  validate.register(program, setExit);
  init.register(program, setExit);
  set.register(program, setExit);
  edit.register(program, setExit);
  importCmd.register(program, setExit);
  forceUnlock.register(program, setExit);
  rotate.register(program, setExit);
  updatekeys.register(program, setExit);
  show.register(program, setExit);
  report.register(program, setExit);
  targets.register(program, setExit);
  completion.register(program, setExit);
  try {
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
