// Recovering the 32-byte data key from the master keys in the metadata, and wrapping a data key for
// new master keys (sops.go GetDataKeyWithKeyServices / UpdateMasterKeys): one group = any key of it
// unwraps the whole data key; several groups = Shamir shares, one per group, threshold of them needed.
import { SopsyncError } from "../errors.js";
import { ageDecrypt, ageEncrypt, loadAgeIdentities, type AgeIdentities } from "./keys/age.js";
import { kmsDecrypt, kmsEncrypt } from "./keys/kms.js";
import type { KeyEntry, KeyGroup, SopsMetadata } from "./metadata.js";
import { combineShares, splitSecret } from "./shamir.js";

export function describeKey(k: KeyEntry): string {
  switch (k.kind) {
    case "age":
      return `age ${k.recipient}`;
    case "kms":
      return `AWS KMS ${k.arn}${k.role ? ` (role ${k.role})` : ""}${k.aws_profile ? ` (profile ${k.aws_profile})` : ""}`;
    default:
      return `${k.kind} ${k.name} (not supported by sopsync)`;
  }
}

async function unwrapWith(key: KeyEntry, ages: () => Promise<AgeIdentities>): Promise<Uint8Array> {
  switch (key.kind) {
    case "age": {
      const ids = await ages();
      const part = await ageDecrypt(key.enc, ids.identities);
      if (!part) {
        const where = ids.identities.length
          ? `none of the ${ids.identities.length} age identities found`
          : "no age identity found";
        const problems = [...ids.problems, ...ids.warnings];
        throw new Error(`${where} (looked in ${ids.searched.join(", ")}${problems.length ? `; ${problems.join("; ")}` : ""})`);
      }
      return part;
    }
    case "kms":
      try {
        return await kmsDecrypt(key);
      } catch (e) {
        const err = e as { name?: string; message?: string };
        throw new Error(`${err.name ?? "Error"}: ${err.message ?? "KMS Decrypt failed"}`);
      }
    default:
      throw new Error("this key type is not supported by sopsync");
  }
}

const warned = new Set<string>();

/** A skipped identity is worth one line per process, not one per manifest decrypted. */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`Warning: ${message}\n`);
}

// sops tries age and pgp before the others; we keep the same preference (age before KMS).
const ORDER: Record<KeyEntry["kind"], number> = { age: 0, pgp: 1, kms: 2, gcp_kms: 2, azure_kv: 2, hc_vault: 2 };

export async function getDataKey(m: SopsMetadata, env: NodeJS.ProcessEnv, fileName: string): Promise<Uint8Array> {
  let cached: Promise<AgeIdentities> | undefined;
  const ages = () => {
    cached ??= loadAgeIdentities(env).then((ids) => {
      for (const w of ids.warnings) warnOnce(w);
      return ids;
    });
    return cached;
  };
  const parts: Uint8Array[] = [];
  const report: string[] = [];
  for (const [gi, group] of m.keyGroups.entries()) {
    const sorted = [...group].sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
    let part: Uint8Array | undefined;
    for (const key of sorted) {
      try {
        part = await unwrapWith(key, ages);
        break;
      } catch (e) {
        report.push(`${m.keyGroups.length > 1 ? `group ${gi + 1}: ` : ""}${describeKey(key)}: ${(e as Error).message}`);
      }
    }
    if (part) parts.push(part);
  }
  const needed = m.keyGroups.length > 1 ? m.shamirThreshold || m.keyGroups.length : 1;
  if (m.keyGroups.length === 0 || m.keyGroups.every((g) => g.length === 0)) {
    throw new SopsyncError("SOPS_DECRYPT", `${fileName}: the sops metadata lists no master keys`);
  }
  if (parts.length < needed) {
    const expects = m.keyGroups.flat().map(describeKey).join(", ");
    throw new SopsyncError(
      "SOPS_DECRYPT",
      `${fileName}: no key that fits: could not recover the data key (need ${needed} of ${m.keyGroups.length} key group(s), got ${parts.length}). ` +
        `The file expects: ${expects}.\n  ${report.join("\n  ")}`,
    );
  }
  if (m.keyGroups.length === 1) return parts[0] as Uint8Array;
  try {
    const key = combineShares(parts);
    if (key.length !== 32) throw new Error("recombined key is not 32 bytes");
    return key;
  } catch (e) {
    throw new SopsyncError("SOPS_DECRYPT", `${fileName}: could not combine the Shamir key shares: ${(e as Error).message}`);
  }
}

/** Wraps a data key for every master key of the groups (Shamir shares when there are several groups). */
export async function wrapDataKey(groups: KeyGroup[], threshold: number, dataKey: Uint8Array): Promise<KeyGroup[]> {
  if (groups.length === 0) throw new SopsyncError("USAGE", "no master keys to encrypt for");
  const parts = groups.length === 1 ? [dataKey] : splitSecret(dataKey, groups.length, threshold || groups.length);
  const out: KeyGroup[] = [];
  for (const [i, group] of groups.entries()) {
    const part = parts[i] as Uint8Array;
    const wrapped: KeyGroup = [];
    for (const key of group) {
      if (key.kind === "age") wrapped.push({ ...key, enc: await ageEncrypt(key.recipient, part) });
      else if (key.kind === "kms") {
        wrapped.push({ ...key, enc: await kmsEncrypt(key, part), created_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") });
      } else throw new SopsyncError("SOPS_FORMAT", `cannot encrypt for ${describeKey(key)}`);
    }
    out.push(wrapped);
  }
  return out;
}
