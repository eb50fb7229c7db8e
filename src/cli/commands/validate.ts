import type { Command } from "commander";
import { SopsyncError } from "../../errors.js";
import { loadManifest, resolveManifestFiles } from "../../manifest/load.js";
import type { DesiredState } from "../../manifest/model.js";
import { duplicateNamesOffline } from "../../run/targets.js";
import { EXIT_ERROR, EXIT_OK, reportError } from "../exit.js";
import { collect } from "../options.js";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("decrypt and check manifests without calling AWS")
    .argument("[files...]", "manifest files or directories")
    .option("--exclude <glob>", "leave out these files of a directory (repeatable; file name or path)", collect)
    .action(async (files: string[], o: { exclude?: string[] }) => {
      let failed = 0;
      const valid: DesiredState[] = [];
      // Every file is checked, so one run reports every problem in every manifest.
      for (const f of await resolveManifestFiles(files, { exclude: o.exclude ?? [] })) {
        try {
          const d = await loadManifest(f);
          valid.push(d);
          process.stdout.write(
            `${f}: ok (${d.secrets.length} secret${d.secrets.length === 1 ? "" : "s"}, scope ${d.scope.id})\n`,
          );
        } catch (err) {
          if (!(err instanceof SopsyncError)) throw err;
          failed++;
          reportError(err, (s) => process.stderr.write(s));
        }
      }
      // Across files: a name declared twice for one target (plan finds the rest, once STS names the accounts).
      const duplicates = duplicateNamesOffline(valid);
      if (duplicates.length) {
        failed++;
        reportError(
          new SopsyncError("MANIFEST_INVALID", "a secret is declared twice across these manifests", { problems: duplicates }),
          (s) => process.stderr.write(s),
        );
      }
      setExit(failed ? EXIT_ERROR : EXIT_OK);
    });
}
