// Shamir secret sharing over GF(2^8) exactly as HashiCorp Vault's shamir package (vendored by sops):
// AES field polynomial x^8+x^4+x^3+x+1, each share = one y byte per secret byte followed by its x.
import { randomBytes, randomInt } from "node:crypto";

function mul(a: number, b: number): number {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    r = ((r << 1) ^ (r & 0x80 ? 0x1b : 0)) & 0xff;
    if ((b >> i) & 1) r ^= a;
  }
  return r;
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8)
  let result = 1;
  let base = a;
  let e = 254;
  while (e > 0) {
    if (e & 1) result = mul(result, base);
    base = mul(base, base);
    e >>= 1;
  }
  return result;
}

function div(a: number, b: number): number {
  if (b === 0) throw new Error("shamir: divide by zero");
  return a === 0 ? 0 : mul(a, inverse(b));
}

function interpolateAtZero(xs: number[], ys: number[]): number {
  let result = 0;
  for (let i = 0; i < xs.length; i++) {
    let basis = 1;
    for (let j = 0; j < xs.length; j++) {
      if (i === j) continue;
      basis = mul(basis, div(xs[j] as number, (xs[i] as number) ^ (xs[j] as number)));
    }
    result ^= mul(ys[i] as number, basis);
  }
  return result;
}

export function combineShares(parts: Uint8Array[]): Uint8Array {
  if (parts.length < 2) throw new Error("shamir: less than two parts cannot be used to reconstruct the secret");
  const len = parts[0]?.length ?? 0;
  if (len < 2) throw new Error("shamir: parts must be at least two bytes");
  if (parts.some((p) => p.length !== len)) throw new Error("shamir: all parts must be the same length");
  const xs = parts.map((p) => p[len - 1] as number);
  if (new Set(xs).size !== xs.length) throw new Error("shamir: duplicate part detected");
  const secret = new Uint8Array(len - 1);
  for (let b = 0; b < len - 1; b++)
    secret[b] = interpolateAtZero(
      xs,
      parts.map((p) => p[b] as number),
    );
  return secret;
}

export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (parts < threshold) throw new Error("shamir: parts cannot be less than threshold");
  if (parts > 255) throw new Error("shamir: parts cannot exceed 255");
  if (threshold < 2) throw new Error("shamir: threshold must be at least 2");
  if (secret.length === 0) throw new Error("shamir: cannot split an empty secret");
  // Distinct random non-zero x coordinates, like Vault's rand.Perm(255)+1.
  const pool = Array.from({ length: 255 }, (_, i) => i + 1);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  const xs = pool.slice(0, parts);
  const out = xs.map((x) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = x;
    return share;
  });
  for (let b = 0; b < secret.length; b++) {
    const coefficients = [secret[b] as number, ...randomBytes(threshold - 1)];
    xs.forEach((x, i) => {
      let y = 0;
      for (let c = coefficients.length - 1; c >= 0; c--) y = mul(y, x) ^ (coefficients[c] as number);
      (out[i] as Uint8Array)[b] = y;
    });
  }
  return out;
}
