// Go's text formats for scalar values, as sops uses them: the plaintext inside every ENC[...] value and
// the bytes fed to the MAC are produced by Go's strconv/time packages, so we reproduce them exactly.

/** strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  const negative = v < 0 || Object.is(v, -0);
  // toExponential() without an argument gives the shortest digits that round-trip, like Go's -1 precision.
  const [mantissa, expText] = Math.abs(v).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  let out: string;
  if (exp >= digits.length - 1) out = digits + "0".repeat(exp - digits.length + 1);
  else if (exp >= 0) out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  else out = `0.${"0".repeat(-exp - 1)}${digits}`;
  return negative ? `-${out}` : out;
}

/** strconv.ParseFloat(s, 64) for the decimal forms sops writes (also accepts Go's Inf/NaN spellings). */
export function parseGoFloat(s: string): number | undefined {
  const t = s.replaceAll("_", "");
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX]/.test(t)) {
    const n = Number(t.replace(/^([+-]?)/, ""));
    if (!Number.isNaN(n)) return t.startsWith("-") ? -n : n;
  }
  return undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.Atoi on a 64-bit platform: optional sign, decimal digits, int64 range. */
export function parseGoInt(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

export function isInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/** What sops encrypts and hashes for a bool: strings.Title(strconv.FormatBool(v)). */
export function formatGoBool(v: boolean): string {
  return v ? "True" : "False";
}

/**
 * A YAML timestamp as yaml.v3 accepts it, returned as Go's time.MarshalText (RFC 3339 with the
 * shortest fractional seconds and the original offset, "Z" for UTC). Undefined when not a timestamp.
 */
export function goTimestampText(s: string): string | undefined {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(?:[ \t]*(Z|[+-]\d{1,2}(?::?\d{2})?))?)?$/.exec(
      s,
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const two = (x: string | undefined) => (x ?? "0").padStart(2, "0");
  const date = `${y}-${two(mo)}-${two(d)}`;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  if (h === undefined) return `${date}T00:00:00Z`;
  const fraction = frac ? frac.replace(/0+$/, "") : "";
  let offset = "Z";
  if (zone && zone !== "Z") {
    const zm = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone);
    if (!zm) return undefined;
    const hh = two(zm[2]);
    const mm = zm[3] ?? "00";
    offset = hh === "00" && mm === "00" ? "Z" : `${zm[1]}${hh}:${mm}`;
  }
  return `${date}T${two(h)}:${two(mi)}:${two(se)}${fraction ? `.${fraction}` : ""}${offset}`;
}

/** time.Time.Format(time.RFC3339) of an RFC 3339 timestamp: fractions dropped, offset kept. */
export function rfc3339NoFraction(s: string): string | undefined {
  const text = goTimestampText(s.trim());
  return text?.replace(/\.\d+(?=Z|[+-])/, "");
}
