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

/**
 * yaml.v3's encoding of a float64 (encode.go floatv): strconv.FormatFloat(v, 'g', -1, 64), Inf and NaN
 * spelt the YAML way. With shortest digits Go switches to an exponent below 1e-4 and from 1e6 on
 * (its 'g' uses precision 6 for that decision), with at least two exponent digits: 1e-07, 1.5e+06.
 * This is the text `sops decrypt --extract` prints for a float, and so a float scalar's SecretString.
 */
export function formatYamlFloat(v: number): string {
  if (Number.isNaN(v)) return ".nan";
  if (v === Infinity) return ".inf";
  if (v === -Infinity) return "-.inf";
  const sign = v < 0 || Object.is(v, -0) ? "-" : "";
  const [mantissa, expText] = Math.abs(v).toExponential().split("e") as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const digits = String(Math.abs(exp)).padStart(2, "0");
    return `${sign}${mantissa}e${exp < 0 ? "-" : "+"}${digits}`;
  }
  return formatGoFloat(v);
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

// ---- strconv.ParseInt / ParseUint / ParseFloat, as far as yaml.v3's resolver calls them ----

const UINT64_MAX = 2n ** 64n - 1n;

/** Go's underscoreOK: `_` only between digits, or between a base prefix and a digit. */
function underscoreOK(text: string): boolean {
  let s = text;
  let saw = "^";
  let i = 0;
  if (s.startsWith("-") || s.startsWith("+")) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0" && "box".includes((s[1] ?? "").toLowerCase())) {
    i = 2;
    saw = "0";
    hex = s[1]?.toLowerCase() === "x";
  }
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if ((c >= "0" && c <= "9") || (hex && /[a-f]/i.test(c))) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

/** strconv.ParseUint(s, base, 64); undefined for a syntax or range error. Base 0 reads prefixes and `_`. */
export function goParseUint(text: string, base: 0 | 2 | 8 | 10 | 16): bigint | undefined {
  if (text === "") return undefined;
  let s = text;
  let b: number = base;
  const base0 = base === 0;
  if (base0) {
    b = 10;
    if (s[0] === "0") {
      const p = (s[1] ?? "").toLowerCase();
      if (s.length >= 3 && (p === "b" || p === "o" || p === "x")) {
        b = p === "b" ? 2 : p === "o" ? 8 : 16;
        s = s.slice(2);
      } else {
        b = 8;
        s = s.slice(1);
      }
    }
  }
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    if (c === "_" && base0) {
      underscores = true;
      continue;
    }
    const d = Number.parseInt(c, 36);
    if (Number.isNaN(d) || d >= b) return undefined;
    n = n * BigInt(b) + BigInt(d);
  }
  if (underscores && !underscoreOK(text)) return undefined;
  return n > UINT64_MAX ? undefined : n;
}

/** strconv.ParseInt(s, base, 64); undefined for a syntax or range error. */
export function goParseInt(text: string, base: 0 | 2 | 8 | 10 | 16): bigint | undefined {
  if (text === "") return undefined;
  const negative = text[0] === "-";
  const s = text[0] === "+" || text[0] === "-" ? text.slice(1) : text;
  const u = goParseUint(s, base);
  if (u === undefined) return undefined;
  if (negative ? u > -INT64_MIN : u > INT64_MAX) return undefined;
  return negative ? -u : u;
}

/**
 * strconv.ParseFloat(s, 64) for decimal text, the only form yaml.v3's resolver passes it: undefined for
 * a syntax error and for overflow (Go's ErrRange; yaml.v3 then keeps the scalar as a string).
 */
export function goParseDecimalFloat(text: string): number | undefined {
  if (!/^[+-]?([0-9_]+\.?[0-9_]*|\.[0-9_]+)([eE][+-]?[0-9_]+)?$/.test(text)) return undefined;
  if (!/[0-9]/.test(text.replace(/[eE].*$/, ""))) return undefined;
  if (text.includes("_") && !underscoreOK(text)) return undefined;
  const v = Number(text.replaceAll("_", ""));
  return Number.isFinite(v) ? v : undefined;
}

// ---- time.Parse with the layouts yaml.v3 tries, and time.Time.MarshalText ----

/** One element of a Go time layout: a literal, or one of the std chunks these layouts use. */
type LayoutPart = string | { std: "year" | "month" | "day" | "hour" | "minute" | "second" | "fraction" | "zone" };
const std = (name: Exclude<LayoutPart, string>["std"]): LayoutPart => ({ std: name });

/**
 * yaml.v3's allowedTimestampFormats (resolve.go), in its order, spelled as Go layout chunks:
 *   "2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00",
 *   "2006-1-2 15:4:5.999999999", "2006-1-2".
 * Anything else that looks like a date ("2024-01-02T03:04:05" without a zone, "+0100", "+01",
 * " +01:00", "2024-01-02 03:04:05Z") is not a timestamp to yaml.v3 and stays a string.
 */
