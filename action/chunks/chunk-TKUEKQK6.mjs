import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
import{b as n}from"./chunk-LWMQSCCS.mjs";function o(r){let e=Number(r);if(!Number.isInteger(e)||e<0)throw new n("expected a whole number");return e}var i=(r,e)=>[...e??[],r];export{o as a,i as b};
