export const DRIFT_LABEL: string;
export const DRIFT_TITLE: string;
export type DriftKind = "pending" | "outside" | "rotation" | "rotated" | "unknown";
export interface DriftedSecret {
  scope: string;
  account: string;
  region: string;
  name: string;
  kind: DriftKind;
  reasons: string[];
}
export function driftedSecrets(plan: unknown): DriftedSecret[];
export function driftIssueBody(plan: unknown, runUrl?: string): string;
