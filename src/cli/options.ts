// Option parsers shared by commands, kept apart from any command so that loading one (validate,
// targets, report) does not load another's dependencies.
import { InvalidArgumentError } from "commander";

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
}

/** A repeatable option's values. */
export const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
