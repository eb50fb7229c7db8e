// `completion bash|zsh|fish`: a completion script made from commander's own list of commands and
// options when it is asked for, so a new command or option is completed without anyone listing it.
//
// The scripts are static on purpose. The maintained library that adapts commander (@bomb.sh/tab, 0.0.x)
// answers each Tab press by running `sopsync complete -- …` — close to a second with the AWS SDK
// loaded — and its answers turn the shell's file-name completion off, which is what sopsync's
// arguments (manifests, folders, saved plans) need most.
import { Argument, type Command, type Option } from "commander";
import { SopsyncError } from "../../errors.js";
import { SOPSYNC_VERSION } from "../../version.js";
import { EXIT_OK } from "../exit.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export interface OptionSpec {
  long?: string;
  short?: string;
  description: string;
  takesValue: boolean;
  choices?: readonly string[];
  repeatable: boolean;
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** The fixed values of the first argument (`completion <shell>`); otherwise arguments are file names. */
  argChoices?: readonly string[];
  takesArguments: boolean;
}

export interface CompletionModel {
  program: string;
  options: OptionSpec[];
  commands: CommandSpec[];
}

// Names, flags and choices go into the scripts unquoted: they come from sopsync's code, and anything
// other than a plain word there is a bug, not something to escape.
const WORD = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
function word(s: string): string {
  if (!WORD.test(s)) throw new SopsyncError("INTERNAL", `completion: ${JSON.stringify(s)} is not a plain word`);
  return s;
}

function optionSpec(o: Option): OptionSpec {
  return {
    long: o.long ? word(o.long.replace(/^--/, "")) : undefined,
    short: o.short ? word(o.short.replace(/^-/, "")) : undefined,
    description: oneLine(o.description),
    takesValue: o.required || o.optional,
    choices: o.argChoices?.map(word),
    repeatable: o.variadic || Array.isArray(o.defaultValue),
  };
}

/** A shell shows the description beside each candidate: the first sentence, on one line. */
function oneLine(s: string): string {
  const first = (s.split("\n")[0] ?? "").split(/(?<=\.)\s+(?=[A-Z])/)[0]?.trim() ?? "";
  return first.length > 100 ? `${first.slice(0, 99)}…` : first;
}

/** What the help shows, read from commander: visible commands and options only, --help included. */
export function completionModel(program: Command): CompletionModel {
  const help = program.createHelp();
  const visible = help.visibleCommands(program);
  const names = visible.map((c) => word(c.name()));
  // commander's own `help [command]` takes a command name, not a file.
  const isHelp = (c: Command) => c.name() === "help" && c.registeredArguments[0]?.name() === "command";
  return {
    program: word(program.name()),
    options: help.visibleOptions(program).map(optionSpec),
    commands: visible.map((cmd) => ({
      name: word(cmd.name()),
      description: oneLine(cmd.summary() || cmd.description()),
      options: cmd.createHelp().visibleOptions(cmd).map(optionSpec),
      argChoices: isHelp(cmd) ? names.filter((n) => n !== "help") : cmd.registeredArguments[0]?.argChoices?.map(word),
      takesArguments: cmd.registeredArguments.length > 0,
    })),
  };
}

export function completionScript(model: CompletionModel, shell: Shell): string {
  switch (shell) {
    case "bash":
      return bashScript(model);
    case "zsh":
      return zshScript(model);
    case "fish":
      return fishScript(model);
  }
}

const header = (m: CompletionModel, shell: Shell, load: string) =>
  `# ${shell} completion for ${m.program} ${SOPSYNC_VERSION}, made by '${m.program} completion ${shell}'.\n# ${load}\n`;

const flags = (o: OptionSpec) => [o.long && `--${o.long}`, o.short && `-${o.short}`].filter((f): f is string => !!f);

/** One `case "$cmd"` branch: the options to offer, the values after an option, fixed argument values. */
function bashBranch(label: string, options: OptionSpec[], choices: readonly string[] | undefined): string[] {
  const lines = [`        ${label})`, `            words='${options.flatMap(flags).join(" ")}'`];
  if (choices) lines.push(`            choices='${choices.join(" ")}'`);
  const valued = options.filter((o) => o.takesValue);
  if (valued.length) {
    lines.push('            case "$prev" in');
    // '-': any value, so the shell's default (file names) completes it.
    for (const o of valued) lines.push(`                ${flags(o).join("|")}) values='${o.choices?.join(" ") ?? "-"}' ;;`);
    lines.push("            esac");
  }
  lines.push("            ;;");
  return lines;
}

/** Top-level options that take a value: their value is not the command. */
const valuedFlags = (m: CompletionModel) => m.options.filter((o) => o.takesValue).flatMap(flags);

