export function samePlan(a: unknown, b: unknown): boolean;
