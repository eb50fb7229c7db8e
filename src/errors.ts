// Every error sopsync raises on purpose carries a code and whose fault it is; the CLI maps them to
// exit codes in one place (src/cli/exit.ts). Messages never contain secret values.

export type ErrorCode =
  | "USAGE" // bad flags or arguments
  | "MANIFEST_INVALID" // validation problems; `problems` lists each with file:line:col
  | "MANIFEST_NOT_FOUND"
  | "SOPS_DECRYPT" // no key fits, wrong key, corrupt value
  | "SOPS_MAC" // missing or wrong MAC: possible tampering
  | "SOPS_FORMAT" // not a sops file, unsupported type or version
  | "OWNERSHIP" // a declared secret owned by someone else, or unowned without adopt
  | "GUARD" // protect, max deletes, empty manifest, account mismatch
  | "PLAN_STALE" // saved plan no longer matches manifest or account (exit code 3)
  | "LOCKED" // another apply holds the scope's lock
  | "PLAN_INVALID" // saved plan file unreadable or of another version
  | "AWS" // an AWS call failed
  | "APPLY_FAILED" // some actions failed; details in the summary
  | "ABORTED" // user declined confirmation
  | "WRITE_FAILED" // an output file (plan --out, ...) could not be written: disk full, permissions, read-only
  | "AWS_REGION" // no region from the manifest, the environment or the profile
  | "AWS_CREDENTIALS" // no credentials, an unknown profile, or credentials AWS refuses
  | "KMS_KEY" // a KMS key given to init/import that does not exist or cannot be used
  | "INTERNAL";

export type Fault = "user" | "environment" | "internal";

const FAULT: Record<ErrorCode, Fault> = {
  USAGE: "user",
  MANIFEST_INVALID: "user",
  MANIFEST_NOT_FOUND: "user",
  SOPS_DECRYPT: "user",
  SOPS_MAC: "user",
  SOPS_FORMAT: "user",
  OWNERSHIP: "user",
  GUARD: "user",
  PLAN_STALE: "user",
  LOCKED: "environment",
  PLAN_INVALID: "user",
  AWS: "environment",
  APPLY_FAILED: "environment",
  ABORTED: "user",
  WRITE_FAILED: "environment",
  AWS_REGION: "user",
  AWS_CREDENTIALS: "user",
  KMS_KEY: "user",
  INTERNAL: "internal",
};

export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

export class SopsyncError extends Error {
  readonly code: ErrorCode;
  readonly problems: Problem[];
  constructor(code: ErrorCode, message: string, opts: { problems?: Problem[]; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "SopsyncError";
    this.code = code;
    this.problems = opts.problems ?? [];
  }
  get fault(): Fault {
    return FAULT[this.code];
  }
}
