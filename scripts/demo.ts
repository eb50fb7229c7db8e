// The README's first command: plan and apply the example secrets.yaml against a local moto with the
// example age key, showing create -> no-op -> an out-of-band change detected -> apply restores it.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { smClient } from "../test/helpers/aws.js";
import { startMoto } from "../test/helpers/moto.js";
import { projectRoot } from "../test/helpers/tools.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const moto = await startMoto({ setProcessEnv: false });
const env = {
  ...process.env,
  ...moto.env,
  SOPS_AGE_KEY_FILE: join(projectRoot, "examples/demo-age-key.txt"),
};

function step(title: string, args: string[]): number {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n$ sopsync ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [join(projectRoot, "dist/cli/main.js"), ...args], {
    cwd: projectRoot,
    env,
    stdio: "inherit",
  });
  return r.status ?? 1;
}

let failed = false;
const expect = (code: number, want: number, what: string) => {
  if (code !== want) {
    process.stderr.write(`demo: ${what} exited ${code}, expected ${want}\n`);
    failed = true;
  }
};

try {
  process.stdout.write(`Local Secrets Manager (moto) at ${moto.endpoint}\n`);
  expect(step("1. Plan against an empty account: everything is created", ["plan", "secrets.yaml"]), 0, "plan");
  expect(step("2. Apply", ["apply", "--yes", "secrets.yaml"]), 0, "apply");
  expect(step("3. Plan again: nothing to do", ["plan", "--detailed-exitcode", "secrets.yaml"]), 0, "no-op plan");
  process.stdout.write("\n\x1b[1m== 4. Someone changes demo/api-token by hand, outside sopsync\x1b[0m\n");
  await smClient(moto.endpoint).send(
    new PutSecretValueCommand({ SecretId: "demo/api-token", SecretString: "changed-in-the-console" }),
  );
  expect(
    step("5. The drift cron's plan detects it (exit 2 = changes)", ["plan", "--detailed-exitcode", "secrets.yaml"]),
    2,
    "drift plan",
  );
  expect(step("6. Apply restores the manifest's value", ["apply", "--yes", "secrets.yaml"]), 0, "restore apply");
  expect(step("7. In sync again", ["plan", "--detailed-exitcode", "secrets.yaml"]), 0, "final plan");
} finally {
  await moto.stop();
}
process.exitCode = failed ? 1 : 0;