function bashScript(m: CompletionModel): string {
  const fn = `_${m.program.replace(/[^A-Za-z0-9_]/g, "_")}_completion`;
  const branches = [
    ...bashBranch(
      "''",
      m.options,
      m.commands.map((c) => c.name),
    ),
    ...m.commands.flatMap((c) => bashBranch(c.name, c.options, c.argChoices)),
  ];
  const skip = valuedFlags(m).length ? [`            ${valuedFlags(m).join("|")}) (( i++ )) ;;`] : [];
  return `${header(m, "bash", `Load it with: source <(${m.program} completion bash)`)}
${fn}() {
    local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i
    (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
    # The command is the first word that is neither an option nor a top-level option's value.
    for (( i = 1; i < COMP_CWORD; i++ )); do
        case "\${COMP_WORDS[i]}" in
${[...skip, "            -*) ;;"].join("\n")}
            *) cmd="\${COMP_WORDS[i]}"; break ;;
        esac
    done
    local words="" values="" choices=""
    case "$cmd" in
${branches.join("\n")}
    esac
    if [[ -n "$values" ]]; then
        [[ "$values" != - ]] && COMPREPLY=($(compgen -W "$values" -- "$cur"))
    elif [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    elif [[ -n "$choices" ]]; then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    fi
    return 0
}
complete -o default -F ${fn} ${m.program}
`;
}

/** In a single-quoted zsh word; brackets would end an _arguments description early. */
const zshText = (s: string) => s.replace(/'/g, "'\\''").replace(/\[/g, "(").replace(/\]/g, ")");

function zshOption(o: OptionSpec): string[] {
  const value = o.takesValue ? `:${o.long ?? o.short}:${o.choices ? `(${o.choices.join(" ")})` : "_files"}` : "";
  const repeat = o.repeatable ? "*" : "";
  return flags(o).map(
    (f) => `'${repeat}${f}${o.takesValue && f.startsWith("--") ? "=" : ""}[${zshText(o.description)}]${value}'`,
  );
}

function zshScript(m: CompletionModel): string {
  const fn = `_${m.program.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const commands = m.commands.map((c) => `        '${c.name}:${zshText(c.description)}'`);
  const cases = m.commands.map((c) => {
    const specs = c.options.flatMap(zshOption);
    if (c.argChoices) specs.push(`'1:${c.name}:(${c.argChoices.join(" ")})'`);
    else if (c.takesArguments) specs.push("'*:file:_files'");
    return `            ${c.name})\n                _arguments -s \\\n                    ${specs.join(" \\\n                    ")} ;;`;
  });
  return `#compdef ${m.program}
${header(m, "zsh", `Load it with: source <(${m.program} completion zsh), after compinit; or save it as ${fn} in a folder of $fpath`)}
${fn}() {
    local curcontext="$curcontext" state line
    local -a commands
    commands=(
${commands.join("\n")}
    )
    _arguments -C \\
        ${m.options.flatMap(zshOption).join(" \\\n        ")} \\
        '1: :->command' \\
        '*:: :->args' && return 0
    case $state in
        command) _describe -t commands '${m.program} command' commands ;;
        args)
            case $line[1] in
${cases.join("\n")}
            esac ;;
    esac
}

if [ "$funcstack[1]" = "${fn}" ]; then
    ${fn} "$@"
else
    compdef ${fn} ${m.program}
fi
`;
}

/** In a single-quoted fish word. */
const fishText = (s: string) => s.replace(/\\/g, "\\\\").replace(/'/g, "\\'");

function fishOption(program: string, condition: string, o: OptionSpec): string {
  const parts = [`complete -c ${program} -n '${condition}'`];
  if (o.short) parts.push(`-s ${o.short}`);
  if (o.long) parts.push(`-l ${o.long}`);
  if (o.choices) parts.push(`-x -a '${o.choices.join(" ")}'`);
  else if (o.takesValue) parts.push("-r");
  parts.push(`-d '${fishText(o.description)}'`);
  return parts.join(" ");
}

function fishScript(m: CompletionModel): string {
  const p = m.program;
  const fn = `__${p.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const lines: string[] = [];
  const none = `not ${fn}_command`;
  for (const c of m.commands) lines.push(`complete -c ${p} -f -n '${none}' -a ${c.name} -d '${fishText(c.description)}'`);
  for (const o of m.options) lines.push(fishOption(p, none, o));
  for (const c of m.commands) {
    const using = `${fn}_using ${c.name}`;
    for (const o of c.options) lines.push(fishOption(p, using, o));
    if (c.argChoices) lines.push(`complete -c ${p} -f -n '${using}' -a '${c.argChoices.join(" ")}'`);
  }
  return `${header(m, "fish", `Load it with: ${p} completion fish | source; or save it as ~/.config/fish/completions/${p}.fish`)}
# The command is the first word after ${p} that is neither an option nor a top-level option's value.
function ${fn}_command
    set -l skip 0
    for t in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
${valuedFlags(m).length ? `            case ${valuedFlags(m).join(" ")}\n                set skip 1\n` : ""}            case '-*'
            case '*'
                echo $t
                return 0
        end
    end
    return 1
end

function ${fn}_using
    set -l cmd (${fn}_command)
    test "$cmd" = "$argv[1]"
end

${lines.join("\n")}
`;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "the shell to complete for").choices(SHELLS))
    .action((shell: Shell) => {
      // Read now, not at registration: every command is registered by the time one runs.
      process.stdout.write(completionScript(completionModel(program), shell));
      setExit(EXIT_OK);
    });
}
