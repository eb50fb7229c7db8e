export const GITHUB_COMMENT_LIMIT: number;
export const STEP_SUMMARY_LIMIT: number;
/** The token's own identity, from GraphQL `viewer { login databaseId }`. */
export interface Identity {
  login: string;
  id?: number;
}
export interface CommentLike {
  id: number;
  body?: string | null;
  user?: { login?: string; id?: number; type?: string } | null;
}
export function markerFor(scopeId: string): string;
export function splitByScope(markdown: string): { scopeId: string; body: string }[];
export function isOwnComment(comment: CommentLike, self: Identity): boolean;
export function findOwnComment<C extends CommentLike>(comments: C[], marker: string, self: Identity): C | undefined;
export function findStickyComment<C extends CommentLike>(comments: C[], scopeId: string, self: Identity): C | undefined;
export function truncateBody(body: string, limit: number, note: string): string;
export const FLEET_MARKER: string;
export function isFleetMarkdown(markdown: string): boolean;
export function fleetMarker(key?: string): string;
export function fleetCommentBody(markdown: string, note: string, marker?: string): string;
export interface StickyClient {
  createComment(issue: number, body: string): Promise<unknown>;
  updateComment(id: number, body: string): Promise<unknown>;
}
export function postSticky(
  gh: StickyClient,
  pr: number,
  seen: { existing: CommentLike[]; self: Identity },
  marker: string,
  body: string,
): Promise<"updated" | "posted">;
