// A loopback HTTP proxy between the AWS SDK and moto that injects what real AWS does under load:
// 400 ThrottlingException (AWS JSON protocol shape), 500/503, dropped connections (before the request
// reaches the service, or after it was processed so only the response is lost) and latency. Faults
// are drawn from a seeded generator; every request is counted per operation (X-Amz-Target).
// Used by the apply fault tests and by the benchmark (`latencyMs`).
// One piece of AWS behaviour is always on rather than faulted: UpdateSecretVersionStage is the
// compare-and-set the apply lock relies on, so calls on one secret reach moto one at a time (see
// `serially`) and fail whole when MoveToVersionId does not exist (aws-version-stages.ts).
import { atomicStageMove } from "./aws-version-stages.js";
import { compose, type Next, type Rule } from "./aws-behaviour.js";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request as httpRequest,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export interface FaultRates {
  /** Share of requests answered 400 ThrottlingException without reaching the service. */
  throttleRate?: number;
  /** Share answered 500 InternalServiceError or 503 ServiceUnavailable without reaching the service. */
  errorRate?: number;
  /** Share whose connection is reset: half before forwarding, half after (response lost). */
  resetRate?: number;
  /** Added before each request is forwarded. */
  latencyMs?: number;
}

export interface FaultProxyOptions extends FaultRates {
  /** The service endpoint, e.g. moto's `http://127.0.0.1:PORT`. */
  target: string;
  seed?: number;
  /**
   * Called for every request before any fault is drawn. Return "drop" to reset the connection
   * without forwarding (for example after killing the client), "drop-response" to forward it and
   * then reset the connection (the service did the work, the client never hears of it), or an error
   * to answer with it. May be async: the request waits. `headers` as received, e.g. to check the
   * user agent on the wire; `secret` is the request's SecretId or Name, when it has one.
   */
  /**
   * The AWS-behaviour layer (aws-behaviour.ts): rules applied to Secrets Manager requests that reach
   * the service, after faults are drawn, so the wire behaves as AWS documents where moto differs.
   */
  behaviour?: readonly Rule[];
  onRequest?: (r: {
    operation: string;
    seq: number;
    headers: IncomingHttpHeaders;
    secret?: string;
  }) => OnRequestResult | Promise<OnRequestResult>;
}

/** An AWS JSON-protocol error to answer with, e.g. `{ status: 400, type: "LimitExceededException" }`. */
export interface InjectedError {
  status: number;
  type: string;
  message?: string;
}

export type OnRequestResult = undefined | "drop" | "drop-response" | InjectedError;

export interface FaultProxyStats {
  requests: number;
  byOperation: Record<string, number>;
  /** Requests that reached the service. */
  forwarded: number;
  faults: {
    throttle: number;
    error: number;
    resetBefore: number;
    resetAfter: number;
    dropped: number;
    droppedResponse: number;
    injected: number;
  };
  /** Write requests (any outcome) to the apply lock's secrets, names starting with LOCK_SECRET_PREFIX. */
  lockWrites: number;
}

export interface FaultProxy {
  endpoint: string;
  readonly stats: FaultProxyStats;
  /** Environment for a child process (the CLI) to talk to the service through this proxy. */
  env: Record<string, string>;
  /** Change the fault rates from now on (the random sequence continues). */
  setFaults(rates: FaultRates): void;
  /** Zero the counters. */
  resetStats(): void;
  /**
   * Requests of the write operations (see WRITE_OPERATIONS) counted so far. `excludeLock`: only
   * those to secrets, leaving out the apply lock's own calls (to names under LOCK_SECRET_PREFIX).
   */
  writes(opts?: { excludeLock?: boolean }): number;
  stop(): Promise<void>;
}

/** The Secrets Manager operations that change something. */
export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  "CreateSecret",
  "PutSecretValue",
  "UpdateSecret",
  "TagResource",
  "UntagResource",
  "DeleteSecret",
  "RestoreSecret",
  "PutResourcePolicy",
  "DeleteResourcePolicy",
  "ReplicateSecretToRegions",
  "RemoveRegionsFromReplication",
  "UpdateSecretVersionStage",
  "RotateSecret",
  "CancelRotateSecret",
  "StopReplicationToReplica",
]);

