import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
function c(...e){let n=Object.create(null);for(let o of e)for(let[r,t]of o)n[r]=t;return n}function s(e,n){return Object.hasOwn(e,n)?e[n]:void 0}export{c as a,s as b};
