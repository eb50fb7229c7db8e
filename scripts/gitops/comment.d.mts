export const GITHUB_COMMENT_LIMIT: number;
export const STEP_SUMMARY_LIMIT: number;
export function markerFor(scopeId: string): string;
export function splitByScope(markdown: string): { scopeId: string; body: string }[];
export function findStickyComment<C extends { id: number; body?: string | null }>(comments: C[], scopeId: string): C | undefined;
export function truncateBody(body: string, limit: number, note: string): string;
