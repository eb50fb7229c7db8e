// A latency-only loopback proxy between the SDK and moto, used when the test fault proxy
// (test/helpers/fault-proxy.ts) is not available: every request waits `latencyMs` before it is
// forwarded, like a round trip to a distant region.
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface LatencyProxy {
  endpoint: string;
  stats: { requests: number };
  stop(): Promise<void>;
}

export async function startLatencyProxy(opts: { target: string; latencyMs: number }): Promise<LatencyProxy> {
  const target = new URL(opts.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const stats = { requests: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    const body: Buffer[] = [];
    req.on("data", (d: Buffer) => body.push(d));
    req.on("end", () => {
      setTimeout(() => {
        const up = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        up.on("error", () => {
          res.writeHead(502);
          res.end();
        });
        up.end(Buffer.concat(body));
      }, opts.latencyMs);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      agent.destroy();
    },
  };
}
