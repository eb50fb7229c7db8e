import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
import{a,b,c,d,e,f,g,h,i}from"./chunk-NCMYSIKI.mjs";import"./chunk-UDQHU7QV.mjs";export{i as Decrypter,h as Encrypter,a as Stanza,f as armor,d as generateHybridIdentity,b as generateIdentity,c as generateX25519Identity,e as identityToRecipient,g as webauthn};
