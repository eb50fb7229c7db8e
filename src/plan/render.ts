import type { Plan } from "./model.js";
import { renderFleetMarkdown } from "./render-fleet.js";
import { renderMarkdown } from "./render-markdown.js";
import { renderText } from "./render-text.js";

/** Where a fleet comment rendered from one plan points for the details it had no room for. */
const ONE_JOB_FULL_PLANS =
  "Every target's full plan is in the saved plan (`sopsync plan --out PLAN.json`; the action's `sopsync-plan` artifact): `sopsync show PLAN.json` prints it.";

export type Format = "text" | "markdown" | "json";
export const FORMATS: readonly Format[] = ["text", "markdown", "json"];

/**
 * The JSON format is the plan itself: stable, versioned, documented in docs/plan-format.md. The
 * markdown of a plan of several targets is one review for all of them (the fleet comment of
 * render-fleet.ts, as `sopsync report` renders it); a plan of one target is that target's comment.
 */
export function render(plan: Plan, format: Format, opts: { color?: boolean } = {}): string {
  switch (format) {
    case "text":
      return renderText(plan, opts);
    case "markdown":
      if (plan.targets.length > 1) {
        return renderFleetMarkdown(
          { targets: plan.targets.map((target) => ({ file: "", plan, target })), errors: [] },
          { fullPlans: ONE_JOB_FULL_PLANS },
        );
      }
      return renderMarkdown(plan);
    case "json":
      return `${JSON.stringify(plan, null, 2)}\n`;
  }
}
