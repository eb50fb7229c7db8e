import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
import{a}from"./chunk-3NERBYD7.mjs";import"./chunk-UDQHU7QV.mjs";export default a();
