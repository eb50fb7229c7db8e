// sops files that other public projects commit for their own sops tests, with the test keys they use
// (test/fixtures/sops-public, origins in origins.json): sopsync reads each one to exactly what the
// reference `sops -d` prints, with its MAC verified, and refuses the ones sops refuses.
//
// sopsync has no PGP. For a file whose only master keys are PGP, gpg unwraps the data key with the
// project's committed key and age re-wraps it for a fresh key in a copy: values and MAC stay as
// committed, so the copy still tests sopsync's reading of that sops version's file.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { isMap, isScalar, type Node, parseAllDocuments, parseDocument, type Pair } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type ErrorCode, SopsyncError } from "../../src/errors.js";
import { decryptText } from "../../src/sops/index.js";
import { type AgeKey, generateAgeKey, projectRoot, toolPath } from "../helpers/tools.js";
import { normalise, type SopsRun, sops, tempDir } from "./helpers.js";

const ROOT = join(projectRoot, "test/fixtures/sops-public");

const Origin = z.object({
  file: z.string(),
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  path: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sopsVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  format: z.enum(["yaml", "json"]),
  masterKeys: z.array(z.string()).min(1),
  keyFile: z.string(),
  keyKind: z.enum(["age", "age-pq", "pgp"]),
  expected: z.string().regex(/^(decrypts|refused: .+)$/),
  /** What sops 3.11 does, when it differs from `expected` (a sops version limit, not a file problem). */
  sops: z.string().optional(),
  refusal: z.object({ sopsStderr: z.string(), sopsyncCode: z.string().optional() }).optional(),
  note: z.string().optional(),
});
type Origin = z.infer<typeof Origin>;

const Manifest = z.object({
  files: z.array(Origin),
  keys: z.array(z.object({ file: z.string(), repository: z.string(), path: z.string(), commit: z.string() })),
});

const manifest = Manifest.parse(JSON.parse(readFileSync(join(ROOT, "origins.json"), "utf8")));

type Env = Record<string, string>;

const made: string[] = [];
/** A private temp directory, removed after the run (GnuPG homes hold the projects' secret keys). */
function privateDir(prefix: string): string {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
}

/** Runs a helper program (gpg, age) with the given environment; fails loudly when it is missing. */
function run(cmd: string, args: string[], env: Env, input?: string | Buffer): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, args, { input, env: { PATH: process.env.PATH ?? "", ...env } });
  if (r.error) throw new Error(`${cmd} could not be run (${r.error.message}): the public PGP files need GnuPG (gpg) installed`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}

/** `sops -d` output (or the file as committed, for the reference) as data, one entry per document. */
function dataOfText(text: string): unknown[] {
  return parseAllDocuments(text, { intAsBigInt: true }).map((d) => {
    if (d.errors.length) throw new Error(`unparsable sops output: ${d.errors[0]!.code}`);
    return normalise(d.toJS());
  });
}

/** The sops reference: decrypts a copy in a private directory, so no .sops.yaml applies. */
function sopsDecrypt(text: string, format: Origin["format"], env: Env): SopsRun {
  const dir = privateDir("sopsync-public-");
  const path = join(dir, `file.${format}`);
  writeFileSync(path, text);
  return sops(["decrypt", "--input-type", format, "--output-type", format, path], { cwd: dir, env });
}

async function sopsyncDecrypt(text: string, o: Origin, env: Env) {
  const got = await decryptText(text, `${basename(o.path)}.${o.format}`, { env });
  expect(got.format).toBe(o.format);
  return got.documents.map((d) => normalise(d.toJS()));
}

