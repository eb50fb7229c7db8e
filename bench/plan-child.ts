// One sopsync plan in its own process, so its peak RSS is its own: decrypt + validate the manifest,
// read the account, plan, render. The steps planTargets and the CLI take, called one by one so each
// phase has its own clock. Prints JSON with timings, calls by operation and the changed secrets'
// names and action types (a plan holds no values, so neither does this output).
import { QuotaPacers } from "../src/aws/quotas.js";
import { plan as makePlan } from "../src/plan/plan.js";
import { render } from "../src/plan/render.js";
import { openTargets } from "../src/run/targets.js";
import { newPlanIdentity } from "../src/run/workflow.js";
import { readLiveState } from "../src/state/read.js";
import { CallCounter } from "./measure.js";

const file = process.argv[2];
if (!file) throw new Error("usage: plan-child.ts MANIFEST");

const counter = new CallCounter();
const t0 = performance.now();
const targets = await openTargets([file], { onRequest: counter.onRequest });
const t1 = performance.now();
// Fresh pacers, as a CLI process starts with.
const inputs = [];
for (const t of targets) {
  const live = await readLiveState(t.port, t.desired, { account: t.account, pacers: new QuotaPacers() });
  inputs.push({ desired: t.desired, live });
}
const tRead = performance.now();
const plan = makePlan(inputs, newPlanIdentity());
const tPlan = performance.now();
const text = render(plan, "text", { color: false });
const t2 = performance.now();

const changes = plan.targets.flatMap((t) =>
  t.changes
    .filter((c) => c.actions.length > 0)
    .map((c) => ({
      name: c.name,
      actions: c.actions.map((a) => a.type),
      cause: c.actions.find((a) => a.type === "update-value")?.cause,
    })),
);
// Where the read time goes: ListSecrets pages (sequential, NextToken), value batches started as the
// pages come in, per-secret policy reads. Request start times, in ms since t0.
const starts = (op: string) => counter.times.filter((x) => x.op === op).map((x) => x.at);
const span = (op: string) => {
  const s = starts(op);
  return s.length ? { first: (s[0] as number) / 1000, last: (s.at(-1) as number) / 1000 } : undefined;
};
const list = span("ListSecrets");
const batch = span("BatchGetSecretValue");
const policy = span("GetResourcePolicy");
const readStart = (t1 - t0) / 1000;
const listStart = list?.first ?? readStart;
const batchStart = batch?.first ?? (t2 - t0) / 1000;
const declared = targets.reduce((n, s) => n + s.desired.secrets.length, 0);
process.stdout.write(
  `${JSON.stringify({
    declared,
    loadSeconds: (t1 - t0) / 1000,
    readAndPlanSeconds: (tPlan - t1) / 1000,
    totalSeconds: (tPlan - t0) / 1000,
    listSeconds: batchStart - listStart,
    valuesAndPlanSeconds: (tPlan - t0) / 1000 - batchStart,
    phases: {
      readSeconds: (tRead - t1) / 1000,
      firstListAfter: listStart - readStart,
      lastListAt: (list?.last ?? listStart) - readStart,
      firstBatchAt: batchStart - readStart,
      lastBatchAt: (batch?.last ?? batchStart) - readStart,
      policyReads: starts("GetResourcePolicy").length,
      policySpanSeconds: policy ? policy.last - policy.first : 0,
      planSeconds: (tPlan - tRead) / 1000,
      renderSeconds: (t2 - tPlan) / 1000,
      renderedBytes: Buffer.byteLength(text),
    },
    calls: counter.total,
    byOperation: counter.byOperation,
    changes,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
