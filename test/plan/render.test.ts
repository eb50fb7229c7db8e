// Renderers: text (colour only when asked), markdown (summary table, details, sticky marker) and
// json (the plan itself). None of them ever shows a value.
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { plan } from "../../src/plan/plan.js";
import { render } from "../../src/plan/render.js";
import { FLEET_MARKER } from "../../src/plan/render-fleet.js";
import { desiredState, json, liveOf, liveSecret, liveState, secret, str } from "./fixtures.js";

// Built from a string: a regex literal with the ESC control character is easy to misread.
const ESC = String.fromCharCode(27);
const ANSI_ESC = new RegExp(`${ESC}\\[`);
const ANSI_COLOUR = new RegExp(`${ESC}\\[3\\dm`);

const CANARIES = {
  a: "canary-render-pw-81f2",
  b: "canary-render-old-19ac",
  c: "canary-render-token-77d0",
  d: "canary-render-bin-3c3c",
};
const pol = (action: string) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: "*", Action: action, Resource: "*" }],
});

function samplePlan(): Plan {
  const db = secret("prod/db", {
    description: "Primary",
    value: json({ password: CANARIES.a, user: "app" }),
    tags: { team: "platform" },
    policy: pol("secretsmanager:GetSecretValue"),
  });
  const token = secret("prod/token", { value: str(CANARIES.c) });
  const blob = secret("prod/blob", { value: { kind: "binary", bytes: new Uint8Array(Buffer.from(CANARIES.d)) } });
  const keep = ["k1", "k2", "k3", "k4"].map((n) => secret(`prod/${n}`));
  const live = liveState([
    liveOf(db, {
      value: { string: JSON.stringify({ password: CANARIES.b, user: "app", legacy: CANARIES.b }) },
      policy: pol("secretsmanager:*"),
      description: "Old",
    }),
    liveOf(token, { value: { string: CANARIES.b }, versionId: "v2" }),
    liveSecret("prod/gone"),
    liveSecret("prod/hand", { tags: {} }),
    ...keep.map((k) => liveOf(k)),
  ]);
  return plan([{ desired: desiredState([db, token, blob, ...keep], { scope: { id: "team-a", prefix: "prod/" } }), live }], {
    planId: "plan-1",
    createdAt: "2026-01-01T00:00:00Z",
  });
}

function noCanary(out: string) {
  for (const [label, v] of Object.entries(CANARIES)) if (out.includes(v)) throw new Error(`canary ${label} in output`);
}

