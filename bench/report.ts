// The benchmark's outputs: targets checked, a table on stdout, and bench/results/<date>.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { round } from "./measure.js";
import type { BenchRun } from "./results.js";

export interface TargetCheck {
  target: string;
  value: string;
  met: boolean;
  note?: string;
}

export function machineInfo() {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function evaluateTargets(run: BenchRun): TargetCheck[] {
  const out: TargetCheck[] = [];
  const lat = run.options.latencyMs ? ` (+${run.options.latencyMs} ms)` : "";
  for (const s of run.sizes) {
    if (!s.plan) continue;
    const v = s.plan.sopsync.callsPerSecret;
    out.push({
      target: `plan calls per in-sync secret <= 0.07 at N=${s.n}`,
      value: `${v} (baseline ${s.plan.baseline.callsPerSecret})`,
      met: v <= 0.07,
    });
  }
  const largest = run.sizes.filter((s) => s.plan).at(-1);
  if (largest?.plan) {
    const sp = largest.plan.speedup;
    out.push({
      target: `plan at N=${largest.n} >= 10x faster than the baseline${lat}`,
      value: `${sp}x (${round(largest.plan.sopsync.totalSeconds)}s vs ${round(largest.plan.baseline.seconds)}s)`,
      met: sp >= 10,
      note: largest.n === 5000 ? undefined : "target is stated for N=5000",
    });
  }
  for (const s of run.sizes) {
    const a = s.apply;
    if (!a) continue;
    out.push({
      target: `apply >= 90% of the configured ${a.configuredWritesPerSecond} writes/s, zero failed, N=${a.secrets}${lat}`,
      value: `${round(a.rateRatio * 100, 1)}% (${a.achievedWritesPerSecond}/s), ${a.failedWrites} failed`,
      met: a.rateRatio >= 0.9 && a.failedWrites === 0,
    });
  }
  const d = run.decrypt;
  if (d) {
    out.push({
      target: `decrypt ${d.values} values in-process: ratio to sops -d <= 1.0`,
      value: String(d.ratioInProcess),
      met: d.ratioInProcess <= 1,
    });
    out.push({
      target: `decrypt ${d.values} values via CLI: ratio to sops -d <= 1.0`,
      value: String(d.ratioCli),
      met: d.ratioCli <= 1,
    });
    const rss = Math.max(d.sopsyncInProcess.peakRssMb ?? 0, d.sopsyncCli.peakRssMb ?? 0);
    out.push({ target: `decrypt ${d.values} values: sopsync peak RSS < 300 MB`, value: `${rss} MB`, met: rss < 300 });
  }
  return out;
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

const ops = (byOp: Record<string, number>) =>
  Object.entries(byOp)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");

export function printReport(run: BenchRun, targets: TargetCheck[]): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  const lat = run.options.latencyMs
    ? `, +${run.options.latencyMs} ms per request via ${run.options.proxy}`
    : ", no added latency";
  w(`\nsopsync benchmark (${machineInfo().cores} cores, Node ${process.version}${lat})`);
  const planned = run.sizes.filter((s) => s.plan);
  if (planned.length) {
    w("\nPlan, account in sync (sopsync = decrypt + validate + read + plan; baseline = Terraform-style refresh, 10 in parallel)");
    w(
      table(
        [
          "N",
          "sopsync calls",
          "/secret",
          "s",
          "peak RSS MB",
          "baseline calls",
          "/secret",
          "s",
          "calls ratio",
          "time ratio",
          "speedup",
        ],
        planned.map((s) => {
          const p = s.plan as NonNullable<typeof s.plan>;
          return [
            s.n,
            p.sopsync.calls,
            p.sopsync.callsPerSecret,
            round(p.sopsync.totalSeconds),
            round(p.sopsync.peakRssMb, 0),
            p.baseline.calls,
            p.baseline.callsPerSecret,
            round(p.baseline.seconds),
            p.callRatio,
            p.timeRatio,
            `${p.speedup}x`,
          ];
        }),
      ),
    );
    w(
      "\nsopsync plan split: decrypt+validate | read+plan (of which: ListSecrets pages | value batches+plan), calls by operation",
    );
    w(
      table(
        ["N", "decrypt s", "read+plan s", "list s", "values+plan s", "sopsync calls by operation"],
        planned.map((s) => {
          const p = s.plan?.sopsync;
          return [
            s.n,
            round(p?.loadSeconds ?? 0),
            round(p?.readAndPlanSeconds ?? 0),
            round(p?.listSeconds ?? 0),
            round(p?.valuesAndPlanSeconds ?? 0),
            ops(p?.byOperation ?? {}),
          ];
        }),
      ),
    );
    w("\nPlan with 5% of values changed out of band (found = exactly the changed ones, checked)");
    w(
      table(
        ["N", "changed", "found", "calls", "/secret", "s"],
        planned.map((s) => [
          s.n,
          s.drift?.changed ?? "",
          s.drift?.found ?? "",
          s.drift?.plan.calls ?? "",
          s.drift?.plan.callsPerSecret ?? "",
          round(s.drift?.plan.totalSeconds ?? 0),
        ]),
      ),
    );
  }
  const applied = run.sizes.filter((s) => s.apply);
  if (applied.length) {
    w("\nApply: creates then value updates (update = PutSecretValue + TagResource), default pacing vs one by one");
    w(
      table(
        ["N", "writes", "configured w/s", "achieved w/s", "% of rate", "calls/write", "failed", "paced write s", "one-by-one s"],
        applied.map((s) => {
          const a = s.apply as NonNullable<typeof s.apply>;
          return [
            a.secrets,
            a.creates.writes + a.updates.writes,
            a.configuredWritesPerSecond,
            a.achievedWritesPerSecond,
            round(a.rateRatio * 100, 1),
            round(
              (a.creates.callsPerWrite * a.creates.writes + a.updates.callsPerWrite * a.updates.writes) /
                (a.creates.writes + a.updates.writes),
              3,
            ),
            a.failedWrites,
            round(a.creates.writeSeconds + a.updates.writeSeconds),
            round(a.oneByOne.writeSeconds),
          ];
        }),
      ),
    );
  }
  const d = run.decrypt;
  if (d) {
    w(`\nDecrypt: ${d.values} values (${Math.round(d.fileBytes / 1024)} KiB), median of ${d.repetitions}`);
    w(
      table(
        ["tool", "s", "peak RSS MB", "ratio to sops -d"],
        [
          ["sops -d (whole process)", d.sops.seconds, d.sops.peakRssMb ?? "?", 1],
          ["sopsync decryptFile (in-process)", d.sopsyncInProcess.seconds, d.sopsyncInProcess.peakRssMb ?? "?", d.ratioInProcess],
          ["sopsync validate (CLI, whole process)", d.sopsyncCli.seconds, d.sopsyncCli.peakRssMb ?? "?", d.ratioCli],
          ["  of which CLI start-up (--version)", d.cliStartup.seconds, d.cliStartup.peakRssMb ?? "?", ""],
        ],
      ),
    );
  }
  w("\nTargets");
  w(
    table(
      ["target", "measured", "met"],
      targets.map((t) => [t.target, t.value, `${t.met ? "yes" : "NO"}${t.note ? ` (${t.note})` : ""}`]),
    ),
  );
}

/** Adds this run to bench/results/<date>.json, replacing an earlier run with the same options. */
export function saveResults(run: BenchRun & { targets: TargetCheck[] }, machine: ReturnType<typeof machineInfo>): string {
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${run.startedAt.slice(0, 10)}.json`);
  const key = (r: BenchRun) => JSON.stringify(r.options);
  const previous: BenchRun[] = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as { runs: BenchRun[] }).runs : [];
  const runs = [...previous.filter((r) => key(r) !== key(run)), run];
  writeFileSync(path, `${JSON.stringify({ formatVersion: 1, machine, runs }, null, 2)}\n`);
  return join("bench/results", `${run.startedAt.slice(0, 10)}.json`);
}
