// The X25519 age path without the age-encryption package (src/sops/keys/age-x25519.ts), held against the
// real age binary and the package: it opens what they open, and answers nothing (leaving the file to the
// package) for anything it does not authenticate end to end.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { armor, Decrypter, Encrypter } from "age-encryption";
import { describe, expect, it } from "vitest";
import { ageDecrypt, parseIdentityLines } from "../../src/sops/keys/age.js";
import { bech32Decode, openX25519, x25519Scalar } from "../../src/sops/keys/age-x25519.js";
import { generateAgeKey, toolPath } from "../helpers/tools.js";

const dir = mkdtempSync(join(tmpdir(), "sopsync-age-x25519-"));
const alice = generateAgeKey(dir);
const bob = generateAgeKey(dir);
const carol = generateAgeKey(dir);

/** An armored age file made by the age binary for these recipients. */
function ageArmored(data: Uint8Array, recipients: string[]): string {
  const args = ["--encrypt", "--armor", ...recipients.flatMap((r) => ["-r", r])];
  return execFileSync(toolPath("age"), args, { input: data, encoding: "utf8" });
}

async function packageDecrypt(armored: string, identities: string[]): Promise<Uint8Array> {
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  return d.decrypt(armor.decode(armored.trim()));
}

/** The armored file with its binary form changed by `edit`. */
function rearmored(armored: string, edit: (bytes: Uint8Array) => void): string {
  const bytes = armor.decode(armored.trim());
  edit(bytes);
  return armor.encode(bytes);
}

describe("age X25519 without the package", () => {
  it("opens a data key the age binary wrapped, as the package does, whichever recipient's stanza fits", async () => {
    const key = new Uint8Array(randomBytes(32));
    const file = ageArmored(key, [bob.recipient, alice.recipient]);
    expect(openX25519(file, [alice.identity])).toEqual(key);
    expect(openX25519(file, [carol.identity, bob.identity])).toEqual(key);
    expect(await packageDecrypt(file, [alice.identity])).toEqual(key);
    expect(await ageDecrypt(file, [alice.identity])).toEqual(key);
  });

  it("opens what the package wrapped (sopsync's own writes)", async () => {
    const key = new Uint8Array(randomBytes(32));
    const e = new Encrypter();
    e.addRecipient(alice.recipient);
    const file = armor.encode(await e.encrypt(key));
    expect(openX25519(file, [alice.identity])).toEqual(key);
  });

  it("answers nothing for a file not for these identities; ageDecrypt then says no key fits (null)", async () => {
    const file = ageArmored(randomBytes(32), [bob.recipient]);
    expect(openX25519(file, [alice.identity, carol.identity])).toBeUndefined();
    expect(await ageDecrypt(file, [alice.identity])).toBeNull();
  });

  it("answers nothing for a changed header or payload; the package then refuses the file", async () => {
    const file = ageArmored(randomBytes(32), [alice.recipient]);
    const bytes = armor.decode(file.trim());
    const text = Buffer.from(bytes).toString("latin1");
    const macAt = text.indexOf("\n--- ") + 5;
    // A different (valid base64) MAC, and a flipped bit in the payload's last byte.
    const badMac = rearmored(file, (b) => {
      b[macAt] = b[macAt] === 0x41 ? 0x42 : 0x41;
    });
    const badPayload = rearmored(file, (b) => {
      b[b.length - 1] = (b[b.length - 1] as number) ^ 1;
    });
    for (const bad of [badMac, badPayload]) {
      expect(openX25519(bad, [alice.identity])).toBeUndefined();
      await expect(ageDecrypt(bad, [alice.identity])).rejects.toThrow(/age decryption failed/);
    }
    // An extra stanza added after the MAC was made: the MAC no longer holds.
    const withStanza = armor.encode(
      Buffer.from(text.replace("age-encryption.org/v1\n", "age-encryption.org/v1\n-> grease x\n\n"), "latin1"),
    );
    expect(openX25519(withStanza, [alice.identity])).toBeUndefined();
  });

  it("leaves post-quantum identities, scrypt and malformed armor to the package", async () => {
    const pqFile = join(dir, "pq.txt");
    execFileSync(toolPath("age-keygen"), ["-pq", "-o", pqFile], { stdio: ["ignore", "ignore", "pipe"] });
    const pq = readFileSync(pqFile, "utf8")
      .split("\n")
      .find((l) => l.startsWith("AGE-SECRET-KEY-PQ-1")) as string;
    const pqRecipient = /public key: (age1pq[0-9a-z]+)/.exec(readFileSync(pqFile, "utf8"))?.[1] as string;
    const key = new Uint8Array(randomBytes(32));
    const file = ageArmored(key, [pqRecipient]);
    expect(openX25519(file, [pq])).toBeUndefined();
    expect(openX25519(file, [alice.identity, pq])).toBeUndefined();
    expect(await ageDecrypt(file, [pq])).toEqual(key);
    expect(await parseIdentityLines(`${pq}\n`, "test")).toEqual([pq]);
    const plain = ageArmored(key, [alice.recipient]);
    expect(openX25519(plain.replace(/\n/g, "\r\n"), [alice.identity])).toBeUndefined();
    expect(openX25519("not armored", [alice.identity])).toBeUndefined();
  });

  it("reads identities as the package does: bech32 with its checksum, the prefix, 32 bytes", () => {
    expect(x25519Scalar(alice.identity)?.length).toBe(32);
    const d = new Decrypter();
    for (const id of [alice.identity, bob.identity]) d.addIdentity(id);
    const chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l".toUpperCase();
    // Every one-character change of the data part: the package and this check agree on each.
    const body = alice.identity.slice("AGE-SECRET-KEY-1".length);
    for (let i = 0; i < body.length; i += 3) {
      for (const c of chars.slice(0, 8)) {
        const id = `AGE-SECRET-KEY-1${body.slice(0, i)}${c}${body.slice(i + 1)}`;
        let packageTakes = true;
        try {
          new Decrypter().addIdentity(id);
        } catch {
          packageTakes = false;
        }
        expect(x25519Scalar(id) !== undefined, id === alice.identity ? "own" : "changed").toBe(packageTakes);
      }
    }
    expect(x25519Scalar(alice.identity.toLowerCase())).toBeUndefined(); // the package wants upper case
    expect(x25519Scalar(`${alice.identity.slice(0, 20)}${alice.identity.slice(20).toLowerCase()}`)).toBeUndefined();
    expect(x25519Scalar(alice.identity.slice(0, -1))).toBeUndefined();
    expect(bech32Decode("a12uel5l")).toEqual({ prefix: "a", bytes: Buffer.alloc(0) }); // BIP 173's test vector
    expect(bech32Decode("A12UEL5L")).toEqual({ prefix: "a", bytes: Buffer.alloc(0) });
    expect(bech32Decode("a12uel5m")).toBeUndefined();
  });
});
