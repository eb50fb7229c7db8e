// The form Secrets Manager hands a resource policy back in, where it differs from what was put:
// - a list holding one principal, action or resource comes back as that value alone — observed on
//   AWS (GetResourcePolicy after PutResourcePolicy with `"AWS": ["arn:…:role/x"]` returned
//   `"AWS" : "arn:…:role/x"`, crossplane-contrib/provider-aws#1804) and the reason Terraform's AWS
//   provider compares secret policies for equivalence (hashicorp/terraform-provider-aws#22217);
// - a bare account id as principal may be stored as the account's root ARN: "When you save a
//   resource-based policy that includes the shortened account ID, the service might convert it to the
//   principal ARN" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
// - the text is re-serialised, pretty-printed with ` : ` between key and value (same issue).
// Nothing else is assumed: the Statement list stays a list (as observed), condition values, order and
// Version are kept as put. Kept apart from src/: sopsync's own equivalence must not be its test's.

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const scalarIfOne = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);

export function awsPolicyForm(policy: unknown, partition = "aws"): unknown {
  if (!isObject(policy)) return policy;
  const statements = policy.Statement;
  const each = (s: unknown) => (isObject(s) ? statementForm(s, partition) : s);
  return {
    ...policy,
    ...(statements !== undefined ? { Statement: Array.isArray(statements) ? statements.map(each) : each(statements) } : {}),
  };
}

function statementForm(s: Record<string, unknown>, partition: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...s };
  for (const key of ["Principal", "NotPrincipal"]) {
    const p = s[key];
    if (!isObject(p)) continue;
    const entries = Object.entries(p).map(([type, v]) => {
      const ids = Array.isArray(v) ? v : [v];
      const stored =
        type === "AWS"
          ? ids.map((id) => (typeof id === "string" && /^\d{12}$/.test(id) ? `arn:${partition}:iam::${id}:root` : id))
          : ids;
      return [type, scalarIfOne(Array.isArray(v) ? stored : stored[0])];
    });
    out[key] = Object.fromEntries(entries);
  }
  for (const key of ["Action", "NotAction", "Resource", "NotResource"]) if (key in s) out[key] = scalarIfOne(s[key]);
  return out;
}

/** Pretty-printed the way the service answers: two-space indent, `"key" : value`, `[ {` for lists. */
export function awsPolicyText(v: unknown, indent = ""): string {
  if (Array.isArray(v)) return v.length ? `[ ${v.map((x) => awsPolicyText(x, indent)).join(", ")} ]` : "[ ]";
  if (isObject(v)) {
    const entries = Object.entries(v);
    if (entries.length === 0) return "{ }";
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)} : ${awsPolicyText(x, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(v);
}
