import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
import{a as o,b as a}from"./chunk-U4JBG5CE.mjs";var s=class extends Error{constructor(r,e,n,d){super(`${r}: ${e}: ${n}`);this.operation=r;this.awsCode=e;this.httpStatus=d;this.name="AwsCallError"}operation;awsCode;httpStatus};var P=0,g=1,S=2,c=3,l=/AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+/gi;function m(t){return t.replace(l,"AGE-SECRET-KEY-\u2026(redacted)")}function p(t){let i=t;if(!i||i.name!=="AbortError"&&i.code!=="ABORT_ERR")return;let r=/Ctrl\+([CD])/.exec(String(i.message));if(r)return new a("ABORTED",`cancelled at the prompt (Ctrl-${r[1]}); nothing was changed`)}function v(t,i){let r=n=>i(m(n)),e=p(t)??t;if(e instanceof a){if(r(`Error: ${e.message}
`),!(e.problems.length===1&&e.message.startsWith(o(e.problems[0]))))for(let d of e.problems)r(`  ${o(d)}
`);return e.fault==="internal"&&r(`This is a bug in sopsync; please report it.
`),e.code==="PLAN_STALE"?c:g}return e instanceof s?(r(`Error: AWS ${e.message}
`),g):(r(`Error (internal): ${e?.message??String(e)}
This is a bug in sopsync; please report it.
`),g)}export{s as a,P as b,g as c,S as d,v as e};
