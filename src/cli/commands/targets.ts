import type { Command } from "commander";
import { resolveManifestFiles } from "../../manifest/load.js";
import { fleetMatrix } from "../../run/matrix.js";
import { EXIT_OK } from "../exit.js";
import { collect } from "../options.js";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("targets")
    .description("list the (account, region) targets of the manifests, e.g. as a GitHub Actions matrix")
    .argument("[files...]", "manifest files or directories")
    .option("--json", 'print {"include": [{account, region, files, name}]} for strategy.matrix')
    .option("--exclude <glob>", "leave out these files of a directory (repeatable; file name or path)", collect)
    .action(async (files: string[], o) => {
      const entries = await fleetMatrix(await resolveManifestFiles(files, { exclude: o.exclude ?? [] }));
      if (o.json) process.stdout.write(`${JSON.stringify({ include: entries })}\n`);
      else for (const e of entries) process.stdout.write(`${e.name}: account ${e.account}, ${e.region}: ${e.files.join(", ")}\n`);
      setExit(EXIT_OK);
    });
}
