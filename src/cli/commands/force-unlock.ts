import type { Command } from "commander";
import { SopsyncError } from "../../errors.js";
import { resolveManifestFiles } from "../../manifest/load.js";
import { describeHolder, forceUnlock, readLock } from "../../run/lock.js";
import { openTargets, type RunTarget } from "../../run/targets.js";
import { EXIT_OK } from "../exit.js";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("force-unlock")
    .description("remove the apply lock an apply left behind (killed, or its runner lost); writes nothing else")
    .argument("<id>", "the lock ID the 'locked by another apply' error names")
    .argument("[files...]", "manifest files or directories: their scopes are searched for the lock")
    .action(async (id: string, files: string[]) => {
      // The manifests say which account, region and scopes to look in; one target per scope.
      const targets = await openTargets(await resolveManifestFiles(files));
      const matches: RunTarget[] = [];
      const others: string[] = [];
      for (const t of targets) {
        const lock = await readLock(t.port, t.desired.scope.id);
        if (lock.state !== "held" || !lock.holder) continue;
        const scope = t.desired.scope.id;
        if (lock.holder.id === id) matches.push(t);
        else others.push(`scope ${scope} (${t.region}): ${describeHolder(lock.holder, scope, Date.now())}`);
      }
      if (matches.length === 0) {
        const held = others.length ? `; held locks:\n  ${others.join("\n  ")}` : "; none of their locks is held";
        const scopes = targets.map((t) => `${t.desired.scope.id} (${t.region})`).join(", ");
        throw new SopsyncError("USAGE", `no apply lock with ID ${id} in the scopes of these manifests: ${scopes}${held}`);
      }
      for (const t of matches) {
        // Read again just before removing: forceUnlock refuses if the holder changed meanwhile.
        const lock = await readLock(t.port, t.desired.scope.id);
        await forceUnlock(t.port, t.desired.scope.id, id);
        process.stdout.write(
          `Removed the apply lock of scope ${t.desired.scope.id} (account ${t.account}, ${t.region}): ` +
            `${describeHolder(lock.holder, t.desired.scope.id, Date.now())}\n`,
        );
      }
      setExit(EXIT_OK);
    });
}
