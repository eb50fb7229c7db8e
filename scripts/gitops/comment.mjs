// Helpers for the sticky pull-request comment: split `sopsync plan --format markdown` output into
// one body per manifest (each starts with its hidden `<!-- sopsync:<scope.id> -->` marker), or take a
// fleet's markdown (a plan of several targets, or `sopsync report`) as one body under the fleet
// marker; recognise our own earlier comment by its marker and its author, and shorten a body to
// GitHub's comment limit without leaving a code fence or <details> block open. Only postSticky talks
// to GitHub, through the client it is given.

import { createHash } from "node:crypto";

/** GitHub rejects issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** GitHub rejects a step summary larger than 1 MiB. */
export const STEP_SUMMARY_LIMIT = 1_048_576;

const MARKER_LINE = /^<!-- sopsync:(\S+) -->$/;

/**
 * The fleet comment's marker: the same text as FLEET_MARKER in src/plan/render-fleet.ts (a test checks
 * they agree). No scope's `<!-- sopsync:<scope.id> -->` can equal it.
 */
export const FLEET_MARKER = "<!-- sopsync-fleet -->";

/** Whether `markdown` is a fleet's one review rather than per-scope comments. */
export function isFleetMarkdown(markdown) {
  return markdown.startsWith(`${FLEET_MARKER}\n`);
}

/**
 * The fleet comment's marker for one use of the action or one report job: with a key (`--comment-key`:
 * the action passes its working directory and files), `<!-- sopsync-fleet:<12 hex> -->`, so two uses
 * planning different fleets on one pull request keep a comment each instead of overwriting one
 * another's; without, the plain FLEET_MARKER. The key is hashed: any text, never markup in the comment.
 */
export function fleetMarker(key) {
  if (!key) return FLEET_MARKER;
  return `<!-- sopsync-fleet:${createHash("sha256").update(key).digest("hex").slice(0, 12)} -->`;
}

/**
 * The body of the fleet comment under `marker`. Markdown of one target (a `report` of a fleet of one)
 * goes under the fleet marker too, so a workflow keeps one comment whatever the number of targets.
 * sopsync already keeps a fleet within the limit; it is cut here too so a body from anywhere else
 * cannot fail the call.
 */
export function fleetCommentBody(markdown, note, marker = FLEET_MARKER) {
  const body = isFleetMarkdown(markdown) ? markdown.slice(FLEET_MARKER.length + 1) : markdown;
  return truncateBody(`${marker}\n${body}`, GITHUB_COMMENT_LIMIT, note);
}

/**
 * Updates our own comment with `marker` on pull request `pr` (see findOwnComment), or posts one.
 * `existing` and `self` are the pull request's comments and the token's identity, read once by the caller.
 * Returns "updated" or "posted".
 */
export async function postSticky(gh, pr, { existing, self }, marker, body) {
  const mine = findOwnComment(existing, marker, self);
  if (mine) await gh.updateComment(mine.id, body);
  else await gh.createComment(pr, body);
  return mine ? "updated" : "posted";
}

export function markerFor(scopeId) {
  return `<!-- sopsync:${scopeId} -->`;
}

/** Markdown of a whole plan -> [{ scopeId, body }], one per manifest, in order. */
export function splitByScope(markdown) {
  const sections = [];
  for (const line of markdown.split("\n")) {
    const m = MARKER_LINE.exec(line);
    if (m) sections.push({ scopeId: m[1], lines: [line] });
    else if (sections.length > 0) sections.at(-1).lines.push(line);
  }
  return sections.map((s) => ({ scopeId: s.scopeId, body: `${trimSeparator(s.lines).join("\n").trimEnd()}\n` }));
}

// The renderer joins manifests with a horizontal rule; it belongs to neither comment.
function trimSeparator(lines) {
  const out = [...lines];
  while (out.length > 1 && (out.at(-1) === "" || out.at(-1) === "---")) out.pop();
  return out;
}

/**
 * Whether `comment` (a REST issue comment) was written by `self`, the token's own identity
 * ({ login, id } from GraphQL `viewer`). Compared by numeric id when both have one. Otherwise by
 * login, where REST spells an app's bot `name[bot]` while GraphQL's comment author says `name`: the
 * suffix is ignored only between two bots, since a person `name` and the bot `name[bot]` are
 * different accounts. GraphQL's viewer keeps the suffix for bots, so a login without it is a person.
 */
export function isOwnComment(comment, self) {
  const user = comment?.user;
  if (!user || !self) return false;
  if (typeof user.id === "number" && typeof self.id === "number") return user.id === self.id;
  if (typeof user.login !== "string" || typeof self.login !== "string") return false;
  const bare = (login) => login.toLowerCase().replace(/\[bot\]$/, "");
  const commentByBot = user.type === "Bot" || /\[bot\]$/i.test(user.login);
  const selfIsBot = /\[bot\]$/i.test(self.login);
  return bare(user.login) === bare(self.login) && commentByBot === selfIsBot;
}

/**
 * The comment that is ours for this marker: written by `self` (see isOwnComment) and starting with the
 * exact marker. Anyone can post a comment starting with the marker; without the author check a pull
 * request's author could plant one first and have the action rewrite their comment. A reply quoting
 * the comment starts with "> " and a comment for scope "prod-eu" has another marker, so neither
 * matches. The oldest match wins, so a duplicate left by a race is never the one updated.
 */
export function findOwnComment(comments, marker, self) {
  if (!self) throw new TypeError("findOwnComment needs the token's identity");
  const ours = comments.filter(
    (c) => typeof c.body === "string" && (c.body === marker || c.body.startsWith(`${marker}\n`)) && isOwnComment(c, self),
  );
  ours.sort((a, b) => a.id - b.id);
  return ours[0];
}

/** The sticky plan comment for this scope; see findOwnComment. */
export function findStickyComment(comments, scopeId, self) {
  return findOwnComment(comments, markerFor(scopeId), self);
}

/**
 * Shortens `body` to at most `limit` characters, cutting at a line end, closing any open code fence
 * and <details> block, and ending with `note` (which should point at the full plan).
 * Returns the body unchanged when it fits.
 */
export function truncateBody(body, limit, note) {
  if (body.length <= limit) return body;
  const lines = body.split("\n");
  const isSecret = (line) => line.startsWith("<summary><code>");
  const footer = (n) =>
    `\n> [!NOTE]\n> This plan is too long for a comment${n > 0 ? `: ${n} more secret(s) not shown here` : ""}. ${note}\n`;
  // Reserve room for the longest footer this body can need.
  const reserve = footer(lines.filter(isSecret).length).length;
  const kept = [];
  let size = 0;
  let fence = false;
  let openDetails = 0;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    const closing = (fence || line.startsWith("```") ? 4 : 0) + (openDetails + 1) * 11;
    if (size + line.length + 1 + closing + reserve > limit) break;
    kept.push(line);
    size += line.length + 1;
    if (line.startsWith("```")) fence = !fence;
    else if (!fence && line.startsWith("<details") && !line.includes("</details>")) openDetails++;
    else if (!fence && line.startsWith("</details>")) openDetails = Math.max(0, openDetails - 1);
  }
  // A secret whose <summary> line made it in counts as shown, even if its details were cut.
  const omitted = lines.slice(i).filter(isSecret).length;
  if (fence) kept.push("```");
  for (; openDetails > 0; openDetails--) kept.push("</details>");
  return `${kept.join("\n")}\n${footer(omitted)}`;
}
