import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
var S="0.1.0";export{S as a};
