// `sopsync edit` as a user runs it, checked by the reference sops: stop signals leave no plaintext and
// no editor behind, problems refuse the save (reopening the editor on a terminal, with everything
// typed kept), and unquoted spellings that change are warned about by place, never by value.
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEdit, stripProblemHeader } from "../../src/cli/commands/edit.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { sopsDecryptData, sopsEncryptFile, tempDir } from "../sops/helpers.js";

const CANARY = "canary-edit-91c2-do-not-print";

const MANIFEST = `sopsync: 1
target:
  region: eu-west-1
scope:
  id: platform-prod
  prefix: prod/
secrets:
  prod/db:
    description: Primary database
    value:
      username: app
      password: ${CANARY}-pw
      port: 5432
  prod/api-token:
    value: ${CANARY}-token
`;

type Secrets = Record<string, { value?: unknown }>;

/** An editor: a shell script run with the temp file as $1. */
function editorScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nset -e\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Alive and not a zombie (an orphan may wait for a reaper that never comes in a container). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("sopsync edit", () => {
  let key: AgeKey;
  let env: Record<string, string>;

  beforeAll(() => {
    key = generateAgeKey(tempDir());
    env = { SOPS_AGE_KEY: key.identity };
  });

  afterAll(() => {
    assertNoCanary(allOutput, { canary: CANARY });
  });

  function manifest(
    text = MANIFEST,
    rule = ["--encrypted-regex", "^(value|binary)$"],
  ): { dir: string; file: string; tmp: string } {
    const dir = tempDir("sopsync-edit-test-");
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const file = sopsEncryptFile(dir, "secrets.yaml", text, ["--age", key.recipient, ...rule]);
    return { dir, file, tmp };
  }
  const secretsOf = (file: string, dir: string) => (sopsDecryptData(file, dir, env)[0] as { secrets: Secrets }).secrets;
  const editDirs = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith("sopsync-edit-"));

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal}: the editor and what it started are killed, the plaintext folder removed, exit ${128 + constants.signals[signal]}`, async () => {
      const { dir, file, tmp } = manifest();
      const before = readFileSync(file);
      // Types into the plaintext copy, then waits with a child of its own, as an editor with a helper would.
      const editor = editorScript(
        dir,
        "editor.sh",
        [
          `sed -i 's/${CANARY}-pw/${CANARY}-typed/' "$1"`,
          `echo "$1" > "${dir}/tmpfile"`,
          "sleep 60 &",
          `echo $! > "${dir}/helper.pid"`,
          `echo $$ > "${dir}/editor.pid"`,
          "wait",
        ].join("\n"),
      );
      let child: ChildProcess | undefined;
      let exited: Promise<unknown> | undefined;
      const run = runCli(["edit", file], {
        env: { ...env, EDITOR: editor, TMPDIR: tmp },
        onSpawn: (c) => {
          child = c;
          exited = new Promise((resolveExit) => c.once("exit", resolveExit));
        },
      });
      await waitFor(() => existsSync(join(dir, "editor.pid")), "the editor to start");
      const editorPid = Number(readFileSync(join(dir, "editor.pid"), "utf8"));
      const helperPid = Number(readFileSync(join(dir, "helper.pid"), "utf8"));
      const plaintextFile = readFileSync(join(dir, "tmpfile"), "utf8").trim();
      expect(plaintextFile.startsWith(join(tmp, "sopsync-edit-"))).toBe(true);
      expect(readFileSync(plaintextFile, "utf8")).toContain(`${CANARY}-typed`);
      expect(editDirs(tmp)).toHaveLength(1);
      expect(alive(editorPid) && alive(helperPid)).toBe(true);

      child!.kill(signal);
      // Checked when sopsync exits, not when its output closes: a surviving editor would hold the pipes open.
      await exited;
      expect(editDirs(tmp)).toEqual([]);
      expect(existsSync(plaintextFile)).toBe(false);
      await waitFor(() => !alive(editorPid) && !alive(helperPid), "the editor and its helper to be gone", 1_000);
      const r = await run;
      expect(r.code).toBe(128 + constants.signals[signal]);
      expect(r.stderr).toContain(`stopped by ${signal}`);
      expect(readFileSync(file).equals(before)).toBe(true);
    });
  }

  it("off a terminal, a manifest that fails validation is not saved: problems as file:line:col, exit 1", async () => {
    const { dir, file, tmp } = manifest();
    const before = readFileSync(file);
    const cases: [string, RegExp][] = [
      [`sed -i 's|  prod/api-token:|  prod/api token:|' "$1"`, /secrets\.yaml:14:5: secret names are 1-512 characters/],
      [
        `sed -i 's|  prod/api-token:|  staging/api-token:|' "$1"`,
        /secrets\.yaml:14:5: secret name is outside scope\.prefix 'prod\/'/,
      ],
      [
        `sed -i 's|        value: ${CANARY}-token|        valeu: ${CANARY}-token|' "$1"`,
        /secrets\.yaml:15:9: unknown key 'valeu' in secrets\.prod\/api-token/,
      ],
      [`printf 'secrets:\\n  - [unclosed\\n' > "$1"`, /secrets\.yaml:\d+:\d+: invalid YAML/],
    ];
    for (const [i, [edit, problem]] of cases.entries()) {
      const editor = editorScript(dir, `editor-${i}.sh`, edit);
      const r = await runCli(["edit", file], { env: { ...env, EDITOR: editor, TMPDIR: tmp } });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(problem);
      expect(r.stderr).toContain("was not changed");
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(editDirs(tmp)).toEqual([]);
    }
  });

  it("on a terminal, problems reopen the editor with them on top; everything typed is kept and saved once fixed", async () => {
    const { dir, file, tmp } = manifest();
    const log = join(dir, "rounds");
    // Round 1 types a new value and misspells a key; round 2 records what it was shown, then fixes it.
    const editor = editorScript(
      dir,
      "editor.sh",
      [
        `if [ ! -e "${log}" ]; then`,
        `  echo 1 > "${log}"`,
        `  sed -i 's/${CANARY}-pw/${CANARY}-typed/; s/^\\(        \\)value: ${CANARY}-token/\\1valeu: ${CANARY}-token/' "$1"`,
        "else",
        `  cp "$1" "${dir}/round2.txt"`,
        `  sed -i 's/valeu:/value:/' "$1"`,
        "fi",
      ].join("\n"),
    );
    const stderr: string[] = [];
    const changed = await runEdit(file, { env, editor, interactive: true, warn: (l) => stderr.push(l) });
    expect(changed).toBe(true);
    const shown = readFileSync(join(dir, "round2.txt"), "utf8");
    const header = shown.split("\n").filter((l) => l.startsWith("# [sopsync]"));
    expect(header[0]).toMatch(/Not saved: fix the (problem|\d+ problems) below/);
    // The line number points at the misspelt key in the file as shown, header included.
    const problem = header.find((l) => l.includes("unknown key 'valeu'"));
    const line = Number(/line (\d+), col (\d+)/.exec(problem ?? "")?.[1]);
    expect(shown.split("\n")[line - 1]).toMatch(/^\s+valeu:/);
    expect(stripProblemHeader(shown)).toContain(`${CANARY}-typed`);
    const secrets = secretsOf(file, dir);
    expect(secrets["prod/db"]!.value).toMatchObject({ password: `${CANARY}-typed` });
    expect(secrets["prod/api-token"]!.value).toBe(`${CANARY}-token`);
    expect(readFileSync(file, "utf8")).not.toContain("[sopsync]");
    expect(editDirs(tmp)).toEqual([]);
  });

  it("on a terminal, a YAML error reopens the editor; quitting without a change gives up and writes nothing", async () => {
    const { dir, file } = manifest();
    const before = readFileSync(file);
    const log = join(dir, "rounds");
    const editor = editorScript(
      dir,
      "editor.sh",
      [
        `if [ ! -e "${log}" ]; then`,
        `  echo 1 > "${log}"`,
        `  printf '  bad: [\\n' >> "$1"`,
        "else",
        `  cp "$1" "${dir}/round2.txt"`,
        "fi",
      ].join("\n"),
    );
    await expect(runEdit(file, { env, editor, interactive: true, warn: () => {} })).rejects.toMatchObject({
      code: "ABORTED",
      message: expect.stringMatching(/quit without fixing the problems/),
    });
    expect(readFileSync(join(dir, "round2.txt"), "utf8")).toMatch(/^# \[sopsync\] Not saved[\s\S]*invalid YAML/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("unquoted values stored as another string are warned about by file:line and path, never by value", async () => {
    const { dir, file, tmp } = manifest();
    const editor = editorScript(
      dir,
      "editor.sh",
      [
        `sed -i 's/port: 5432/port: 0012345/' "$1"`,
        `sed -i 's/^\\(        \\)value: ${CANARY}-token/\\1value: 1.250/' "$1"`,
      ].join("\n"),
    );
    const r = await runCli(["edit", file], { env: { ...env, EDITOR: editor, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /secrets\.yaml:13:19: warning: secrets\.prod\/db\.value\.port: an unquoted number with a leading zero is stored as a different string \(read as octal, in decimal\); quote it to keep it as written/,
    );
    expect(r.stderr).toMatch(
      /secrets\.yaml:15:16: warning: secrets\.prod\/api-token\.value: an unquoted number with trailing zeros/,
    );
    for (const text of ["12345", "5349", "1.25"]) expect(r.stderr).not.toContain(text);
    // Stored as sops types it: what the warning said.
    const secrets = secretsOf(file, dir);
    expect((secrets["prod/db"]!.value as Record<string, unknown>).port).toBe(5349);
    expect(secrets["prod/api-token"]!.value).toBe(1.25);
    expect(editDirs(tmp)).toEqual([]);
  });

  it("a value the file's rule leaves in plaintext is saved as typed, with a warning naming it and why", async () => {
    const { dir, file, tmp } = manifest(MANIFEST, []); // sops's default rule: the _unencrypted suffix
    const editor = editorScript(dir, "editor.sh", `sed -i 's|  prod/api-token:|  prod/api-token_unencrypted:|' "$1"`);
    const r = await runCli(["edit", file], { env: { ...env, EDITOR: editor, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `${file}: warning: secrets.prod/api-token_unencrypted.value is stored in plaintext: the key 'prod/api-token_unencrypted' ends with the file's unencrypted_suffix '_unencrypted' (sops's default rule)`,
    );
    expect(r.stderr).not.toMatch(/prod\/db\.value.*plaintext/);
    expect(secretsOf(file, dir)["prod/api-token_unencrypted"]!.value).toBe(`${CANARY}-token`);
  });
});
