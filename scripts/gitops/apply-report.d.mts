export type SavedPlanState = "applied" | "failed" | "mismatch" | "replaced";
export const SAVED_PLAN_STATES: SavedPlanState[];
export function applyMarkerFor(sha: string): string;
export function applyNotice(state: string, exitcode: number): string;
export function logBlock(title: string, text: string, maxLines?: number): string;
export function applySummary(o: { state?: string; exitcode: number; markdown?: string; savedLog?: string; log?: string }): string;
export function applyCommentBody(o: { sha: string; state: string; exitcode: number; markdown: string; runUrl?: string }): string;
export function mergedPullRequest(
  pulls: { number: number; merged_at?: string | null; merge_commit_sha?: string | null }[] | undefined,
  sha: string,
): number | undefined;
