// age key source: which identities sops would try, and wrapping/unwrapping the data key with them.
// Sources (all of them, every identity tried against every stanza): SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,
// SOPS_AGE_KEY_CMD, and <user config dir>/sops/age/keys.txt.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { openX25519, x25519Scalar } from "./age-x25519.js";

/**
 * The age-encryption package, loaded when first needed: a manifest whose key is an X25519 identity is
 * opened without it (age-x25519.ts); loading it, with its post-quantum and NIST-curve code, costs about
 * 0.1 s of CPU.
 */
const agePackage = () => import("age-encryption");

const run = promisify(execFile);

export interface AgeIdentities {
  identities: string[];
  /** Where identities were looked for, for error messages (paths and variable names, never keys). */
  searched: string[];
  /** Problems reading a configured source (missing key file, failing command). */
  problems: string[];
  /** Identities skipped as malformed, by source and line; never the key text. */
  warnings: string[];
}

export function userConfigDir(env: NodeJS.ProcessEnv, platform = process.platform): string {
  const home = env.HOME ?? homedir();
  if (platform === "darwin") return env.XDG_CONFIG_HOME || join(home, "Library", "Application Support");
  if (platform === "win32") return env.AppData ?? env.APPDATA ?? join(home, "AppData", "Roaming");
  return env.XDG_CONFIG_HOME || join(home, ".config");
}

/**
 * Identity lines of a keys.txt (blank lines and # comments ignored), each checked the way age-encryption
 * will parse it. sops stops at the first line that fails to parse; we skip it with a warning naming the
 * source and line, so one pasted typo does not hide a good key in another source. The library's own
 * error quotes the whole key, so it is never passed on.
 */
export async function parseIdentityLines(text: string, source: string, warnings: string[] = []): Promise<string[]> {
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${source} line ${i + 1}`;
    if (!/^AGE-SECRET-KEY-/i.test(line)) {
      warnings.push(`${where} is not an age identity (expected AGE-SECRET-KEY-1…); skipped`);
      continue;
    }
    // An X25519 identity is checked here as the package checks it (bech32, its prefix, 32 bytes);
    // another kind (a post-quantum AGE-SECRET-KEY-PQ-1…) is the package's to judge.
    if (line.startsWith("AGE-SECRET-KEY-1")) {
      if (x25519Scalar(line)) out.push(line);
      else warnings.push(`${where}: malformed age identity (a wrong, missing or extra character); skipped`);
      continue;
    }
    try {
      new (await agePackage()).Decrypter().addIdentity(line);
      out.push(line);
    } catch {
      warnings.push(`${where}: malformed age identity (a wrong, missing or extra character); skipped`);
    }
  }
  return out;
}

export async function loadAgeIdentities(env: NodeJS.ProcessEnv): Promise<AgeIdentities> {
  const out: AgeIdentities = { identities: [], searched: [], problems: [], warnings: [] };
  const take = async (text: string, source: string) =>
    out.identities.push(...(await parseIdentityLines(text, source, out.warnings)));
  if (env.SOPS_AGE_KEY) {
    out.searched.push("SOPS_AGE_KEY");
    await take(env.SOPS_AGE_KEY, "SOPS_AGE_KEY");
  }
  if (env.SOPS_AGE_KEY_FILE) {
    out.searched.push(`SOPS_AGE_KEY_FILE (${env.SOPS_AGE_KEY_FILE})`);
    try {
      await take(await readFile(env.SOPS_AGE_KEY_FILE, "utf8"), `SOPS_AGE_KEY_FILE ${env.SOPS_AGE_KEY_FILE}`);
    } catch (e) {
      out.problems.push(
        `cannot read SOPS_AGE_KEY_FILE ${env.SOPS_AGE_KEY_FILE}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
  }
  if (env.SOPS_AGE_KEY_CMD) {
    out.searched.push("SOPS_AGE_KEY_CMD");
    try {
      const shell = process.platform === "win32" ? "cmd.exe" : "/bin/sh";
      const args = process.platform === "win32" ? ["/c", env.SOPS_AGE_KEY_CMD] : ["-c", env.SOPS_AGE_KEY_CMD];
      const { stdout } = await run(shell, args, { env, maxBuffer: 1 << 24 });
      await take(stdout, "SOPS_AGE_KEY_CMD output");
    } catch (e) {
      out.problems.push(`SOPS_AGE_KEY_CMD failed (exit ${(e as { code?: unknown }).code ?? "?"})`);
    }
  }
  const defaultFile = join(userConfigDir(env), "sops", "age", "keys.txt");
  out.searched.push(defaultFile);
  let defaultText: string | undefined;
  try {
    defaultText = await readFile(defaultFile, "utf8");
  } catch {
    // The default file is optional.
  }
  if (defaultText !== undefined) await take(defaultText, defaultFile);
  out.identities = [...new Set(out.identities)];
  return out;
}

/** Unwraps an armored age file with any of the identities; null when none of them is a recipient. */
export async function ageDecrypt(enc: string, identities: string[]): Promise<Uint8Array | null> {
  if (identities.length === 0) return null;
  const opened = openX25519(enc, identities);
  if (opened) return opened;
  const { Decrypter, armor } = await agePackage();
  const decrypter = new Decrypter();
  for (const id of identities) decrypter.addIdentity(id);
  let file: Uint8Array;
  try {
    file = armor.decode(enc.trim());
  } catch {
    throw new Error("the age stanza is not a valid armored age file");
  }
  try {
    // Given a stream, the package hands back one, read here: given bytes, it reads its result through
    // a fetch Response, and loading fetch's implementation costs more CPU than the decryption.
    return await readAll(await decrypter.decrypt(bytesStream(file)));
  } catch (e) {
    if (/no identity matched/i.test(String((e as Error).message))) return null;
    throw new Error(`age decryption failed: ${(e as Error).message}`);
  }
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export async function ageEncrypt(recipient: string, data: Uint8Array): Promise<string> {
  const { Encrypter, armor } = await agePackage();
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient.trim());
  return armor.encode(await encrypter.encrypt(data));
}

export function isAgeRecipient(s: string): boolean {
  return /^age1[02-9ac-hj-np-z]+$/.test(s.trim());
}
