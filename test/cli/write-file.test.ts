// Output files are the whole new content or untouched: a write that fails half way (disk full) leaves
// neither a truncated file nor a temporary one, and says which file and why.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type WriteFs, writeFileAtomic } from "../../src/cli/write-file.js";
import { SopsyncError } from "../../src/errors.js";

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** Real file operations whose writes put half the data on disk and then fail with `code`. */
function failingWrites(code: string): WriteFs {
  return {
    rename,
    unlink,
    open: (async (...args: Parameters<typeof open>) => {
      const handle = await open(...args);
      return new Proxy(handle, {
        get(target, prop) {
          if (prop === "writeFile")
            return async (data: string) => {
              await target.writeFile(data.slice(0, data.length / 2));
              throw errno(code);
            };
          const v = Reflect.get(target, prop);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    }) as typeof open,
  };
}

async function errorOf(p: Promise<unknown>): Promise<SopsyncError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SopsyncError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("writeFileAtomic", () => {
  it("writes the whole content with the mode asked for, and leaves nothing else behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sopsync-write-"));
    const file = join(dir, "plan.json");
    await writeFileAtomic(file, "first\n", { mode: 0o600 });
    await writeFileAtomic(file, "second\n", { mode: 0o600 });
    expect(readFileSync(file, "utf8")).toBe("second\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["plan.json"]);
  });

  it("on a disk that fills up half way: the old file stays whole, no temporary file, a clear error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sopsync-write-"));
    const file = join(dir, "plan.json");
    writeFileSync(file, "the previous plan\n");
    for (const [code, reason] of [
      ["ENOSPC", "no space left on the device"],
      ["EACCES", "permission denied"],
      ["EROFS", "read-only file system"],
      ["EIO", "write failed"],
    ] as const) {
      const e = await errorOf(writeFileAtomic(file, "x".repeat(10_000), { fs: failingWrites(code) }));
      expect(e.code).toBe("WRITE_FAILED");
      expect(e.fault).toBe("environment");
      expect(e.message).toBe(`cannot write ${file}: ${reason} (${code}); the file was left as it was`);
      expect(readFileSync(file, "utf8")).toBe("the previous plan\n");
      expect(readdirSync(dir)).toEqual(["plan.json"]);
    }
  });

  it("a new file that cannot be written does not appear at all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sopsync-write-"));
    const e = await errorOf(writeFileAtomic(join(dir, "plan.json"), "x".repeat(1000), { fs: failingWrites("ENOSPC") }));
    expect(e.message).toContain("no space left on the device (ENOSPC)");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("names the file for a missing directory or a directory in the way", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sopsync-write-"));
    mkdirSync(join(dir, "taken"));
    expect((await errorOf(writeFileAtomic(join(dir, "missing", "plan.json"), "x"))).message).toBe(
      `cannot write ${join(dir, "missing", "plan.json")}: no such directory (ENOENT); the file was left as it was`,
    );
    expect((await errorOf(writeFileAtomic(join(dir, "taken"), "x"))).message).toMatch(
      /^cannot write .*taken: .*\((EISDIR|ENOTEMPTY|EEXIST)\)/,
    );
    expect(readdirSync(dir)).toEqual(["taken"]);
  });

  it("writes through a symlink to the file it names, and into a device it cannot replace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sopsync-write-"));
    writeFileSync(join(dir, "real.json"), "old");
    symlinkSync(join(dir, "real.json"), join(dir, "link.json"));
    await writeFileAtomic(join(dir, "link.json"), "new");
    expect(readFileSync(join(dir, "real.json"), "utf8")).toBe("new");
    await writeFileAtomic("/dev/null", "discarded");
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
    const e = await errorOf(writeFileAtomic("/dev/full", "x".repeat(100_000)));
    expect(e.message).toBe("cannot write /dev/full: no space left on the device (ENOSPC)");
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
  });
});
