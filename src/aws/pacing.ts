// Client-side pacing below Secrets Manager's per-account quotas, shared by readers and writers.

/** Starts at most `ratePerSecond` calls per second, spread evenly (a token bucket of size 1). */
export class Pacer {
  private next = 0;
  constructor(
    readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async take(): Promise<void> {
    return Pacer.takeAll([this], this.now, this.sleep);
  }

  /**
   * One start time that is a free slot of every pacer given, reserved in all of them at once: taking
   * them one after another would let a wait for the second squeeze two starts of the first together.
   */
  static async takeAll(pacers: readonly Pacer[], now: () => number, sleep: (ms: number) => Promise<void>): Promise<void> {
    const t = now();
    const slot = pacers.reduce((s, p) => Math.max(s, p.next), t);
    for (const p of pacers) p.next = slot + 1000 / p.ratePerSecond;
    if (slot > t) await sleep(slot - t);
  }
}

/** Runs at most `max` of the functions given to it at once; the others wait their turn. */
export function limiter(max: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Maps with at most `limit` calls in flight, keeping input order in the result. */
export function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const run = limiter(Math.max(1, limit));
  return Promise.all(items.map((item, i) => run(() => fn(item, i))));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
