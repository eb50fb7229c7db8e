import { type Command, InvalidArgumentError, Option } from "commander";
import { SopsyncError } from "../../errors.js";
import { resolveManifestFiles } from "../../manifest/load.js";
import { parseDuration } from "../../run/lock.js";
import { resolveRotations, rotateNow, rotationRotator } from "../../run/rotate.js";
import { generatedRotator } from "../../run/rotate-generated.js";
import { openTargets } from "../../run/targets.js";
import { EXIT_ERROR, EXIT_OK } from "../exit.js";
import { confirm, isInteractive } from "../io.js";

function duration(v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("rotate")
    .description(
      "rotate declared secrets now: RotateSecret with the settings they have, or a fresh generated value; refuses any other name, writing nothing",
    )
    .argument("<names...>", "secret names, as declared in the manifests")
    .option("-m, --manifest <file-or-dir...>", "manifest files or directories (default: secrets.yaml)", [])
    .option("--yes", "rotate without asking (required when not on a terminal)")
    .addOption(
      new Option("--lock-timeout <duration>", "wait this long for another apply's lock (e.g. 30s, 5m)")
        .argParser(duration)
        .default(0, "0: fail at once"),
    )
    .action(async (names: string[], o: { manifest: string[]; yes?: boolean; lockTimeout: number }) => {
      const targets = await openTargets(await resolveManifestFiles(o.manifest));
      // Rotation first: a generated secret that declares rotation is rotated by its function.
      const requests = await resolveRotations(targets, names, [rotationRotator, generatedRotator]);
      for (const r of requests) {
        process.stdout.write(
          `  ↻ ${r.secret.name} (account ${r.target.account}, ${r.target.region}): ${r.rotator.describe(r.secret, r.live)}\n`,
        );
      }
      if (!o.yes) {
        if (!isInteractive()) throw new SopsyncError("USAGE", "rotate needs --yes when not run on a terminal");
        if (!(await confirm("Rotate these secrets now?")))
          throw new SopsyncError("ABORTED", "rotate cancelled; nothing was changed");
      }
      const outcomes = await rotateNow(requests, { lockTimeoutMs: o.lockTimeout });
      for (const r of outcomes) process.stdout.write(`${r.ok ? "✓" : "✗"} ${r.name}: ${r.message}\n`);
      setExit(outcomes.every((r) => r.ok) ? EXIT_OK : EXIT_ERROR);
    });
}