/** Kept here rather than imported, so the proxy states on its own what it leaves out. */
export const LOCK_SECRET_PREFIX = "sopsync-lock/";

/** The secret a Secrets Manager request names (SecretId or Name; an ARN reduced to the name). */
function secretOf(req: IncomingMessage, body: Buffer): string | undefined {
  if (typeof req.headers["x-amz-target"] !== "string") return undefined;
  let parsed: { SecretId?: unknown; Name?: unknown };
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const id = typeof parsed.SecretId === "string" ? parsed.SecretId : typeof parsed.Name === "string" ? parsed.Name : undefined;
  // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX
  const arn = id ? /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id) : null;
  return arn ? arn[1] : id;
}

/** mulberry32: small, seedable, good enough to pick faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptyStats(): FaultProxyStats {
  return {
    requests: 0,
    byOperation: {},
    forwarded: 0,
    faults: { throttle: 0, error: 0, resetBefore: 0, resetAfter: 0, dropped: 0, droppedResponse: 0, injected: 0 },
    lockWrites: 0,
  };
}

/** `secretsmanager.CreateSecret` -> `CreateSecret`; query-protocol calls (STS) by their Action. */
function operationOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return target.slice(target.lastIndexOf(".") + 1);
  const action = /(?:^|&)Action=([^&]+)/.exec(body.toString("utf8"));
  return action?.[1] ?? `${req.method} ${req.url}`;
}

/** The region a SigV4 request was signed for (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`). */
function signedRegion(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return typeof auth === "string" ? /Credential=[^/]+\/\d+\/([^/]+)\//.exec(auth)?.[1] : undefined;
}

function isSecretsManager(req: IncomingMessage): boolean {
  const target = req.headers["x-amz-target"];
  return typeof target === "string" && target.startsWith("secretsmanager.");
}

