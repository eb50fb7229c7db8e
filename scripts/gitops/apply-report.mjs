// Pure: what the action says after an apply on merge, in the job summary and, when the reviewed plan
// no longer matched, in a comment on the merged pull request. Inputs are the state the action's shell
// step decided from sopsync's exit codes (never from its wording), the exit code, and sopsync's own
// output (names and metadata only, never a value).

/**
 * How the saved plan fared (the action's `saved-plan` output):
 * - applied:  it still matched the account and the merged manifest, and was applied (exit 0);
 * - failed:   applying it failed for another reason (exit 1: lock held, AWS error, ...; 130: interrupted);
 * - mismatch: it no longer matched; nothing was written; the fresh plan is shown, not applied (exit 3,
 *             or the fresh plan's own error when it could not be made);
 * - replaced: it no longer matched and `on-mismatch: apply` applied the fresh plan instead.
 */
export const SAVED_PLAN_STATES = ["applied", "failed", "mismatch", "replaced"];

/** Hidden marker of the one comment per merge commit that reports a mismatch on its pull request. */
export function applyMarkerFor(sha) {
  return `<!-- sopsync-apply:${sha} -->`;
}

/** The paragraph that opens the summary and the comment; "" when there is nothing to say. */
export function applyNotice(state, exitcode) {
  const result = exitcode === 0 ? "and it was applied" : `and applying it failed (exit ${exitcode}); see the log`;
  switch (state) {
    case "applied":
      return "**sopsync apply**: the plan reviewed on the pull request still matched the account and the merged manifest, and was applied.";
    case "failed":
      return `**sopsync apply**: applying the plan reviewed on the pull request failed (exit ${exitcode}); see the log. Running apply again converges.`;
    case "mismatch":
      if (exitcode !== 3) {
        return [
          "> [!CAUTION]",
          "> **Nothing was applied.** The plan reviewed on the pull request no longer matches the account or the merged",
          `> manifest, and planning the merged manifest afresh failed too (exit ${exitcode}); see the log.`,
        ].join("\n");
      }
      return [
        "> [!CAUTION]",
        "> **Nothing was applied.** The plan reviewed on the pull request no longer matches the account or the merged manifest:",
        "> something changed after it was made (another merge, a change made outside sopsync), or the plan file was altered.",
        "> Below is a fresh plan of the merged manifest, which nobody has reviewed. Review it; to apply it, run the apply",
        "> again with `on-mismatch: apply`, or without the saved plan.",
      ].join("\n");
    case "replaced":
      return [
        "> [!WARNING]",
        "> The plan reviewed on the pull request no longer matched the account or the merged manifest. The action's",
        `> \`on-mismatch\` input is \`apply\`, so the fresh plan below was applied instead, ${result}.`,
      ].join("\n");
    default:
      return "";
  }
}

/**
 * A log in a collapsed block: its last `maxLines` lines, in a code fence longer than any run of
 * backticks inside, so nothing in it can end the block.
 */
export function logBlock(title, text, maxLines = 200) {
  const lines = text.replace(/\s+$/, "").split("\n");
  if (lines.length === 1 && lines[0] === "") return "";
  const shown =
    lines.length > maxLines
      ? [`(${lines.length - maxLines} earlier lines are in the job log)`, ...lines.slice(-maxLines)]
      : lines;
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `<details><summary>${title}</summary>\n\n${fence}text\n${shown.join("\n")}\n${fence}\n\n</details>\n`;
}

/**
 * The job summary of an apply: notice, the logs (why the saved plan was refused, what the apply did)
 * and the plan that was applied or, on a mismatch, the fresh plan that was not.
 */
export function applySummary({ state, exitcode, markdown = "", savedLog = "", log = "" }) {
  const parts = [];
  const notice = applyNotice(state, exitcode);
  if (notice) parts.push(`${notice}\n`);
  if (state === "mismatch" || state === "replaced") parts.push(logBlock("Why the reviewed plan was refused", savedLog));
  if (state === "applied" || state === "failed") parts.push(logBlock("Apply log", savedLog));
  else parts.push(logBlock("Apply log", log));
  if (markdown.trim()) parts.push(markdown);
  return `${parts.filter(Boolean).join("\n")}\n`.replace(/\n+$/, "\n");
}

/** The comment on the merged pull request when its plan no longer matched (mismatch or replaced). */
export function applyCommentBody({ sha, state, exitcode, markdown, runUrl }) {
  const run = runUrl ? `[This run](${runUrl}) has the details.` : "The workflow run has the details.";
  return `${applyMarkerFor(sha)}\n${applyNotice(state, exitcode)}\n\n${run}\n\n${markdown.trim()}\n`;
}

/**
 * The pull request a push merged, from GitHub's "pull requests for a commit" list: the one whose
 * merge commit is `sha`, else the only merged one. Undefined when it is not clear.
 */
export function mergedPullRequest(pulls, sha) {
  const merged = (pulls ?? []).filter((p) => p?.merged_at);
  const exact = merged.find((p) => p.merge_commit_sha === sha);
  if (exact) return exact.number;
  return merged.length === 1 ? merged[0].number : undefined;
}