const DATE = [std("year"), "-", std("month"), "-", std("day")];
const CLOCK = [std("hour"), ":", std("minute"), ":", std("second"), std("fraction")];
const TIMESTAMP_LAYOUTS: LayoutPart[][] = [
  [...DATE, "T", ...CLOCK, std("zone")],
  [...DATE, "t", ...CLOCK, std("zone")],
  [...DATE, " ", ...CLOCK],
  [...DATE],
];

interface GoTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Nanoseconds as 9 digits. */
  nanos: string;
  /** Offset from UTC in seconds. */
  offset: number;
}

/** Go's getnum(s, false): one or two digits. */
function getnum(s: string): [number, string] | undefined {
  if (!/^[0-9]/.test(s)) return undefined;
  if (!/^[0-9]{2}/.test(s)) return [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** time.Parse(layout, value) for the chunks above, with Go's range checks; undefined on any error. */
function parseLayout(layout: LayoutPart[], value: string): GoTime | undefined {
  const t: GoTime = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: "000000000", offset: 0 };
  let v = value;
  for (const part of layout) {
    if (typeof part === "string") {
      // A space in a layout matches one or more spaces (Go's skip); other literals match exactly.
      if (part === " ") {
        if (v.length > 0 && v[0] !== " ") return undefined;
        v = v.replace(/^ +/, "");
      } else if (v.startsWith(part)) v = v.slice(part.length);
      else return undefined;
      continue;
    }
    switch (part.std) {
      case "year": {
        if (!/^[0-9]{4}/.test(v)) return undefined;
        t.year = Number(v.slice(0, 4));
        v = v.slice(4);
        break;
      }
      case "fraction": {
        // ".999999999": optional; takes every digit after '.' or ',', keeping the first nine (truncated).
        const m = /^[.,]([0-9]+)/.exec(v);
        if (!m) break;
        t.nanos = (m[1] as string).slice(0, 9).padEnd(9, "0");
        v = v.slice(m[0].length);
        break;
      }
      case "zone": {
        // "Z07:00": 'Z', or sign, two-digit hours, ':', two-digit minutes (hours up to 24, minutes up to 60).
        if (v.startsWith("Z")) {
          v = v.slice(1);
          break;
        }
        const m = /^([+-])([0-9]{2}):([0-9]{2})/.exec(v);
        if (!m || v.length < 6) return undefined;
        const [hh, mm] = [Number(m[2]), Number(m[3])];
        if (hh > 24 || mm > 60) return undefined;
        t.offset = (m[1] === "-" ? -1 : 1) * (hh * 60 + mm) * 60;
        v = v.slice(6);
        break;
      }
      default: {
        const got = getnum(v);
        if (!got) return undefined;
        const [n, rest] = got;
        const limits = { month: [1, 12], day: [0, 99], hour: [0, 23], minute: [0, 59], second: [0, 59] } as const;
        const [lo, hi] = limits[part.std];
        if (n < lo || n > hi) return undefined;
        t[part.std] = n;
        v = rest;
      }
    }
  }
  if (v !== "") return undefined;
  if (t.day < 1 || t.day > daysIn(t.month, t.year)) return undefined;
  return t;
}

export class TimeMarshalError extends Error {}

/** time.Time.MarshalText (RFC 3339 with the shortest fraction, the parsed offset, "Z" for UTC). */
function marshalText(t: GoTime): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const fraction = t.nanos.replace(/0+$/, "");
  let zone = "Z";
  if (t.offset !== 0) {
    const minutes = Math.trunc(Math.abs(t.offset) / 60);
    // Go's strict RFC 3339 output refuses offsets of 24 hours or more (sops then cannot hash the value).
    if (Math.trunc(minutes / 60) >= 24) throw new TimeMarshalError("timestamp offset of 24 hours or more (Go cannot marshal it)");
    zone = `${t.offset < 0 ? "-" : "+"}${p(Math.trunc(minutes / 60))}:${p(minutes % 60)}`;
  }
  return `${p(t.year, 4)}-${p(t.month)}-${p(t.day)}T${p(t.hour)}:${p(t.minute)}:${p(t.second)}${fraction ? `.${fraction}` : ""}${zone}`;
}

/**
 * yaml.v3's parseTimestamp (only text starting with four digits and '-', then each layout in turn),
 * returned as the MarshalText text sops hashes and encrypts. Undefined when not a timestamp; throws
 * TimeMarshalError for a timestamp Go parses but cannot print.
 */
export function goTimestampText(s: string): string | undefined {
  if (!/^[0-9]{4}-/.test(s)) return undefined;
  for (const layout of TIMESTAMP_LAYOUTS) {
    const t = parseLayout(layout, s);
    if (t) return marshalText(t);
  }
  return undefined;
}

/** time.Time.Format(time.RFC3339) of an RFC 3339 timestamp: fractions dropped, offset kept. */
export function rfc3339NoFraction(s: string): string | undefined {
  let text: string | undefined;
  try {
    text = goTimestampText(s.trim());
  } catch {
    return undefined;
  }
  return text?.replace(/\.\d+(?=Z|[+-])/, "");
}
