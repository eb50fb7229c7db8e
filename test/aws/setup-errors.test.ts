// The AWS set-up errors as the SDK raises them, said plainly (src/aws/setup-errors.ts). The CLI table
// (test/cli/errors.test.ts) runs the ones moto can produce; credentials AWS refuses cannot be, since
// moto accepts any key and the fault proxy answers in JSON where STS speaks XML.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AwsCallError } from "../../src/aws/port.js";
import { credentialsError, profileDeclared, regionError } from "../../src/aws/setup-errors.js";

const home = () => {
  const dir = mkdtempSync(join(tmpdir(), "sopsync-setup-"));
  mkdirSync(join(dir, ".aws"));
  return dir;
};
const envIn = (dir: string, more: Record<string, string> = {}) => ({
  AWS_CONFIG_FILE: join(dir, ".aws", "config"),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, ".aws", "credentials"),
  ...more,
});

describe("AWS set-up errors", () => {
  it("credentials AWS refuses name their source and what to do", () => {
    const err = new AwsCallError(
      "GetCallerIdentity",
      "InvalidClientTokenId",
      "The security token included in the request is invalid.",
      403,
    );
    const e = credentialsError(err, {}, envIn(home(), { AWS_ACCESS_KEY_ID: "AKIA" }));
    expect(e?.code).toBe("AWS_CREDENTIALS");
    expect(e?.message).toBe(
      "AWS refused the credentials from AWS_ACCESS_KEY_ID (InvalidClientTokenId): they are wrong or expired; refresh them (`aws sso login`, new keys) and run again",
    );
    const expired = new AwsCallError(
      "GetCallerIdentity",
      "ExpiredToken",
      "The security token included in the request is expired",
      400,
    );
    expect(credentialsError(expired, { profile: "prod" }, envIn(home()))?.message).toMatch(
      /^AWS refused the credentials from profile 'prod' \(target.profile\) \(ExpiredToken\)/,
    );
  });

  it("a profile is found in either shared file, by its section header", () => {
    const dir = home();
    writeFileSync(join(dir, ".aws", "config"), "[default]\nregion = eu-west-1\n[profile  team ]\nregion = eu-west-1\n");
    writeFileSync(join(dir, ".aws", "credentials"), "[keys]\naws_access_key_id = x\n");
    const env = envIn(dir);
    expect(["default", "team", "keys", "nosuch", "profile team"].map((p) => profileDeclared(p, env))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it("other failures are left alone", () => {
    const throttled = new AwsCallError("GetCallerIdentity", "ThrottlingException", "Rate exceeded", 400);
    expect(credentialsError(throttled, {}, envIn(home()))).toBeUndefined();
    expect(regionError(new Error("socket hang up"), {}, {})).toBeUndefined();
    expect(regionError(new Error("Region is missing"), { profile: "p" }, {})?.message).toBe(
      "no AWS region; profile 'p' (target.profile) sets none: set target.region in the manifest, or AWS_REGION, or region in the profile",
    );
  });
});
