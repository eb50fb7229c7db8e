// One review for a fleet: the plans of many (account, region) targets as a single pull-request
// comment. A summary table on top (every target, always), each target's details collapsed below
// while they fit GitHub's comment limit, and a note naming where the rest is. A target that failed
// to plan is a row of its own and a warning: an error is never folded away.
import type { Plan, TargetPlan } from "./model.js";
import { renderMarkdown } from "./render-markdown.js";
import { renderText, summaryLine } from "./render-text.js";
import { compareTuples } from "../tuple-order.js";

/** GitHub rejects issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/**
 * The fleet comment's sticky marker. Not of the `<!-- sopsync:<scope> -->` form, so the single-scope
 * comments (and the action's split of a plan by scope) never mistake it for a scope's, whatever the ids.
 */
export const FLEET_MARKER = "<!-- sopsync-fleet -->";

/** One target of one saved plan. */
export interface FleetTarget {
  /** The plan file it came from. */
  file: string;
  plan: Plan;
  target: TargetPlan;
}

/** A target that has no plan: its job failed, or its plan never arrived. */
export interface FleetError {
  account: string;
  region: string;
  /** How the matrix named it. */
  name: string;
  message: string;
}

export interface Fleet {
  targets: FleetTarget[];
  errors: FleetError[];
}

export interface FleetMarkdownOptions {
  /** Characters the whole comment may take; GitHub's comment limit unless told. */
  limit?: number;
  /** Where the full plans are (a run URL); the note names the job summary and artifacts either way. */
  runUrl?: string;
  /**
   * The note's sentence saying where every target's full plan is, instead of the job summary and
   * artifacts of a matrix run: a plan of one job renders this comment from its own saved plan.
   */
  fullPlans?: string;
}

type Row = { key: string[]; cells: string[]; target?: FleetTarget; error?: FleetError };

const HEAD = [
  "| account | region | scope | create | update | restore | adopt | delete | drift | error | details |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
];
const SHOWN = "below";
const NOT_SHOWN = "**not shown**: too long, see the note";

export function renderFleetMarkdown(fleet: Fleet, opts: FleetMarkdownOptions = {}): string {
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT;
  const rows = fleetRows(fleet);
  const where = opts.runUrl && isPlainUrl(opts.runUrl) ? `the [job summary](${opts.runUrl})` : "the job summary of this run";
  const note = (omittedTargets: number, omittedRows: number) =>
    [
      "> [!NOTE]",
      ...(omittedRows ? [`> ${omittedRows} more target(s) are not in the table: the comment cannot hold them.`] : []),
      ...(omittedTargets
        ? [`> The details of ${omittedTargets} target(s) do not fit in one comment (${limit} characters).`]
        : []),
      `> ${opts.fullPlans ?? `Every target's full plan is in ${where} and in the plan artifacts (\`sopsync report --format text PLAN.json...\`).`}`,
      "",
    ].join("\n");

  const withChanges = rows.filter((r) => r.target && hasAnyChange(r.target.target)).length;
  const intro = [
    FLEET_MARKER,
    "### sopsync plan: fleet",
    "",
    `${fleet.targets.length} target(s) planned, ${withChanges} with changes${fleet.errors.length ? `, **${fleet.errors.length} failed**` : ""}.`,
    "",
  ];
  const errorBlock = fleet.errors.length
    ? [
        "> [!CAUTION]",
        `> **${fleet.errors.length} target(s) have no plan**: their changes are unknown.`,
        ...fleet.errors.map((e) => `> - account \`${e.account}\`, \`${e.region}\` (${cell(e.name)}): ${cell(e.message)}`),
        "",
      ]
    : [];

  // The table and the errors come first and are never cut; rows go only if the table alone is too long.
  const rowLine = (r: Row, shown: boolean) => `| ${[...r.cells, r.target ? (shown ? SHOWN : NOT_SHOWN) : "—"].join(" | ")} |`;
  const reserve = note(rows.length, rows.length).length;
  let fixed = [...intro, ...errorBlock, ...HEAD].join("\n").length + reserve + 2;
  let tableRows = rows.length;
  for (let i = 0; i < rows.length; i++) {
    const size = rowLine(rows[i] as Row, false).length + 1;
    if (fixed + size > limit) {
      tableRows = i;
      break;
    }
    fixed += size;
  }

  // Details, in table order, for every target that still fits; a big one does not hide the rest.
  const shown = new Set<Row>();
  const details = new Map<Row, string>();
  let used = fixed;
  for (const r of rows.slice(0, tableRows)) {
    if (!r.target) continue;
    const d = targetDetails(r.target);
    if (used + d.length + 1 > limit) continue;
    used += d.length + 1;
    shown.add(r);
    details.set(r, d);
  }

  const omittedTargets = rows.slice(0, tableRows).filter((r) => r.target && !shown.has(r)).length;
  const omittedRows = rows.length - tableRows;
  const out = [
    ...intro,
    ...errorBlock,
    ...HEAD,
    ...rows.slice(0, tableRows).map((r) => rowLine(r, shown.has(r))),
    "",
    ...(omittedTargets || omittedRows ? [note(omittedTargets, omittedRows)] : []),
    ...[...details.values()],
  ];
  return `${out.join("\n").trimEnd()}\n`;
}

