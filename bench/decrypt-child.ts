// sopsync's decryption in its own process: time of decryptFile alone (startup excluded) and the
// process's peak RSS. Prints JSON; never any value.
import { decryptFile } from "../src/sops/index.js";

const file = process.argv[2];
if (!file) throw new Error("usage: decrypt-child.ts FILE");
const t = performance.now();
const out = await decryptFile(file);
const seconds = (performance.now() - t) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, documents: out.documents.length, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
