// What a manifest may not claim: sopsync's and AWS's tag keys in any case, the apply lock's names, and
// versions of sopsync it was not written for.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requiredVersionProblem } from "../../src/manifest/required-version.js";
import { SOPSYNC_VERSION } from "../../src/version.js";
import { projectRoot } from "../helpers/tools.js";
import { problems, validate } from "./validate-text.js";

describe("reserved tag keys and names", () => {
  it("refuses sopsync: and aws: tag keys in any case, at the key", () => {
    expect(
      problems(`sopsync: 1
scope: { id: s }
defaults:
  tags: { Sopsync:x: 1 }
secrets:
  a:
    value: x
    tags: { SOPSYNC:managed-by: other, sopSync:protected: "true", AWS:x: y, sopsync-ish: fine }
`),
    ).toEqual([
      "m.yaml:4:11: defaults.tags: tag keys starting with 'sopsync:' (any case) are reserved by sopsync",
      "m.yaml:8:13: secrets.a.tags: tag keys starting with 'sopsync:' (any case) are reserved by sopsync",
      "m.yaml:8:40: secrets.a.tags: tag keys starting with 'sopsync:' (any case) are reserved by sopsync",
      "m.yaml:8:67: secrets.a.tags: tag keys starting with 'aws:' are reserved by AWS",
    ]);
  });

  it("refuses secret names of the apply lock", () => {
    expect(
      problems(`sopsync: 1
scope: { id: s }
secrets:
  sopsync-lock/s: { value: x }
  sopsync-lock/other: { value: x }
  app/sopsync-lock/fine: { value: x }
`),
    ).toEqual([
      "m.yaml:4:3: secret names starting with 'sopsync-lock/' are reserved for sopsync's apply lock",
      "m.yaml:5:3: secret names starting with 'sopsync-lock/' are reserved for sopsync's apply lock",
    ]);
  });
});

describe("requiredVersion", () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string };

  it("is this package's version, from package.json", () => {
    expect(SOPSYNC_VERSION).toBe(pkg.version);
  });

  it("accepts a range this version satisfies", () => {
    const d = validate(`sopsync: 1\nrequiredVersion: ">=${SOPSYNC_VERSION}"\nscope: { id: s }\nsecrets: { a: { value: x } }\n`);
    expect(d.secrets.map((s) => s.name)).toEqual(["a"]);
    expect(() => validate(`sopsync: 1\nrequiredVersion: "^0 || ^1"\nscope: { id: s }\n`)).not.toThrow();
  });

  it("an older sopsync refuses, and says only that (a newer manifest may use keys it does not know)", () => {
    expect(
      problems(`sopsync: 1
scope: { id: s }
requiredVersion: ">=99.0.0"
secrets:
  a: { value: x, someNewKey: 1 }
`),
    ).toEqual([`m.yaml:3:18: this manifest needs sopsync >=99.0.0; this is ${SOPSYNC_VERSION}`]);
  });

  it("compares as semver ranges, pre-releases of a satisfying version included", () => {
    expect(requiredVersionProblem(">=0.2.0", "0.1.9")).toBe("this manifest needs sopsync >=0.2.0; this is 0.1.9");
    expect(requiredVersionProblem(">=0.2.0", "0.2.0")).toBeUndefined();
    expect(requiredVersionProblem(">=0.2.0", "0.3.0-rc.1")).toBeUndefined();
    expect(requiredVersionProblem("~0.2", "0.3.0")).toBe("this manifest needs sopsync ~0.2; this is 0.3.0");
    expect(requiredVersionProblem(undefined, "0.1.0")).toBeUndefined();
  });

  it("an invalid range or type is a validation error at the key's value", () => {
    expect(problems(`sopsync: 1\nrequiredVersion: "not a range"\nscope: { id: s }\n`)).toEqual([
      'm.yaml:2:18: requiredVersion: a semver range of sopsync versions, such as ">=0.2.0"',
    ]);
    expect(problems(`sopsync: 1\nrequiredVersion: 2\nscope: { id: s }\n`)).toEqual([
      "m.yaml:2:18: requiredVersion: expected a string, not a number (quote it to make it a string)",
    ]);
  });
});
