// The action runs action/sopsync.mjs, a committed bundle of the CLI (scripts/bundle.ts): it must be
// exactly what the sources and the locked dependencies build today, or users run stale code.
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { BUNDLE_PATH, buildBundle } from "../../scripts/bundle.js";
import { runProcess } from "../helpers/spawn.js";
import { startMoto, TEST_REGION } from "../helpers/moto.js";
import { projectRoot } from "../helpers/tools.js";
import { MANIFEST_YAML } from "../sops/fixtures.js";
import { sopsEncryptFile } from "../sops/helpers.js";
import { readAction } from "./workflow-steps.js";

const committed = join(projectRoot, BUNDLE_PATH);

describe(BUNDLE_PATH, () => {
  it("is byte for byte what npm run bundle builds now", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "sopsync-bundle-")), "sopsync.mjs");
    await buildBundle(out);
    const fresh = readFileSync(out);
    // Not expect(...).toEqual: a 1.4 MB diff says nothing; the remedy does.
    if (!fresh.equals(readFileSync(committed))) throw new Error("the committed bundle is not current: run npm run bundle");
  });

  it("is what the action runs, and runs with no node_modules beside it", async () => {
    const run = readAction()
      .runs.steps.map((s) => s.run ?? "")
      .join("\n");
    expect(run).toContain(`"$GITHUB_ACTION_PATH/${BUNDLE_PATH}"`);
    expect(run).not.toMatch(/npm (ci|install|run)|dist\/cli/);
    // A copy alone in a folder: nothing it loads may come from this project's node_modules.
    const dir = mkdtempSync(join(tmpdir(), "sopsync-bundle-run-"));
    copyFileSync(committed, join(dir, "sopsync.mjs"));
    copyFileSync(join(projectRoot, "secrets.yaml"), join(dir, "secrets.yaml"));
    const env = { PATH: process.env.PATH ?? "", SOPS_AGE_KEY_FILE: join(projectRoot, "examples/demo-age-key.txt") };
    const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8"));
    const version = await runProcess(process.execPath, ["sopsync.mjs", "--version"], { cwd: dir, env });
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const validate = await runProcess(process.execPath, ["sopsync.mjs", "validate", "secrets.yaml"], { cwd: dir, env });
    expect(validate.stderr).toBe("");
    expect(validate.stdout).toMatch(/^secrets\.yaml: ok \(3 secrets/);
    expect(validate.code).toBe(0);
  });

  it("loads the AWS SDK it bundles when a command needs it: validate of a KMS manifest (with a role) against moto", async () => {
    const moto = await startMoto({ setProcessEnv: false });
    try {
      const kms = new KMSClient({
        region: TEST_REGION,
        endpoint: moto.endpoint,
        credentials: { accessKeyId: moto.env.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY ?? "" },
      });
      const arn = (await kms.send(new CreateKeyCommand({ Description: "sopsync bundle test" }))).KeyMetadata!.Arn!;
      kms.destroy();
      const dir = mkdtempSync(join(tmpdir(), "sopsync-bundle-kms-"));
      copyFileSync(committed, join(dir, "sopsync.mjs"));
      // ARN+ROLE: sops records the role, and decrypting assumes it through STS first.
      const role = "arn:aws:iam::123456789012:role/sops-decrypt";
      sopsEncryptFile(
        dir,
        "kms.yaml",
        MANIFEST_YAML,
        ["--kms", `${arn}+${role}`, "--encrypted-regex", "^(value|binary)$"],
        moto.env,
      );
      expect(readFileSync(join(dir, "kms.yaml"), "utf8")).toContain(`role: ${role}`);
      const r = await runProcess(process.execPath, ["sopsync.mjs", "validate", "kms.yaml"], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", HOME: dir, ...moto.env },
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("kms.yaml: ok (3 secrets, scope platform-prod)\n");
      expect(r.code).toBe(0);
    } finally {
      await moto.stop();
    }
  });
});
