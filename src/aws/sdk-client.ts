// What every SDK client sopsync makes gets: calls that follow the run's call context (its signal
// abandons them), a count of requests on the wire when asked, the endpoint it talks to (so an
// unreachable one can be named), and one way to turn the SDK's errors into AwsCallError.
import { callContext } from "./call-context.js";
import { AwsCallError } from "./port.js";
import { failureCode, isUnreachable } from "./retry.js";

/** Any SDK v3 client; only `send`, `middlewareStack.add` and `.remove` are used, in the shapes below. */
interface Sendable {
  send(...args: never[]): Promise<unknown>;
  middlewareStack: { add(...args: never[]): void; remove(name: string): boolean };
}

type Observer = (
  next: (args: { request?: unknown }) => Promise<unknown>,
  context: { commandName?: string },
) => (args: { request?: unknown }) => Promise<unknown>;

type Send = (command: unknown, options?: unknown) => Promise<unknown>;

export interface Instrumented {
  /** Where the last request went (`https://secretsmanager.eu-west-1.amazonaws.com`), once one was sent. */
  endpoint(): string | undefined;
}

export function instrument(client: Sendable, onRequest?: (operation: string) => void): Instrumented {
  let endpoint: string | undefined;
  // The SDK's logger middleware hands every call's input and output to `logger.info`, first copying
  // them through a filter that masks sensitive members. sopsync's logger drops everything it is given
  // (sdk-logger.ts), so that copy of every ListSecrets page and BatchGetSecretValue answer is pure
  // cost: a large share of a fleet plan's CPU. Warnings the SDK logs elsewhere still reach the logger.
  client.middlewareStack.remove("loggerMiddleware");
  // After the retry middleware, so every attempt on the wire is seen.
  const observe: Observer = (next, context) => async (args) => {
    const r = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
    if (r?.hostname) endpoint = `${r.protocol ?? "https:"}//${r.hostname}${r.port ? `:${r.port}` : ""}`;
    onRequest?.(context.commandName ?? "unknown");
    return next(args);
  };
  (client.middlewareStack.add as (mw: Observer, where: object) => void).call(client.middlewareStack, observe, {
    step: "finalizeRequest",
    name: "sopsyncObserveRequests",
    priority: "low",
  });
  const send = (client.send as Send).bind(client);
  // Every call made through this client follows the signal of the context it was made in.
  (client as unknown as { send: Send }).send = (command, options) =>
    send(command, options ?? { abortSignal: callContext().signal });
  return { endpoint: () => endpoint };
}

const REASON: Record<string, string> = {
  ECONNREFUSED: "connection refused: nothing is listening there",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name could not be resolved (DNS did not answer)",
  EHOSTUNREACH: "no route to the host",
  ENETUNREACH: "the network is unreachable",
  ETIMEDOUT: "no answer within the attempt's timeout",
  TimeoutError: "no connection or answer within the attempt's timeout",
};

/**
 * The SDK's error as AwsCallError, never carrying SDK internals or request bodies. An endpoint that
 * cannot be reached is named, with the network code as the error code and the attempts made.
 */
export function sdkError(operation: string, err: unknown, endpoint: string | undefined): AwsCallError {
  const e = err as {
    name?: string;
    code?: unknown;
    message?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  if (e?.name === "AbortError") return new AwsCallError(operation, "AbortError", "the call was abandoned (run stopped)");
  if (isUnreachable(e)) {
    const code = failureCode(e);
    const attempts = e.$metadata?.attempts;
    const tried = attempts && attempts > 1 ? ` (${attempts} attempts)` : "";
    return new AwsCallError(
      operation,
      code,
      `cannot reach ${endpoint ?? "the AWS endpoint"}: ${REASON[code] ?? code}${tried}; check the region, AWS_ENDPOINT_URL* and the network or proxy`,
    );
  }
  return new AwsCallError(operation, failureCodeOfAws(e), e.message ?? String(err), e.$metadata?.httpStatusCode);
}

/** AWS errors keep their name (ThrottlingException, ...); a bare network failure its Node code. */
function failureCodeOfAws(e: { name?: string; code?: unknown; $metadata?: { httpStatusCode?: number } }): string {
  if (e.$metadata?.httpStatusCode === undefined) return failureCode(e);
  return e.name ?? "Error";
}
