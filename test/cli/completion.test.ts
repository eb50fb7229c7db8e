// `sopsync completion SHELL`: the scripts parse in their shell and complete every command and every
// long option that `sopsync --help` and `sopsync CMD --help` list. Both lists are read from the help,
// not from the completion code, so a command or option added without completion fails here.
// bash is always checked by running the script's completion function. zsh and fish are checked by
// their own parser (and fish by its completion engine) where they are installed — the test names
// say which; where not, their scripts are still checked as text.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import { completionModel, completionScript, type Shell } from "../../src/cli/commands/completion.js";
import { runCli } from "../helpers/cli.js";

const installed = (shell: string) => !spawnSync(shell, ["--version"], { stdio: "ignore" }).error;
const HAS_ZSH = installed("zsh");
const HAS_FISH = installed("fish");
const dir = mkdtempSync(join(tmpdir(), "sopsync-completion-"));

/** Section of a help text: the lines after `title:` up to the next blank line. */
function section(help: string, title: string): string[] {
  const lines = help.split("\n");
  const start = lines.indexOf(`${title}:`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === "");
  return lines.slice(start + 1, end < 0 ? undefined : end);
}
const commandsIn = (help: string) => section(help, "Commands").flatMap((l) => /^ {2}([a-z][\w-]*)/.exec(l)?.[1] ?? []);
const longOptionsIn = (help: string) =>
  section(help, "Options").flatMap((l) => /^ {2}(?:-\w, )?(--[a-z][\w-]*)/.exec(l)?.[1] ?? []);

