#!/usr/bin/env node
// Posts a fleet's one review (`sopsync report --format markdown`) as the sticky pull-request comment:
//   node fleet-comment.mjs --markdown fleet.md [--pr N]
// The comment is found by the fleet marker, which no scope's `<!-- sopsync:<scope.id> -->` can equal,
// and by its author (see findOwnComment): a comment someone else planted with the marker is never
// rewritten. `sopsync report` already keeps the body within GitHub's limit; it is cut here too (with
// a pointer to the job summary) so a body from anywhere else cannot make the call fail.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { FLEET_MARKER, fleetCommentBody, postSticky } from "./comment.mjs";
import { githubClient } from "./github.mjs";

async function main() {
  const env = process.env;
  const { values } = parseArgs({ options: { markdown: { type: "string" }, pr: { type: "string" } } });
  if (!values.markdown) throw new Error("--markdown is required");
  let pr = values.pr ? Number(values.pr) : undefined;
  if (!pr && env.GITHUB_EVENT_PATH) pr = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, "utf8")).pull_request?.number;
  if (!pr) {
    process.stderr.write("sopsync: not a pull request, no comment posted\n");
    return;
  }
  const markdown = await readFile(values.markdown, "utf8");
  const runUrl = env.GITHUB_RUN_ID
    ? `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
    : "";
  const note = runUrl ? `The full plans are in the [job summary](${runUrl}).` : "The full plans are in the job summary.";
  const body = fleetCommentBody(markdown, note);
  const gh = githubClient({
    token: env.GITHUB_TOKEN,
    apiUrl: env.GITHUB_API_URL,
    graphqlUrl: env.GITHUB_GRAPHQL_URL,
    repo: env.GITHUB_REPOSITORY,
  });
  const [self, existing] = await Promise.all([gh.viewer(), gh.listComments(pr)]);
  const done = await postSticky(gh, pr, { existing, self }, FLEET_MARKER, body);
  process.stderr.write(`sopsync: ${done} the fleet plan comment\n`);
}

main().catch((err) => {
  process.stderr.write(`sopsync: ${err.message}\n`);
  process.exitCode = 1;
});
