import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
import{d as m}from"./chunk-LWMQSCCS.mjs";import{b as u}from"./chunk-7B6MP2XZ.mjs";import{a as $}from"./chunk-M72SC67W.mjs";import{b as h}from"./chunk-U4JBG5CE.mjs";import"./chunk-UDQHU7QV.mjs";var M=["bash","zsh","fish"],b=/^[A-Za-z0-9][A-Za-z0-9._-]*$/;function r(e){if(!b.test(e))throw new h("INTERNAL",`completion: ${JSON.stringify(e)} is not a plain word`);return e}function f(e){return{long:e.long?r(e.long.replace(/^--/,"")):void 0,short:e.short?r(e.short.replace(/^-/,"")):void 0,description:O(e.description),takesValue:e.required||e.optional,choices:e.argChoices?.map(r),repeatable:e.variadic||Array.isArray(e.defaultValue)}}function O(e){let n=(e.split(`
`)[0]??"").split(/(?<=\.)\s+(?=[A-Z])/)[0]?.trim()??"";return n.length>100?`${n.slice(0,99)}\u2026`:n}function j(e){let n=e.createHelp(),t=n.visibleCommands(e),s=t.map(o=>r(o.name())),i=o=>o.name()==="help"&&o.registeredArguments[0]?.name()==="command";return{program:r(e.name()),options:n.visibleOptions(e).map(f),commands:t.map(o=>({name:r(o.name()),description:O(o.summary()||o.description()),options:o.createHelp().visibleOptions(o).map(f),argChoices:i(o)?s.filter(a=>a!=="help"):o.registeredArguments[0]?.argChoices?.map(r),takesArguments:o.registeredArguments.length>0}))}}function k(e,n){switch(n){case"bash":return A(e);case"zsh":return w(e);case"fish":return P(e)}}var l=(e,n,t)=>`# ${n} completion for ${e.program} ${$}, made by '${e.program} completion ${n}'.
# ${t}
`,c=e=>[e.long&&`--${e.long}`,e.short&&`-${e.short}`].filter(n=>!!n);function d(e,n,t){let s=[`        ${e})`,`            words='${n.flatMap(c).join(" ")}'`];t&&s.push(`            choices='${t.join(" ")}'`);let i=n.filter(o=>o.takesValue);if(i.length){s.push('            case "$prev" in');for(let o of i)s.push(`                ${c(o).join("|")}) values='${o.choices?.join(" ")??"-"}' ;;`);s.push("            esac")}return s.push("            ;;"),s}var p=e=>e.options.filter(n=>n.takesValue).flatMap(c);function A(e){let n=`_${e.program.replace(/[^A-Za-z0-9_]/g,"_")}_completion`,t=[...d("''",e.options,e.commands.map(i=>i.name)),...e.commands.flatMap(i=>d(i.name,i.options,i.argChoices))],s=p(e).length?[`            ${p(e).join("|")}) (( i++ )) ;;`]:[];return`${l(e,"bash",`Load it with: source <(${e.program} completion bash)`)}
${n}() {
    local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i
    (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
    # The command is the first word that is neither an option nor a top-level option's value.
    for (( i = 1; i < COMP_CWORD; i++ )); do
        case "\${COMP_WORDS[i]}" in
${[...s,"            -*) ;;"].join(`
`)}
            *) cmd="\${COMP_WORDS[i]}"; break ;;
        esac
    done
    local words="" values="" choices=""
    case "$cmd" in
${t.join(`
`)}
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
complete -o default -F ${n} ${e.program}
`}var S=e=>e.replace(/'/g,"'\\''").replace(/\[/g,"(").replace(/\]/g,")");function g(e){let n=e.takesValue?`:${e.long??e.short}:${e.choices?`(${e.choices.join(" ")})`:"_files"}`:"",t=e.repeatable?"*":"";return c(e).map(s=>`'${t}${s}${e.takesValue&&s.startsWith("--")?"=":""}[${S(e.description)}]${n}'`)}function w(e){let n=`_${e.program.replace(/[^A-Za-z0-9_]/g,"_")}`,t=e.commands.map(i=>`        '${i.name}:${S(i.description)}'`),s=e.commands.map(i=>{let o=i.options.flatMap(g);return i.argChoices?o.push(`'1:${i.name}:(${i.argChoices.join(" ")})'`):i.takesArguments&&o.push("'*:file:_files'"),`            ${i.name})
                _arguments -s \\
                    ${o.join(` \\
                    `)} ;;`});return`#compdef ${e.program}
${l(e,"zsh",`Load it with: source <(${e.program} completion zsh), after compinit; or save it as ${n} in a folder of $fpath`)}
${n}() {
    local curcontext="$curcontext" state line
    local -a commands
    commands=(
${t.join(`
`)}
    )
    _arguments -C \\
        ${e.options.flatMap(g).join(` \\
        `)} \\
        '1: :->command' \\
        '*:: :->args' && return 0
    case $state in
        command) _describe -t commands '${e.program} command' commands ;;
        args)
            case $line[1] in
${s.join(`
`)}
            esac ;;
    esac
}

if [ "$funcstack[1]" = "${n}" ]; then
    ${n} "$@"
else
    compdef ${n} ${e.program}
fi
`}var _=e=>e.replace(/\\/g,"\\\\").replace(/'/g,"\\'");function C(e,n,t){let s=[`complete -c ${e} -n '${n}'`];return t.short&&s.push(`-s ${t.short}`),t.long&&s.push(`-l ${t.long}`),t.choices?s.push(`-x -a '${t.choices.join(" ")}'`):t.takesValue&&s.push("-r"),s.push(`-d '${_(t.description)}'`),s.join(" ")}function P(e){let n=e.program,t=`__${n.replace(/[^A-Za-z0-9_]/g,"_")}`,s=[],i=`not ${t}_command`;for(let o of e.commands)s.push(`complete -c ${n} -f -n '${i}' -a ${o.name} -d '${_(o.description)}'`);for(let o of e.options)s.push(C(n,i,o));for(let o of e.commands){let a=`${t}_using ${o.name}`;for(let v of o.options)s.push(C(n,a,v));o.argChoices&&s.push(`complete -c ${n} -f -n '${a}' -a '${o.argChoices.join(" ")}'`)}return`${l(e,"fish",`Load it with: ${n} completion fish | source; or save it as ~/.config/fish/completions/${n}.fish`)}
# The command is the first word after ${n} that is neither an option nor a top-level option's value.
function ${t}_command
    set -l skip 0
    for t in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
${p(e).length?`            case ${p(e).join(" ")}
                set skip 1
`:""}            case '-*'
            case '*'
                echo $t
                return 0
        end
    end
    return 1
end

function ${t}_using
    set -l cmd (${t}_command)
    test "$cmd" = "$argv[1]"
end

${s.join(`
`)}
`}function W(e,n){e.command("completion").description("print a shell completion script (bash, zsh or fish)").addArgument(new m("<shell>","the shell to complete for").choices(M)).action(t=>{process.stdout.write(k(j(e),t)),n(u)})}export{M as SHELLS,j as completionModel,k as completionScript,W as register};
