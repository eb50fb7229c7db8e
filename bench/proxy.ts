// Added latency between sopsync and moto: the test fault proxy when it exists (latency only, no
// faults), else bench/latency-proxy.ts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startLatencyProxy } from "./latency-proxy.js";

export interface Proxy {
  endpoint: string;
  kind: "test/helpers/fault-proxy" | "bench/latency-proxy";
  stop(): Promise<void>;
}

type StartFaultProxy = (opts: { target: string; seed: number; latencyMs: number }) => Promise<{ endpoint: string; stop(): Promise<void> }>;

export async function startProxy(target: string, latencyMs: number): Promise<Proxy> {
  const faultProxy = join(import.meta.dirname, "../test/helpers/fault-proxy.ts");
  if (existsSync(faultProxy)) {
    const mod = (await import(pathToFileURL(faultProxy).href)) as { startFaultProxy?: StartFaultProxy };
    if (mod.startFaultProxy) {
      const p = await mod.startFaultProxy({ target, seed: 1, latencyMs });
      return { endpoint: p.endpoint, kind: "test/helpers/fault-proxy", stop: () => p.stop() };
    }
  }
  const p = await startLatencyProxy({ target, latencyMs });
  return { endpoint: p.endpoint, kind: "bench/latency-proxy", stop: () => p.stop() };
}