/** The terminal view: one summary line per target (errors included), then each target's plan. */
export function renderFleetText(fleet: Fleet, opts: { color?: boolean } = {}): string {
  const out: string[] = ["Fleet:"];
  for (const r of fleetRows(fleet)) {
    if (r.error) out.push(`  ! account ${r.error.account}, ${r.error.region} (${r.error.name}): NO PLAN: ${r.error.message}`);
    else if (r.target) {
      const t = r.target.target;
      out.push(`  account ${t.target.account}, ${t.target.region}, scope ${t.scope.id}: ${summaryLine(t).trim()}`);
    }
  }
  out.push("");
  for (const f of sortedTargets(fleet)) out.push(renderText({ ...f.plan, targets: [f.target] }, opts));
  return out.join("\n");
}

/** The merged view as JSON: each target with the plan it came from, and the targets without a plan. */
export function renderFleetJson(fleet: Fleet): string {
  const view = {
    targets: sortedTargets(fleet).map((f) => ({
      file: f.file,
      planId: f.plan.planId,
      createdAt: f.plan.createdAt,
      ...(f.plan.only ? { only: f.plan.only } : {}),
      ...f.target,
    })),
    errors: fleet.errors,
  };
  return `${JSON.stringify(view, null, 2)}\n`;
}

function targetDetails(f: FleetTarget): string {
  const t = f.target;
  // Today's single-target comment, without its sticky marker: the fleet comment has its own.
  const body = renderMarkdown({ ...f.plan, targets: [t] })
    .split("\n")
    .filter((l, i) => !(i === 0 && l.startsWith("<!-- sopsync:")))
    .join("\n")
    .trimEnd();
  const s = t.summary;
  const counts = hasAnyChange(t)
    ? [
        s.create && `${s.create} create`,
        s.update && `${s.update} update`,
        s.restore && `${s.restore} restore`,
        s.adopt && `${s.adopt} adopt`,
        s.delete && `${s.delete} delete`,
        s.drift && `${s.drift} drifted`,
      ]
        .filter(Boolean)
        .join(", ")
    : "no changes";
  return [
    "<details>",
    `<summary><code>${t.scope.id}</code> · account <code>${t.target.account}</code> · <code>${t.target.region}</code>: ${counts}</summary>`,
    "",
    body,
    "",
    "</details>",
    "",
  ].join("\n");
}

function fleetRows(fleet: Fleet): Row[] {
  const rows: Row[] = [
    ...fleet.targets.map((f): Row => {
      const t = f.target;
      const s = t.summary;
      const n = (v: number | undefined) => (v ? `**${v}**` : "0");
      return {
        key: [t.target.account, t.target.region, t.scope.id],
        target: f,
        cells: [
          `\`${t.target.account}\``,
          `\`${t.target.region}\``,
          `\`${t.scope.id}\``,
          n(s.create),
          n(s.update),
          n(s.restore),
          n(s.adopt),
          n(s.delete),
          n(s.drift),
          "",
        ],
      };
    }),
    ...fleet.errors.map(
      (e): Row => ({
        key: [e.account, e.region, ""],
        error: e,
        cells: [
          `\`${cell(e.account)}\``,
          `\`${cell(e.region)}\``,
          "—",
          "",
          "",
          "",
          "",
          "",
          "",
          `**no plan**: ${cell(e.message)}`,
        ],
      }),
    ),
  ];
  return rows.sort((a, b) => compareTuples(a.key, b.key));
}

function sortedTargets(fleet: Fleet): FleetTarget[] {
  return fleetRows(fleet).flatMap((r) => (r.target ? [r.target] : []));
}

function hasAnyChange(t: TargetPlan): boolean {
  const s = t.summary;
  return s.create + s.update + s.restore + s.adopt + s.delete + (s.drift ?? 0) > 0;
}

/** Text from outside (a matrix name, an error) as one table cell: one line, no markup, no pipe. */
function cell(s: string): string {
  return s
    .replace(/[\r\n\t]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replaceAll("`", "'")
    .slice(0, 300);
}

function isPlainUrl(s: string): boolean {
  return /^https:\/\/[^\s()<>[\]]+$/.test(s);
}
