#!/usr/bin/env node
// Entry point the action runs after sopsync itself:
//   node main.mjs comment      --markdown plan.md   sticky PR comment per manifest
//   node main.mjs summary      --markdown plan.md   append the plan to $GITHUB_STEP_SUMMARY
//   node main.mjs drift-issue  --plan plan.json --exitcode N   open/update/close the drift issue
//   node main.mjs same-plan    saved.json fresh.json      exit 0 if they do the same, 3 if not
// The markdown and plan come from sopsync, which never puts a secret value in them.
import { appendFile, readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { findStickyComment, GITHUB_COMMENT_LIMIT, STEP_SUMMARY_LIMIT, splitByScope, truncateBody } from "./comment.mjs";
import { DRIFT_LABEL, DRIFT_TITLE, driftIssueBody } from "./drift.mjs";
import { githubClient } from "./github.mjs";
import { samePlan } from "./plans.mjs";

const env = process.env;
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { markdown: { type: "string" }, plan: { type: "string" }, exitcode: { type: "string" }, pr: { type: "string" } },
});
const runUrl = env.GITHUB_RUN_ID
  ? `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
  : "";
const client = () => githubClient({ token: env.GITHUB_TOKEN, apiUrl: env.GITHUB_API_URL, repo: env.GITHUB_REPOSITORY });

async function pullRequestNumber() {
  if (values.pr) return Number(values.pr);
  if (!env.GITHUB_EVENT_PATH) return undefined;
  const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, "utf8"));
  return event.pull_request?.number;
}

async function comment() {
  const pr = await pullRequestNumber();
  if (!pr) {
    process.stderr.write("sopsync: not a pull request, no comment posted\n");
    return;
  }
  const gh = client();
  const markdown = await readFile(required("markdown"), "utf8");
  const existing = await gh.listComments(pr);
  const note = runUrl ? `The full plan is in the [job summary](${runUrl}).` : "The full plan is in the job summary.";
  for (const { scopeId, body } of splitByScope(markdown)) {
    const text = truncateBody(body, GITHUB_COMMENT_LIMIT, note);
    const mine = findStickyComment(existing, scopeId);
    if (mine) await gh.updateComment(mine.id, text);
    else await gh.createComment(pr, text);
    process.stderr.write(`sopsync: ${mine ? "updated" : "posted"} the plan comment for ${scopeId}\n`);
  }
}

async function summary() {
  if (!env.GITHUB_STEP_SUMMARY) throw new Error("GITHUB_STEP_SUMMARY is not set");
  const markdown = await readFile(required("markdown"), "utf8");
  const note = "The complete plan is in the `sopsync-plan` artifact (`sopsync plan --format json`).";
  await appendFile(env.GITHUB_STEP_SUMMARY, truncateBody(markdown, STEP_SUMMARY_LIMIT - 1024, note));
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

/** Exit 0 when the two saved plans (positionals) would do the same, 3 when they differ. */
async function comparePlans() {
  const [a, b] = await Promise.all(positionals.slice(1, 3).map(async (f) => JSON.parse(await readFile(f, "utf8"))));
  if (!samePlan(a, b)) process.exitCode = 3;
}

function required(name) {
  const v = values[name];
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const commands = { comment, summary, "drift-issue": driftIssue, "same-plan": comparePlans };
const run = commands[positionals[0]];
if (!run) {
  process.stderr.write(`usage: main.mjs ${Object.keys(commands).join("|")} [options]\n`);
  process.exit(1);
}
run().catch((err) => {
  process.stderr.write(`sopsync: ${err.message}\n`);
  process.exit(1);
});
