// The run's signal is shared by every AWS call in flight: with several targets read at once that is
// more listeners than Node's default, which must not print a leak warning on stderr.
import { afterEach, describe, expect, it } from "vitest";
import { runLimit } from "../../src/cli/deadline.js";

describe("runLimit", () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  afterEach(() => {
    process.off("warning", onWarning);
    warnings.length = 0;
  });

  const listen = async (signal: AbortSignal, n: number) => {
    process.on("warning", onWarning);
    for (let i = 0; i < n; i++) signal.addEventListener("abort", () => {}, { once: true });
    await new Promise((r) => setTimeout(r, 20));
  };

  it("takes any number of calls listening to its signal without a MaxListenersExceededWarning", async () => {
    const limit = runLimit(undefined);
    await listen(limit.signal, 64);
    limit.clear();
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });

  it("(a plain AbortSignal does warn at that count: the check above can fail)", async () => {
    await listen(new AbortController().signal, 64);
    expect(warnings).toContain("MaxListenersExceededWarning");
  });
});
