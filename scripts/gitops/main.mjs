#!/usr/bin/env node
// Entry point the action runs after sopsync itself:
//   node main.mjs comment      --markdown plan.md [--fleet] [--comment-key TEXT]
//                                                  sticky PR comment per manifest; one for a fleet (a plan of
//                                                  several targets; any markdown with --fleet), one per key
//   node main.mjs summary      --markdown plan.md [--saved-plan STATE --exitcode N --saved-log F --log F]
//                                                  append the plan (and how an apply went) to $GITHUB_STEP_SUMMARY
//   node main.mjs apply-comment --markdown plan.md --saved-plan STATE --exitcode N
//                                                  tell the merged pull request its plan no longer matched
//   node main.mjs drift-issue  --plan plan.json --exitcode N   open/update/close the drift issue
// The markdown, plan and logs come from sopsync, which never puts a secret value in them.
import { appendFile, readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { applyCommentBody, applyMarkerFor, applySummary, mergedPullRequest, SAVED_PLAN_STATES } from "./apply-report.mjs";
import {
  fleetMarker,
  fleetCommentBody,
  GITHUB_COMMENT_LIMIT,
  isFleetMarkdown,
  markerFor,
  postSticky,
  STEP_SUMMARY_LIMIT,
  splitByScope,
  truncateBody,
} from "./comment.mjs";
import { DRIFT_LABEL, DRIFT_TITLE, driftIssueBody } from "./drift.mjs";
import { githubClient } from "./github.mjs";

const env = process.env;
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    markdown: { type: "string" },
    plan: { type: "string" },
    exitcode: { type: "string" },
    pr: { type: "string" },
    fleet: { type: "boolean" },
    "comment-key": { type: "string" },
    "saved-plan": { type: "string" },
    "saved-log": { type: "string" },
    log: { type: "string" },
  },
});
const runUrl = env.GITHUB_RUN_ID
  ? `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
  : "";
const client = () =>
  githubClient({
    token: env.GITHUB_TOKEN,
    apiUrl: env.GITHUB_API_URL,
    graphqlUrl: env.GITHUB_GRAPHQL_URL,
    repo: env.GITHUB_REPOSITORY,
  });

async function event() {
  if (!env.GITHUB_EVENT_PATH) return {};
  return JSON.parse(await readFile(env.GITHUB_EVENT_PATH, "utf8"));
}

async function pullRequestNumber() {
  if (values.pr) return Number(values.pr);
  return (await event()).pull_request?.number;
}

async function comment() {
  const pr = await pullRequestNumber();
  if (!pr) {
    process.stderr.write("sopsync: not a pull request, no comment posted\n");
    return;
  }
  const gh = client();
  const markdown = await readFile(required("markdown"), "utf8");
  const [self, existing] = await Promise.all([gh.viewer(), gh.listComments(pr)]);
  const seen = { existing, self };
  // A plan of several targets is one review under the fleet marker; with --fleet (a `sopsync report`
  // job) so is a report of one target, so that job keeps one comment whatever the number of targets.
  if (values.fleet || isFleetMarkdown(markdown)) {
    const note = runUrl ? `The full plans are in the [job summary](${runUrl}).` : "The full plans are in the job summary.";
    const marker = fleetMarker(values["comment-key"]);
    const done = await postSticky(gh, pr, seen, marker, fleetCommentBody(markdown, note, marker));
    process.stderr.write(`sopsync: ${done} the fleet plan comment\n`);
    return;
  }
  const note = runUrl ? `The full plan is in the [job summary](${runUrl}).` : "The full plan is in the job summary.";
  for (const { scopeId, body } of splitByScope(markdown)) {
    const done = await postSticky(gh, pr, seen, markerFor(scopeId), truncateBody(body, GITHUB_COMMENT_LIMIT, note));
    process.stderr.write(`sopsync: ${done} the plan comment for ${scopeId}\n`);
  }
}

async function summary() {
  if (!env.GITHUB_STEP_SUMMARY) throw new Error("GITHUB_STEP_SUMMARY is not set");
  const markdown = await readIfPresent(values.markdown);
  const state = savedPlanState();
  const text = applySummary({
    state,
    exitcode: Number(values.exitcode ?? 0),
    markdown,
    savedLog: await readIfPresent(values["saved-log"]),
    log: await readIfPresent(values.log),
  });
  if (!text.trim()) return;
  const note = "The complete plan is in the `sopsync-plan` artifact (`sopsync plan --format json`).";
  await appendFile(env.GITHUB_STEP_SUMMARY, truncateBody(text, STEP_SUMMARY_LIMIT - 1024, note));
}

/**
 * After an apply whose saved plan no longer matched: one comment on the merged pull request (updated
 * when the job is re-run for the same commit), so its reviewers learn their plan did not run.
 */
async function applyComment() {
  const state = savedPlanState();
  if (state !== "mismatch" && state !== "replaced") return;
  const sha = env.GITHUB_SHA;
  if (!sha) throw new Error("GITHUB_SHA is not set");
  const gh = client();
  // A `pull_request: closed` trigger names the pull request; a push to the base branch does not, but
  // GitHub lists the pull requests a merge commit belongs to.
  const pr = (await pullRequestNumber()) ?? mergedPullRequest(await gh.pullsForCommit(sha), sha);
  if (!pr) {
    process.stderr.write(`sopsync: no merged pull request found for ${sha}; the fresh plan is in the job summary only\n`);
    return;
  }
  const markdown = await readIfPresent(values.markdown);
  const note = runUrl ? `The full plan is in the [job summary](${runUrl}).` : "The full plan is in the job summary.";
  const body = truncateBody(
    applyCommentBody({ sha, state, exitcode: Number(required("exitcode")), markdown, runUrl }),
    GITHUB_COMMENT_LIMIT,
    note,
  );
  const [self, existing] = await Promise.all([gh.viewer(), gh.listComments(pr)]);
  const done = await postSticky(gh, pr, { existing, self }, applyMarkerFor(sha), body);
  process.stderr.write(`sopsync: ${done} the apply comment on #${pr}\n`);
}

