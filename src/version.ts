// The running sopsync's version, read from its own package.json so there is one place to bump it.
// src/version.ts and dist/version.js both sit one folder below the package root.
import { createRequire } from "node:module";

export const SOPSYNC_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
