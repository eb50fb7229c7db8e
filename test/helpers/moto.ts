// Starts a real moto server (Secrets Manager, KMS, STS) on a free loopback port for a test file,
// points the AWS SDK at it through the standard endpoint variables, and resets it between tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { toolPath } from "./tools.js";

export interface Moto {
  endpoint: string;
  port: number;
  /** The server's process id (the benchmark reads its CPU time). */
  pid: number;
  /** The environment a child process (the CLI) needs to talk to this moto. */
  env: Record<string, string>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const TEST_REGION = "eu-west-1";
/** moto's fixed account id. */
export const MOTO_ACCOUNT = "123456789012";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_ENDPOINT_URL_KMS: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: TEST_REGION,
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

export interface MotoOptions {
  setProcessEnv?: boolean;
  /** A Python file run with moto's interpreter in place of moto_server, taking its arguments (the benchmark's). */
  script?: string;
}

export async function startMoto(opts: MotoOptions = {}): Promise<Moto> {
  const bin = toolPath("moto_server");
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const listen = ["-H", "127.0.0.1", "-p", String(port)];
  const [cmd, args] = opts.script ? [join(dirname(bin), "python"), [opts.script, ...listen]] : [bin, listen];
  const child: ChildProcess = spawn(cmd, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: "true" },
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start on ${endpoint} within 30s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = awsEnv(endpoint);
  if (opts.setProcessEnv !== false) Object.assign(process.env, env);
  return {
    endpoint,
    port,
    pid: child.pid ?? 0,
    env,
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!r.ok) throw new Error(`moto reset failed: ${r.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
