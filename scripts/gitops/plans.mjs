// Pure: whether two saved plans would do exactly the same thing. The apply workflow applies the
// merged pull request's saved plan only when it equals a fresh plan of the merged manifest: the plan
// artifact comes from a pull-request run, which anyone able to push a branch controls, so it must
// never be able to do more (or other) than the manifest on main asks for.

/** Same manifests (by hash), targets, scopes and, per secret, the same actions and preconditions. */
export function samePlan(a, b) {
  const targets = (p) =>
    (p?.targets ?? []).map((t) => ({
      manifest: t.manifest?.sha256,
      target: t.target,
      scope: t.scope,
      changes: (t.changes ?? [])
        .filter((c) => c.actions?.length)
        .map((c) => ({ name: c.name, actions: c.actions, precondition: c.precondition })),
    }));
  return a?.formatVersion === b?.formatVersion && canonical(targets(a)) === canonical(targets(b));
}

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
