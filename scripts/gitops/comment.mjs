// Pure helpers for the sticky pull-request comment: split `sopsync plan --format markdown` output into
// one body per manifest (each starts with its hidden `<!-- sopsync:<scope.id> -->` marker), recognise
// our own earlier comment by that marker, and shorten a body to GitHub's comment limit without
// leaving a code fence or <details> block open.

/** GitHub rejects issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** GitHub rejects a step summary larger than 1 MiB. */
export const STEP_SUMMARY_LIMIT = 1_048_576;

const MARKER_LINE = /^<!-- sopsync:(\S+) -->$/;

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
 * The comment that is ours for this scope: its body starts with the exact marker. A reply quoting
 * the comment starts with "> " and a comment for scope "prod-eu" has another marker, so neither
 * matches. The oldest match wins, so a duplicate left by a race is never the one updated.
 */
export function findStickyComment(comments, scopeId) {
  const marker = markerFor(scopeId);
  const ours = comments.filter((c) => typeof c.body === "string" && (c.body === marker || c.body.startsWith(`${marker}\n`)));
  ours.sort((a, b) => a.id - b.id);
  return ours[0];
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