async function sopsyncRefusal(text: string, o: Origin, env: Env): Promise<SopsyncError> {
  const err = await decryptText(text, `${basename(o.path)}.${o.format}`, { env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  // A refusal is a SopsyncError naming the problem, never a crash (TypeError, yaml exception, ...).
  expect(err, `${o.file} should be refused`).toBeInstanceOf(SopsyncError);
  return err as SopsyncError;
}

/** Changes `lastmodified` (the MAC's associated data): a file whose MAC sopsync checks must then fail. */
function withOtherLastModified(text: string): string {
  const out = text.replace(
    /("?lastmodified"?\s*:\s*["']?)(\d{4})/,
    (_, pre: string, year: string) => `${pre}${Number(year) - 1}`,
  );
  expect(out).not.toBe(text);
  return out;
}

/**
 * A copy of a sops file with one more age stanza for `recipient`: `enc` is the file's data key wrapped
 * by age. Edits the text where the `age` entry is (or goes), leaving every other byte as committed.
 */
function withAgeStanza(text: string, recipient: string, enc: string): string {
  const doc = parseDocument(text);
  const meta = doc.get("sops", true);
  if (!isMap(meta) || meta.items.length === 0) throw new Error("no sops metadata to add an age key to");
  const flow = `[{"recipient": ${JSON.stringify(recipient)}, "enc": ${JSON.stringify(enc)}}]`;
  const pairs = meta.items as Pair<Node, Node | null>[];
  const age = pairs.find((p) => isScalar(p.key) && p.key.value === "age");
  if (age) {
    const keyEnd = age.key.range![1];
    const valueEnd = age.value?.range?.[1];
    if (valueEnd === undefined) throw new Error("unexpected empty age entry");
    // A block value's range runs on to the next key: keep the line break and indentation before it.
    const lineBreak = /\r?\n\s*$/.exec(text.slice(keyEnd, valueEnd))?.[0] ?? "";
    return `${text.slice(0, keyEnd)}: ${flow}${lineBreak}${text.slice(valueEnd)}`;
  }
  const at = pairs[0]!.key.range![0];
  const json = text.trimStart().startsWith("{");
  const indent = at - (text.lastIndexOf("\n", at - 1) + 1);
  const next = json ? ", " : `${text.includes("\r\n") ? "\r\n" : "\n"}${" ".repeat(indent)}`;
  return `${text.slice(0, at)}"age": ${flow}${next}${text.slice(at)}`;
}

/** The file's sops metadata as plain data (JSON files parse as YAML too). */
function metadataOf(text: string): { age?: { enc: string }[]; pgp?: { enc: string; fp: string }[] } {
  return (parseDocument(text).toJS() as { sops: ReturnType<typeof metadataOf> }).sops;
}

/** age -a -e: the data key wrapped for one recipient, as sops stores it. */
function ageWrap(dataKey: Buffer, recipient: string): string {
  const r = run(toolPath("age"), ["-e", "-a", "-r", recipient], {}, dataKey);
  if (r.status !== 0) throw new Error(`age -e failed: ${r.stderr}`);
  return r.stdout.toString("utf8");
}

describe("sops files committed by public projects", () => {
  let fresh: AgeKey;
  const gnupgHomes = new Map<string, string>();

  /** A private GnuPG home holding only this key file's keys (so it is the key that decrypts). */
  function gnupgHome(keyFile: string): string {
    let home = gnupgHomes.get(keyFile);
    if (!home) {
      home = privateDir("sopsync-gpg-");
      const r = run("gpg", ["--batch", "--quiet", "--import", join(ROOT, keyFile)], { GNUPGHOME: home });
      if (r.status !== 0) throw new Error(`gpg --import ${keyFile} failed: ${r.stderr}`);
      gnupgHomes.set(keyFile, home);
    }
    return home;
  }

  /** The data key, unwrapped by gpg from the file's PGP stanzas with the project's key. */
  function pgpDataKey(text: string, keyFile: string): Buffer {
    const home = gnupgHome(keyFile);
    for (const stanza of metadataOf(text).pgp ?? []) {
      const r = run("gpg", ["--batch", "--quiet", "--decrypt"], { GNUPGHOME: home }, stanza.enc);
      if (r.status === 0 && r.stdout.length === 32) return r.stdout;
    }
    throw new Error(`no PGP stanza of the file opens with ${keyFile}`);
  }

  /** The data key, unwrapped by the age CLI (which knows post-quantum identities) from the age stanzas. */
  function ageDataKey(text: string, keyFile: string): Buffer {
    for (const stanza of metadataOf(text).age ?? []) {
      const r = run(toolPath("age"), ["-d", "-i", join(ROOT, keyFile)], {}, stanza.enc);
      if (r.status === 0 && r.stdout.length === 32) return r.stdout;
    }
    throw new Error(`no age stanza of the file opens with ${keyFile}`);
  }

  /** Environment for sopsync: only the named key file, and a HOME with no default keys.txt. */
  const ageEnv = (keyFile: string): Env => {
    const home = privateDir("sopsync-home-");
    mkdirSync(join(home, ".config"));
    return { SOPS_AGE_KEY_FILE: keyFile, HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
  };

  beforeAll(() => {
    run("gpg", ["--version"], {});
    fresh = generateAgeKey(privateDir("sopsync-public-key-"));
  });

  afterAll(() => {
    // gpg and sops started one agent per GnuPG home; stop each (ours only, by home).
    for (const home of gnupgHomes.values()) run("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], {});
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it("the matrix keeps its reach: at least 30 files from 6 projects, YAML and JSON, sops 3.2 to 3.13", () => {
    const files = manifest.files;
    const minor = (v: string) => Number(v.split(".")[1]);
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(new Set(files.map((f) => f.repository)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(files.map((f) => f.format))).toEqual(new Set(["yaml", "json"]));
    const minors = new Set(files.map((f) => minor(f.sopsVersion)));
    expect(minors.size).toBeGreaterThanOrEqual(8);
    expect(Math.min(...minors)).toBeLessThanOrEqual(3);
    expect(Math.max(...minors)).toBeGreaterThanOrEqual(12);
    // Most of the matrix must be read by sopsync and sops alike, and files with only age keys among them.
    expect(files.filter((f) => f.expected === "decrypts").length).toBeGreaterThanOrEqual(30);
    expect(files.filter((f) => f.keyKind === "age" && f.expected === "decrypts").length).toBeGreaterThanOrEqual(15);
  });

  it("every file and key is the one committed upstream (origins.json lists each, with its hash)", () => {
    const keyFiles = new Set(manifest.keys.map((k) => k.file));
    for (const o of manifest.files) {
      const bytes = readFileSync(join(ROOT, o.file));
      expect(createHash("sha256").update(bytes).digest("hex"), o.file).toBe(o.sha256);
      expect(o.file).toBe(`${o.repository.replace("/", "__")}/${o.path}`);
      expect(keyFiles, o.keyFile).toContain(o.keyFile);
      expect(o.expected === "decrypts" || o.refusal !== undefined, `${o.file}: a refusal says how`).toBe(true);
      expect(metadataOf(bytes.toString("utf8")), o.file).toBeTruthy();
    }
  });

  for (const o of manifest.files) {
    const title = `${o.repository} ${o.path} (sops ${o.sopsVersion}, ${o.format}, ${o.keyKind}): ${o.sops ? `sops 3.11 ${o.sops}; sopsync ` : ""}${o.expected}`;
    it(title, async () => {
      const text = readFileSync(join(ROOT, o.file), "utf8");
      const keyPath = join(ROOT, o.keyFile);
      const refused = o.expected !== "decrypts";

      if (o.keyKind === "age") {
        const env = ageEnv(keyPath);
        const ref = sopsDecrypt(text, o.format, { SOPS_AGE_KEY_FILE: keyPath });
        if (refused) {
          expect(ref.status, "sops refuses it").not.toBe(0);
          expect(ref.stderr).toContain(o.refusal!.sopsStderr);
          const err = await sopsyncRefusal(text, o, env);
          expect(err.code).toBe(o.refusal!.sopsyncCode as ErrorCode);
          return;
        }
        expect(ref.status, ref.stderr).toBe(0);
        expect(await sopsyncDecrypt(text, o, env)).toEqual(dataOfText(ref.stdout));
        expect((await sopsyncRefusal(withOtherLastModified(text), o, env)).code).toBe("SOPS_MAC");
        return;
      }

      if (o.keyKind === "age-pq") {
        // sops 3.11 predates post-quantum age recipients; that is a sops version limit, so sopsync reads
        // the file, and the reference is sops -d on a copy re-wrapped for an X25519 key.
        const direct = sopsDecrypt(text, o.format, { SOPS_AGE_KEY_FILE: keyPath });
        expect(direct.status, "sops 3.11 cannot use the post-quantum key").not.toBe(0);
        expect(direct.stderr).toContain(o.refusal!.sopsStderr);
        const copy = withAgeStanza(text, fresh.recipient, ageWrap(ageDataKey(text, o.keyFile), fresh.recipient));
        const ref = sopsDecrypt(copy, o.format, { SOPS_AGE_KEY_FILE: fresh.file });
        expect(ref.status, ref.stderr).toBe(0);
        const env = ageEnv(keyPath);
        expect(await sopsyncDecrypt(text, o, env)).toEqual(dataOfText(ref.stdout));
        expect((await sopsyncRefusal(withOtherLastModified(text), o, env)).code).toBe("SOPS_MAC");
        return;
      }

      // PGP: sops reads the committed file with the project's key; sopsync must refuse it clearly
      // (no PGP), and reads the re-wrapped copy.
      const ref = sopsDecrypt(text, o.format, { GNUPGHOME: gnupgHome(o.keyFile) });
      const asIs = await sopsyncRefusal(text, o, ageEnv(fresh.file));
      expect(asIs.code).toBe("SOPS_DECRYPT");
      expect(asIs.message).toMatch(/pgp [0-9A-F]{40} \(not supported by sopsync\)/);
      const copy = withAgeStanza(text, fresh.recipient, ageWrap(pgpDataKey(text, o.keyFile), fresh.recipient));
      // The copy means the same to sops as the committed file (the edit touched only the key list).
      const refCopy = sopsDecrypt(copy, o.format, { SOPS_AGE_KEY_FILE: fresh.file });
      expect(refCopy.status).toBe(ref.status);
      expect(refCopy.stdout).toBe(ref.stdout);
      const env = ageEnv(fresh.file);
      if (refused) {
        expect(ref.status, "sops refuses it").not.toBe(0);
        expect(ref.stderr).toContain(o.refusal!.sopsStderr);
        expect((await sopsyncRefusal(copy, o, env)).code).toBe(o.refusal!.sopsyncCode as ErrorCode);
        return;
      }
      expect(ref.status, ref.stderr).toBe(0);
      expect(await sopsyncDecrypt(copy, o, env)).toEqual(dataOfText(ref.stdout));
      expect((await sopsyncRefusal(withOtherLastModified(copy), o, env)).code).toBe("SOPS_MAC");
    });
  }
});