function jsonError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "x-amzn-errortype": type,
    "x-amzn-requestid": `fault-${Math.random().toString(16).slice(2)}`,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.target);
  const random = seededRandom(opts.seed ?? 1);
  let rates: Required<FaultRates> = { throttleRate: 0, errorRate: 0, resetRate: 0, latencyMs: 0 };
  const setFaults = (r: FaultRates) => {
    rates = {
      throttleRate: r.throttleRate ?? 0,
      errorRate: r.errorRate ?? 0,
      resetRate: r.resetRate ?? 0,
      latencyMs: r.latencyMs ?? 0,
    };
  };
  setFaults(opts);
  let stats = emptyStats();
  let seq = 0;

  // AWS documents UpdateSecretVersionStage as failing when the label is not on RemoveFromVersionId,
  // so two calls moving one label from one version cannot both succeed. moto checks the label and
  // removes it in two Python steps, and its server runs requests on several threads: a thread switch
  // between the steps lets two calls both pass the check. Rare (none in 100 unserialized racing pairs
  // tried), but a lock test must not pass or fail by luck, so calls on one secret go one at a time.
  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
  const queues = new Map<string, Promise<unknown>>();
  const serially = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => {});
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return run;
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const up = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
          r.on("error", reject);
        },
      );
      up.on("error", reject);
      up.end(body);
    });

  const behaviour = opts.behaviour?.length ? opts.behaviour : undefined;
  const ATOMIC_STAGE_MOVE = atomicStageMove();
  /** The request through the behaviour rules, the last of which forwards to the service. */
  const viaRules = async (req: IncomingMessage, body: Buffer, operation: string) => {
    let headers: IncomingMessage["headers"] = {};
    const service: Next = async (r) => {
      const out = Buffer.from(JSON.stringify(r.body));
      // A rule may ask the service something else first (DescribeSecret before a write): the target
      // header names the operation, so it follows the request the rule passes on.
      const target = String(req.headers["x-amz-target"] ?? "");
      const asked = `${target.slice(0, target.lastIndexOf(".") + 1)}${r.operation}`;
      const answer = await forward(
        {
          ...req,
          headers: { ...req.headers, "x-amz-target": asked, "content-length": String(out.length) },
        } as unknown as IncomingMessage,
        out,
      );
      headers = answer.headers;
      const text = answer.body.toString("utf8");
      return { status: answer.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const parsed = body.length ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
    const answer = await compose(
      [ATOMIC_STAGE_MOVE, ...(behaviour ?? [])],
      service,
    )({ operation, body: parsed, region: signedRegion(req) });
    const out = Buffer.from(JSON.stringify(answer.body));
    // The service's error header must not outlive a rule that changed the answer.
    const { "x-amzn-errortype": _, ...kept } = headers;
    const type = typeof answer.body.__type === "string" ? { "x-amzn-errortype": answer.body.__type } : {};
    return {
      status: answer.status,
      headers: { ...kept, ...type, "content-type": "application/x-amz-json-1.1", "content-length": String(out.length) },
      body: out,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const operation = operationOf(req, body);
    const n = ++seq;
    stats.requests++;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    const secret = secretOf(req, body);
    if (WRITE_OPERATIONS.has(operation) && secret?.startsWith(LOCK_SECRET_PREFIX)) stats.lockWrites++;
    const decided = await opts.onRequest?.({ operation, seq: n, headers: req.headers, secret });
    if (decided === "drop") {
      stats.faults.dropped++;
      req.socket.destroy();
      return;
    }
    if (decided && decided !== "drop-response") {
      stats.faults.injected++;
      jsonError(res, decided.status, decided.type, decided.message ?? decided.type);
      return;
    }
    if (rates.latencyMs > 0) await new Promise((r) => setTimeout(r, rates.latencyMs));
    // Faults only on the JSON protocol (Secrets Manager, KMS); STS's query protocol passes through.
    const faultable = typeof req.headers["x-amz-target"] === "string";
    const draw = faultable && decided !== "drop-response" ? random() : 1;
    let resetAfter = false;
    if (draw < rates.throttleRate) {
      stats.faults.throttle++;
      jsonError(res, 400, "ThrottlingException", "Rate exceeded");
      return;
    }
    if (draw < rates.throttleRate + rates.errorRate) {
      stats.faults.error++;
      if (random() < 0.5) jsonError(res, 500, "InternalServiceError", "An error occurred on the server side.");
      else jsonError(res, 503, "ServiceUnavailable", "Service is temporarily unavailable.");
      return;
    }
    if (draw < rates.throttleRate + rates.errorRate + rates.resetRate) {
      if (random() < 0.5) {
        stats.faults.resetBefore++;
        req.socket.destroy();
        return;
      }
      resetAfter = true;
    }
    const ruled = (behaviour !== undefined || operation === "UpdateSecretVersionStage") && isSecretsManager(req);
    const send = () => (ruled ? viaRules(req, body, operation) : forward(req, body));
    const r = operation === "UpdateSecretVersionStage" && secret !== undefined ? await serially(secret, send) : await send();
    stats.forwarded++;
    if (decided === "drop-response") {
      stats.faults.droppedResponse++;
      req.socket.destroy();
      return;
    }
    if (resetAfter) {
      // The service did the work; the client never hears about it and retries.
      stats.faults.resetAfter++;
      req.socket.destroy();
      return;
    }
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        // Upstream unreachable or the client went away: close this connection.
        req.socket.destroy();
      });
    });
    // A killed client leaves half-open sockets behind: ignore their errors.
    req.on("error", () => {});
    res.on("error", () => {});
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    get stats() {
      return stats;
    },
    env: {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_KMS: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
    },
    setFaults,
    resetStats() {
      stats = emptyStats();
    },
    writes(o = {}) {
      let n = 0;
      for (const [op, count] of Object.entries(stats.byOperation)) if (WRITE_OPERATIONS.has(op)) n += count;
      return o.excludeLock ? n - stats.lockWrites : n;
    },
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