async function help(args: string[]): Promise<string> {
  const r = await runCli([...args, "--help"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

async function script(shell: Shell): Promise<string> {
  const r = await runCli(["completion", shell]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  return r.stdout;
}

function save(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** What bash's completion function answers for the words typed so far (the last one being completed). */
function bashComplete(file: string, program: string, ...words: string[]): string[] {
  const fn = `_${program}_completion`;
  const quoted = [program, ...words].map((w) => `'${w}'`).join(" ");
  const r = spawnSync(
    "bash",
    [
      "-c",
      `source "$1"; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; COMPREPLY=(); ${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`,
      "-",
      file,
    ],
    { encoding: "utf8" },
  );
  if (r.error) throw new Error(`bash could not be run: ${r.error.message}`);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").filter(Boolean);
}

/** fish's own completion engine, with the script loaded: candidates without their descriptions. */
function fishComplete(file: string, line: string): string[] {
  const r = spawnSync("fish", ["--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, file, line], { encoding: "utf8" });
  if (r.error) throw new Error(`fish could not be run: ${r.error.message}`);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").flatMap((l) => (l ? [l.split("\t")[0] as string] : []));
}

function syntaxCheck(shell: string, file: string): void {
  const r = spawnSync(shell, ["-n", file], { encoding: "utf8" });
  if (r.error) throw new Error(`${shell} could not be run: ${r.error.message}`);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}

/** The zsh `case` branch of one command: from `    CMD)` to its `;;`. */
function zshBranch(text: string, cmd: string): string {
  const m = new RegExp(`\\n {12}${cmd}\\)\\n([\\s\\S]*?);;`).exec(text);
  return m?.[1] ?? "";
}

describe("sopsync completion", () => {
  let commands: string[];
  const options = new Map<string, string[]>();

  beforeAll(async () => {
    commands = commandsIn(await help([]));
    // The commands that must be there whatever else is added: the list really is read from the help.
    expect(commands).toEqual(expect.arrayContaining(["plan", "apply", "validate", "show", "completion", "help"]));
    const helps = await Promise.all(commands.filter((c) => c !== "help").map((c) => help([c])));
    for (const [i, c] of commands.filter((c) => c !== "help").entries()) options.set(c, longOptionsIn(helps[i] as string));
    expect(options.get("plan")).toEqual(expect.arrayContaining(["--format", "--out", "--max-deletes", "--help"]));
  }, 120_000);

  it("bash: bash -n accepts the script, and its function completes every command and each command's long options", async () => {
    const file = save("sopsync.bash", await script("bash"));
    syntaxCheck("bash", file);
    expect(bashComplete(file, "sopsync", "").sort()).toEqual([...commands].sort());
    for (const [cmd, longs] of options) {
      expect(bashComplete(file, "sopsync", cmd, "--").sort(), cmd).toEqual([...longs].sort());
    }
    expect(bashComplete(file, "sopsync", "pl")).toEqual(["plan"]);
    expect(bashComplete(file, "sopsync", "show", "--format", "")).toEqual(["text", "markdown", "json"]);
    expect(bashComplete(file, "sopsync", "completion", "")).toEqual(["bash", "zsh", "fish"]);
    expect(bashComplete(file, "sopsync", "help", "s")).toEqual(["set", "show"]);
    // A file argument or a free option value: nothing offered, so bash's default completes file names.
    expect(bashComplete(file, "sopsync", "plan", "--out", "")).toEqual([]);
    expect(bashComplete(file, "sopsync", "apply", "pla")).toEqual([]);
    expect(await script("bash")).toContain("complete -o default -F _sopsync_completion sopsync");
  }, 60_000);

  it(`zsh: ${HAS_ZSH ? "zsh -n accepts the script and compinit registers it" : "(zsh is not installed here: its syntax is not checked)"}; every command and each command's long options are in it`, async () => {
    const text = await script("zsh");
    const file = save("_sopsync", text);
    if (HAS_ZSH) {
      syntaxCheck("zsh", file);
      const r = spawnSync(
        "zsh",
        [
          "-f",
          "-c",
          'autoload -U compinit && compinit -u -d "$2/zcompdump" && source "$1" && print -r -- $_comps[sopsync]',
          "-",
          file,
          dir,
        ],
        {
          encoding: "utf8",
        },
      );
      expect(r.stdout.trim(), r.stderr).toBe("_sopsync");
    }
    for (const cmd of commands) expect(text, cmd).toMatch(new RegExp(`\\n {8}'${cmd}:`));
    for (const [cmd, longs] of options) {
      const branch = zshBranch(text, cmd);
      for (const long of longs) expect(branch, `${cmd} ${long}`).toMatch(new RegExp(`'\\*?${long}=?\\[`));
    }
    expect(zshBranch(text, "show")).toContain("'--format=[output format]:format:(text markdown json)'");
  }, 60_000);

  it(`fish: ${HAS_FISH ? "fish -n accepts the script, and fish's completion engine offers" : "(fish is not installed here: only the script's text is checked for)"} every command and each command's long options`, async () => {
    const text = await script("fish");
    const file = save("sopsync.fish", text);
    if (HAS_FISH) {
      syntaxCheck("fish", file);
      expect(fishComplete(file, "sopsync ").sort()).toEqual([...commands].sort());
      for (const [cmd, longs] of options) expect(fishComplete(file, `sopsync ${cmd} --`).sort(), cmd).toEqual([...longs].sort());
      expect(fishComplete(file, "sopsync show --format ").sort()).toEqual(["json", "markdown", "text"]);
      expect(fishComplete(file, "sopsync completion ").sort()).toEqual(["bash", "fish", "zsh"]);
      expect(fishComplete(file, "sopsync help s").sort()).toEqual(["set", "show"]);
    }
    for (const cmd of commands) expect(text, cmd).toContain(`-n 'not __sopsync_command' -a ${cmd} -d '`);
    for (const [cmd, longs] of options) {
      for (const long of longs)
        expect(text, `${cmd} ${long}`).toMatch(new RegExp(`-n '__sopsync_using ${cmd}'.* -l ${long.slice(2)} `));
    }
  }, 60_000);

  it("an unknown shell is refused with exit 1 and the shells it knows", async () => {
    const r = await runCli(["completion", "tcsh"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe(
      "error: command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.",
    );
  });

  // The scripts come from commander's metadata: a command added later is completed without a word
  // in completion.ts, and descriptions with quotes, brackets, backslashes and `$` stay text.
  it(`a new command and awkward descriptions, in every shell${HAS_ZSH && HAS_FISH ? "" : ` (syntax checked in bash${HAS_ZSH ? ", zsh" : ""}${HAS_FISH ? ", fish" : ""} only: the others are not installed here)`}`, () => {
    const awkward = 'it\'s [not] `$(touch pwned)` a \\ backslash; "quoted": $HOME';
    const program = new Command("tool").version("1").option("--profile <name>", "a top-level option with a value");
    program.command("frobnicate").description(awkward).option("--wibble <level>", awkward).argument("[files...]");
    program.command("pick").addOption(new Option("--colour <c>", "a colour").choices(["red", "green"]));
    const model = completionModel(program);
    expect(model.commands.map((c) => c.name)).toEqual(["frobnicate", "pick", "help"]);
    const files = Object.fromEntries(
      (["bash", "zsh", "fish"] as const).map((s) => [s, save(`tool.${s}`, completionScript(model, s))]),
    ) as Record<Shell, string>;
    syntaxCheck("bash", files.bash);
    expect(bashComplete(files.bash, "tool", "frob")).toEqual(["frobnicate"]);
    expect(bashComplete(files.bash, "tool", "frobnicate", "--w")).toEqual(["--wibble"]);
    // The value of a top-level option is not taken for the command.
    expect(bashComplete(files.bash, "tool", "--profile", "pick", "frobnicate", "--w")).toEqual(["--wibble"]);
    expect(bashComplete(files.bash, "tool", "pick", "--colour", "")).toEqual(["red", "green"]);
    if (HAS_ZSH) syntaxCheck("zsh", files.zsh);
    if (HAS_FISH) {
      syntaxCheck("fish", files.fish);
      const r = spawnSync("fish", ["--no-config", "-c", "source $argv[1]; complete -C 'tool frob'", files.fish], {
        encoding: "utf8",
      });
      expect(r.stdout).toBe(`frobnicate\t${awkward}\n`);
      expect(fishComplete(files.fish, "tool pick --colour ").sort()).toEqual(["green", "red"]);
      expect(fishComplete(files.fish, "tool --profile pick frobnicate --w")).toEqual(["--wibble"]);
    }
  });

  it("refuses to put anything but a plain word unquoted into a script", () => {
    const program = new Command("tool");
    program
      .command("x")
      .option("--ok <v>", "fine")
      .addOption(new Option("--bad <v>").choices(["a b"]));
    expect(() => completionModel(program)).toThrow(/"a b" is not a plain word/);
  });
});
