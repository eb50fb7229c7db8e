// One sopsync plan in its own process, so its peak RSS is its own: decrypt + validate the manifest,
// read the account, plan. Prints JSON with timings, calls by operation and the changed secrets'
// names and action types (a plan holds no values, so neither does this output).
import { openTargets } from "../src/run/targets.js";
import { newPlanIdentity, planTargets } from "../src/run/workflow.js";
import { CallCounter } from "./measure.js";

const file = process.argv[2];
if (!file) throw new Error("usage: plan-child.ts MANIFEST");

const counter = new CallCounter();
const t0 = performance.now();
const targets = await openTargets([file], { onRequest: counter.onRequest });
const t1 = performance.now();
const { plan } = await planTargets(targets, {}, newPlanIdentity());
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
// Where the read time goes: ListSecrets pages (sequential, NextToken) until the first value batch,
// then BatchGetSecretValue batches and planning.
const firstAt = (op: string) => counter.times.find((x) => x.op === op)?.at;
const listStart = firstAt("ListSecrets") ?? 0;
const batchStart = firstAt("BatchGetSecretValue") ?? t2 - t0;
const declared = targets.reduce((n, s) => n + s.desired.secrets.length, 0);
process.stdout.write(
  `${JSON.stringify({
    declared,
    loadSeconds: (t1 - t0) / 1000,
    readAndPlanSeconds: (t2 - t1) / 1000,
    totalSeconds: (t2 - t0) / 1000,
    listSeconds: (batchStart - listStart) / 1000,
    valuesAndPlanSeconds: (t2 - t0 - batchStart) / 1000,
    calls: counter.total,
    byOperation: counter.byOperation,
    changes,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
