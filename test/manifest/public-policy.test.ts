// allowPublicPolicy in the manifest: off unless declared, and only beside a policy to attach.
import { describe, expect, it } from "vitest";
import { problems, validate } from "./validate-text.js";

const head = "sopsync: 1\nscope:\n  id: test\nsecrets:\n";

describe("allowPublicPolicy", () => {
  it("is off unless declared, and carried when declared beside a policy", () => {
    const d = validate(`${head}  a:
    value: x
    policy: { Version: "2012-10-17", Statement: [] }
  b:
    value: y
    policy: { Version: "2012-10-17", Statement: [] }
    allowPublicPolicy: true
`);
    expect(d.secrets.map((s) => [s.name, s.allowPublicPolicy ?? false])).toEqual([
      ["a", false],
      ["b", true],
    ]);
  });

  it("is refused without a policy to attach, or with policy: null, at its own position", () => {
    expect(
      problems(
        `${head}  a:\n    value: x\n    allowPublicPolicy: true\n  b:\n    value: y\n    policy: null\n    allowPublicPolicy: true\n`,
      ),
    ).toEqual([
      "m.yaml:7:5: secrets.a: `allowPublicPolicy` needs a `policy` to attach",
      "m.yaml:11:5: secrets.b: `allowPublicPolicy` needs a `policy` to attach",
    ]);
    expect(problems(`${head}  a:\n    value: x\n    policy: {}\n    allowPublicPolicy: "yes"\n`)[0]).toMatch(/allowPublicPolicy/);
  });
});
