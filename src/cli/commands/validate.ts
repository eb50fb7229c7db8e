import type { Command } from "commander";
import { loadManifest, resolveManifestFiles } from "../../manifest/load.js";
import { EXIT_OK } from "../exit.js";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("decrypt and check manifests without calling AWS")
    .argument("[files...]", "manifest files or directories", [])
    .action(async (files: string[]) => {
      for (const f of await resolveManifestFiles(files)) {
        const d = await loadManifest(f);
        process.stdout.write(`${f}: ok (${d.secrets.length} secret${d.secrets.length === 1 ? "" : "s"}, scope ${d.scope.id})\n`);
      }
      setExit(EXIT_OK);
    });
}
