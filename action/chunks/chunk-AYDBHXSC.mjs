import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
function l(r,t){for(let n=0;n<Math.max(r.length,t.length);n++){let e=r[n]??"",o=t[n]??"";if(e!==o)return e<o?-1:1}return 0}export{l as a};
