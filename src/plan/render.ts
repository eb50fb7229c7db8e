import type { Plan } from "./model.js";
import { renderMarkdown } from "./render-markdown.js";
import { renderText } from "./render-text.js";

export type Format = "text" | "markdown" | "json";
export const FORMATS: readonly Format[] = ["text", "markdown", "json"];

/** The JSON format is the plan itself: stable, versioned, documented in docs/plan-format.md. */
export function render(plan: Plan, format: Format, opts: { color?: boolean } = {}): string {
  switch (format) {
    case "text":
      return renderText(plan, opts);
    case "markdown":
      return renderMarkdown(plan);
    case "json":
      return `${JSON.stringify(plan, null, 2)}\n`;
  }
}
