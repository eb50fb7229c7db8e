// Errors of the AWS set-up, before any secret is read: no region, no credentials, a profile that does
// not exist, credentials AWS refuses. Each is said as which setting, from where, and what to do; the
// SDK's own text ("Region is missing", "Could not load credentials from any providers") is not enough
// to act on, and its multi-line console warnings are not ours to print.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SopsyncError } from "../errors.js";
import type { Target } from "../manifest/model.js";
import { AwsCallError, type SecretsPort } from "./port.js";

/** The profile in force and where it was set, for messages. */
function profileOf(target: Target, env: NodeJS.ProcessEnv): { name: string; from: string } | undefined {
  if (target.profile) return { name: target.profile, from: "target.profile" };
  if (env.AWS_PROFILE) return { name: env.AWS_PROFILE, from: "AWS_PROFILE" };
  return undefined;
}

function configFiles(env: NodeJS.ProcessEnv): { config: string; credentials: string } {
  return {
    config: env.AWS_CONFIG_FILE || join(homedir(), ".aws", "config"),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), ".aws", "credentials"),
  };
}

/** Whether a profile is declared in the shared config or credentials file (section headers only). */
export function profileDeclared(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const files = configFiles(env);
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  const headers = (text: string) => [...text.matchAll(/^\s*\[\s*([^\]]+?)\s*\]/gm)].map((m) => (m[1] ?? "").replace(/\s+/g, " "));
  const inConfig = headers(read(files.config)).some((h) => h === `profile ${name}` || (name === "default" && h === "default"));
  const inCredentials = headers(read(files.credentials)).includes(name);
  return inConfig || inCredentials;
}

/** "Region is missing" from the SDK, said with where a region can come from. */
export function regionError(err: unknown, target: Target, env: NodeJS.ProcessEnv = process.env): SopsyncError | undefined {
  if (!/Region is missing/i.test(String((err as Error)?.message))) return undefined;
  const p = profileOf(target, env);
  const where = p ? `; profile '${p.name}' (${p.from}) sets none` : "";
  return new SopsyncError(
    "AWS_REGION",
    `no AWS region${where}: set target.region in the manifest, or AWS_REGION, or region in the profile`,
    { cause: err },
  );
}

const REFUSED = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidAccessKeyId",
]);

/** A failed first call (GetCallerIdentity) whose cause is the credentials, said as which source was tried. */
export function credentialsError(err: unknown, target: Target, env: NodeJS.ProcessEnv = process.env): SopsyncError | undefined {
  const e = err as { name?: string; awsCode?: string; message?: string };
  const code = err instanceof AwsCallError ? err.awsCode : (e?.name ?? "");
  const text = String(e?.message ?? "");
  const p = profileOf(target, env);
  if (code === "CredentialsProviderError" || /Could not load credentials|could not be found or parsed/i.test(text)) {
    if (p && !profileDeclared(p.name, env)) {
      const files = configFiles(env);
      return new SopsyncError(
        "AWS_CREDENTIALS",
        `AWS profile '${p.name}' (${p.from}) is not in ${files.config} or ${files.credentials}: fix the name, or create it with \`aws configure --profile ${p.name}\``,
        { cause: err },
      );
    }
    if (p) {
      return new SopsyncError(
        "AWS_CREDENTIALS",
        `AWS profile '${p.name}' (${p.from}) gave no credentials: for SSO run \`aws sso login --profile ${p.name}\`, else check its keys or role in the shared config`,
        { cause: err },
      );
    }
    return new SopsyncError(
      "AWS_CREDENTIALS",
      "no AWS credentials found (tried the environment, the shared config and credentials files, SSO and the instance role): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`",
      { cause: err },
    );
  }
  if (REFUSED.has(code)) {
    const from = p
      ? `profile '${p.name}' (${p.from})`
      : env.AWS_ACCESS_KEY_ID
        ? "AWS_ACCESS_KEY_ID"
        : "the default credential chain";
    return new SopsyncError(
      "AWS_CREDENTIALS",
      `AWS refused the credentials from ${from} (${code}): they are wrong or expired; refresh them (\`aws sso login\`, new keys) and run again`,
      { cause: err },
    );
  }
  return undefined;
}

/** The port, with its first call's credential failures said plainly (every run asks who it is first). */
export function withSetupErrors(port: SecretsPort, target: Target): SecretsPort {
  const callerAccount = port.callerAccount.bind(port);
  port.callerAccount = async () => {
    try {
      return await callerAccount();
    } catch (err) {
      throw credentialsError(err, target) ?? regionError(err, target) ?? err;
    }
  };
  return port;
}