async function driftIssue() {
  const exitcode = Number(required("exitcode"));
  if (exitcode !== 0 && exitcode !== 2) {
    process.stderr.write(`sopsync: plan failed (exit ${exitcode}); the drift issue is left as it is\n`);
    return;
  }
  const gh = client();
  const open = (await gh.openIssuesWithLabel(DRIFT_LABEL)).filter((i) => !i.pull_request);
  const current = open.sort((a, b) => a.number - b.number)[0];
  if (exitcode === 0) {
    if (current) {
      await gh.createComment(
        current.number,
        `The account matches the manifest again${runUrl ? ` ([check](${runUrl}))` : ""}. Closing.`,
      );
      await gh.updateIssue(current.number, { state: "closed", state_reason: "completed" });
      process.stderr.write(`sopsync: no drift; closed issue #${current.number}\n`);
    } else process.stderr.write("sopsync: no drift\n");
    return;
  }
  const plan = JSON.parse(await readFile(required("plan"), "utf8"));
  const body = truncateBody(driftIssueBody(plan, runUrl), GITHUB_COMMENT_LIMIT, runUrl ? `See [the run](${runUrl}).` : "");
  if (current) {
    await gh.updateIssue(current.number, { body });
    process.stderr.write(`sopsync: drift; updated issue #${current.number}\n`);
  } else {
    await gh.ensureLabel(DRIFT_LABEL, "d93f0b", "AWS Secrets Manager differs from the sopsync manifest");
    const created = await gh.createIssue(DRIFT_TITLE, body, [DRIFT_LABEL]);
    process.stderr.write(`sopsync: drift; opened issue #${created.number}\n`);
  }
}

function savedPlanState() {
  const s = values["saved-plan"] ?? "";
  if (s !== "" && !SAVED_PLAN_STATES.includes(s)) throw new Error(`--saved-plan must be one of ${SAVED_PLAN_STATES.join(", ")}`);
  return s;
}

async function readIfPresent(file) {
  if (!file) return "";
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") return "";
    throw err;
  }
}

function required(name) {
  const v = values[name];
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const commands = { comment, summary, "apply-comment": applyComment, "drift-issue": driftIssue };
const run = commands[positionals[0]];
if (!run) {
  process.stderr.write(`usage: main.mjs ${Object.keys(commands).join("|")} [options]\n`);
  process.exit(1);
}
run().catch((err) => {
  process.stderr.write(`sopsync: ${err.message}\n`);
  process.exit(1);
});