describe("renderers", () => {
  it("text: one line per secret, key-level value diff, policy as JSON diff, no colour unless asked", () => {
    const out = render(samplePlan(), "text");
    noCanary(out);
    expect(out).not.toMatch(ANSI_ESC);
    expect(out).toContain("m.yaml -> account 123456789012, eu-west-1 (scope team-a)");
    expect(out).toMatch(
      /~ prod\/db: update-metadata, update-value, put-policy\n\s+description: "Old" -> "Primary"\n\s+value: manifest changed\n\s+- legacy \(removed\)\n\s+~ password \(changed\)\n\s+policy:\n\s+@@/,
    );
    expect(out).toMatch(/-\s+"Action": "secretsmanager:\*",\n\s+\+\s+"Action": "secretsmanager:GetSecretValue",/);
    expect(out).toMatch(
      /~ prod\/token: update-value\n\s+value: changed outside sopsync since the last apply\n\s+\(value changed\)/,
    );
    expect(out).toMatch(/\+ prod\/blob: create\n\s+create \(binary value\)/);
    expect(out).toMatch(
      /- prod\/gone: delete\n\s+delete: no longer in the manifest; scheduled for deletion with a 30-day recovery window/,
    );
    expect(out).toContain("· prod/hand: unmanaged, not touched");
    expect(out).toContain("Plan: 1 to create, 2 to update, 1 to delete, 4 in sync.");
    const coloured = render(samplePlan(), "text", { color: true });
    expect(coloured).toMatch(ANSI_COLOUR);
    noCanary(coloured);
  });

  it("markdown: sticky marker, summary table, collapsible details, unmanaged list", () => {
    const out = render(samplePlan(), "markdown");
    noCanary(out);
    expect(out.startsWith("<!-- sopsync:team-a -->\n")).toBe(true);
    expect(out).toContain(
      "| create | update | restore | adopt | delete | drifted | in sync |\n|---:|---:|---:|---:|---:|---:|---:|\n| 1 | 2 | 0 | 0 | 1 | 0 | 4 |",
    );
    expect(out).toContain(
      "<details>\n<summary><code>~</code> <b>prod/db</b>: update-metadata, update-value, put-policy</summary>\n\n```diff\n",
    );
    expect(out.match(/<details>/g)?.length).toBe(5); // 4 changed secrets + the unmanaged list
    expect(out).toContain("- `prod/hand`");
  });

  it("json: the plan itself, versioned, without values", () => {
    const p = samplePlan();
    const out = render(p, "json");
    noCanary(out);
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(p)));
    expect(JSON.parse(out)).toMatchObject({ formatVersion: 2, planId: "plan-1" });
  });

  it("a tag key read from the account with a newline is quoted: no line of the output starts a workflow command", () => {
    const d = desiredState([secret("a")]);
    const live = liveState([liveSecret("a", { tags: { "sopsync:managed-by": "team-a", "x\n::add-mask::y": "v" } })]);
    const p = plan([{ desired: d, live }], { planId: "p", createdAt: "2026-11-30T00:00:00.000Z" });
    for (const format of ["text", "markdown"] as const) {
      const out = render(p, format);
      expect(out).toContain('"x\\n::add-mask::y"');
      expect(out.split("\n").filter((l) => l.startsWith("::"))).toEqual([]);
    }
  });

  it("several targets render as one section each; in markdown, as one fleet comment", () => {
    const one = samplePlan();
    const two: Plan = {
      ...one,
      targets: [
        ...one.targets,
        { ...(one.targets[0] as Plan["targets"][number]), scope: { id: "team-b" }, manifests: [{ file: "b.yaml", sha256: "x" }] },
      ],
    };
    const md = render(two, "markdown");
    // One review: the fleet marker, a table row per target, each target's details collapsed below,
    // and no per-scope marker that the action would split into a comment of its own.
    expect(md.startsWith(`${FLEET_MARKER}\n`)).toBe(true);
    expect(md).not.toMatch(/<!-- sopsync:/);
    expect(md).toMatch(/^\| `\d{12}` \| `eu-west-1` \| `team-a` \|/m);
    expect(md).toMatch(/^\| `\d{12}` \| `eu-west-1` \| `team-b` \|/m);
    expect(md.match(/<summary><code>team-[ab]<\/code> · account/g)).toHaveLength(2);
    expect(render(two, "text").match(/-> account/g)?.length).toBe(2);
    // One target: the scope's own comment, as before.
    expect(render(one, "markdown").startsWith("<!-- sopsync:team-a -->\n")).toBe(true);
  });

  it("safety flag changes (protect dropped, adopt, shorter recovery window) stand out in text and markdown", () => {
    const was = secret("prod/guarded", { protect: true, recoveryWindowDays: 30, recoveryWindowOwn: true });
    const now = secret("prod/guarded", { protect: false, recoveryWindowDays: 7, recoveryWindowOwn: true });
    const taken = secret("prod/taken", { adopt: true });
    const calm = secret("prod/calm", { protect: true });
    const p = plan(
      [
        {
          desired: desiredState([now, taken, calm], { scope: { id: "team-a", prefix: "prod/" } }),
          live: liveState([liveOf(was), liveOf(taken, { tags: {} }), liveOf(secret("prod/calm"))]),
        },
      ],
      { planId: "plan-2", createdAt: "2026-01-01T00:00:00Z" },
    );
    const text = render(p, "text");
    expect(text).toContain("! protect removed: taking this secret out of the manifest will now delete it");
    expect(text).toContain("! recovery window shortened from 30 to 7 days");
    expect(text).toContain("! adopt: takes over a secret that sopsync did not manage");
    // Adding protection narrows what a plan may do: not flagged.
    expect(text.split("\n").filter((l) => l.includes("! ")).length).toBe(3);
    const md = render(p, "markdown");
    expect(md).toContain("> **Safety flags changed**");
    expect(md).toContain("> - `prod/guarded`: protect removed");
    expect(md).toContain("> - `prod/taken`: adopt: takes over");
    expect(md).not.toContain("`prod/calm`: protect");
  });
});
