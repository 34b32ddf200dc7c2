// HRW (highest random weight) placement, as AIS meta/hrw.go: digest = xxhash64(uname, seed MLCG32);
// the winner is the candidate with the highest mix(candidate.digest ^ digest). Used over targets (by
// object uname) and over a target's mountpaths. No lookup table: a membership change moves only the
// names whose winner changed.
//
// Every object access runs select(), so it is pure JS on 32-bit halves (hi, lo): no wasm call, no
// BigInt arithmetic, no allocation per call (select over 2-3 candidates measured ~5x faster than hash-wasm + BigInt splitmix).
// The results are bit-identical to xxhash64/splitmix64 (property-tested against them).

/** AIS cos.MLCG32: the seed of every HRW digest. */
export const MLCG32 = 1103515245;
const U64 = (1n << 64n) - 1n;

export interface HrwCandidate {
  /** xxhash64 of the candidate's id (a target's daemon id, a mountpath). */
  readonly digest: bigint;
}

export class Hrw {
  private constructor() {}

  /** Async for API stability (it once loaded a wasm hasher). */
  static async create(): Promise<Hrw> {
    return new Hrw();
  }

  /** xxhash64(s) with the MLCG32 seed, as an unsigned 64-bit bigint. */
  digest(s: string): bigint {
    xxh64Str(s);
    return (BigInt(R.hi >>> 0) << 32n) | BigInt(R.lo >>> 0);
  }

  /** The candidate with the highest weight for `uname`; undefined when there are none. */
  select<T extends HrwCandidate>(candidates: readonly T[], uname: string): T | undefined {
    xxh64Str(uname);
    const dHi = R.hi;
    const dLo = R.lo;
    let best: T | undefined;
    let bestHi = 0;
    let bestLo = 0;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const h = halves(c);
      mix64Halves((h.hi ^ dHi) | 0, (h.lo ^ dLo) | 0);
      // unsigned compare, as signed with the sign bit flipped; the first candidate always wins over
      // "none" (as `> -1n` did), a tie keeps the earlier one
      const wHi = R.hi ^ SIGN;
      const wLo = R.lo ^ SIGN;
      if (best === undefined || wHi > bestHi || (wHi === bestHi && wLo > bestLo)) {
        best = c;
        bestHi = wHi;
        bestLo = wLo;
      }
    }
    return best;
  }
}

/** splitmix64 finalizer: the avalanche step that turns digest XORs into uniform weights. */
export function mix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & U64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
  return z ^ (z >> 31n);
}

// ---- candidate digests split once ----

interface Halves {
  readonly d: bigint;
  readonly hi: number;
  readonly lo: number;
}

/** By candidate object: the stable ones (mountpaths) hit here (~15 ns; a Map keyed by bigint is ~50). */
const byCandidate = new WeakMap<HrwCandidate, Halves>();
/**
 * By value, for candidate objects built fresh per call (one per Smap target): the set of distinct
 * digests is small (targets + mountpaths); bounded anyway, scanned with `===` on bigints.
 */
const RECENT_MAX = 64;
let recent: Halves[] = [];

function halves(c: HrwCandidate): Halves {
  const d = c.digest;
  const h = byCandidate.get(c);
  if (h !== undefined && h.d === d) return h;
  for (let i = 0; i < recent.length; i++) {
    // a digest seen before on another object: most likely a per-call one, so not kept by object
    // (a WeakMap insert per fresh object costs more than this scan)
    if (recent[i]!.d === d) return recent[i]!;
  }
  const u = BigInt.asUintN(64, d);
  const found = { d, hi: Number(u >> 32n) | 0, lo: Number(u & 0xffffffffn) | 0 };
  if (recent.length >= RECENT_MAX) recent = [];
  recent.push(found);
  byCandidate.set(c, found);
  return found;
}

// ---- 64-bit arithmetic on (hi, lo) 32-bit halves; results in R (no allocation) ----
// Halves are kept as int32 (`| 0`), not uint32: V8 keeps those unboxed, while uint32 values above
// 2^31 become heap numbers (measured: select ~1.5x slower).

const R = { hi: 0, lo: 0 };
const SIGN = 0x80000000 | 0;

/** (aHi,aLo) * (bHi,bLo) mod 2^64 → R.hi/R.lo. The 32x32 low product goes through 16-bit limbs. */
function mul(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const t = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R.lo = (((t & 0xffff) << 16) | (p00 & 0xffff)) | 0;
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (t >>> 16);
  R.hi = (carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) | 0;
}

/** (aHi,aLo) + (bHi,bLo) mod 2^64 → R.hi/R.lo. */
function add(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const lo = (aLo >>> 0) + (bLo >>> 0);
  R.lo = lo | 0;
  R.hi = (aHi + bHi + (lo > 0xffffffff ? 1 : 0)) | 0;
}

/** splitmix64 finalizer (mix64) on halves → R.hi/R.lo. */
function mix64Halves(hi: number, lo: number): void {
  add(hi, lo, 0x9e3779b9 | 0, 0x7f4a7c15);
  // z ^= z >> 30
  let zHi = R.hi;
  let zLo = (R.lo ^ ((R.lo >>> 30) | (R.hi << 2))) | 0;
  zHi = (zHi ^ (zHi >>> 30)) | 0;
  mul(zHi, zLo, 0xbf58476d | 0, 0x1ce4e5b9);
  // z ^= z >> 27
  zLo = (R.lo ^ ((R.lo >>> 27) | (R.hi << 5))) | 0;
  zHi = (R.hi ^ (R.hi >>> 27)) | 0;
  mul(zHi, zLo, 0x94d049bb | 0, 0x133111eb);
  // z ^= z >> 31
  R.lo = (R.lo ^ ((R.lo >>> 31) | (R.hi << 1))) | 0;
  R.hi = (R.hi ^ (R.hi >>> 31)) | 0;
}

// ---- xxhash64 (seed MLCG32) over the UTF-8 of a string ----

const P1_HI = 0x9e3779b1 | 0;
const P1_LO = 0x85ebca87 | 0;
const P2_HI = 0xc2b2ae3d | 0;
const P2_LO = 0x27d4eb4f | 0;
const P3_HI = 0x165667b1 | 0;
const P3_LO = 0x9e3779f9 | 0;
const P4_HI = 0x85ebca77 | 0;
const P4_LO = 0xc2b2ae63 | 0;
const P5_HI = 0x27d4eb2f | 0;
const P5_LO = 0x165667c5 | 0;
const SEED_HI = 0;
const SEED_LO = MLCG32;

/** Reused UTF-8 scratch (grown on demand): hashing a name allocates nothing. */
let scratch = new Uint8Array(1024);
const utf8 = new TextEncoder();

/** UTF-8 of `s` into `scratch`; returns the byte length. ASCII is copied by hand (the common case). */
function encode(s: string): number {
  const n = s.length;
  if (n * 3 > scratch.length) scratch = new Uint8Array(Math.max(n * 3, scratch.length * 2));
  const b = scratch;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return utf8.encodeInto(s, b).written; // rare: the encoder handles the rest
    b[i] = c;
  }
  return n;
}

function u32At(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) | 0;
}

/** rotl(x, r) for 0 < r < 32 → R.hi/R.lo. */
function rotl(hi: number, lo: number, r: number): void {
  R.hi = ((hi << r) | (lo >>> (32 - r))) | 0;
  R.lo = ((lo << r) | (hi >>> (32 - r))) | 0;
}

/** xxh64 round: rotl(acc + input * P2, 31) * P1 → R.hi/R.lo. */
function round(accHi: number, accLo: number, inHi: number, inLo: number): void {
  mul(inHi, inLo, P2_HI, P2_LO);
  add(accHi, accLo, R.hi, R.lo);
  rotl(R.hi, R.lo, 31);
  mul(R.hi, R.lo, P1_HI, P1_LO);
}

/**
 * xxhash64(utf8(s), MLCG32) → R.hi/R.lo. The tail steps (8-, 4- and 1-byte) share one loop body and
 * the avalanche is a loop, so there are few call sites of the helpers: V8's inlining budget per
 * optimized function then covers more of them (fully inlined, hashing measured ~1.5x faster).
 */
function xxh64Str(s: string): void {
  const len = encode(s);
  const b = scratch;
  let p = 0;
  if (len >= 32) p = stripes(b, len);
  else add(SEED_HI, SEED_LO, P5_HI, P5_LO);
  add(R.hi, R.lo, 0, len); // len < 2^32
  let hHi = R.hi;
  let hLo = R.lo;
  while (p < len) {
    // h = rotl(h ^ (k * kMul), r) * hMul + hAdd, with k and the constants per step size
    let kHi = 0;
    let kLo: number;
    let kMulHi: number;
    let kMulLo: number;
    let r: number;
    let hMulHi: number;
    let hMulLo: number;
    let hAddHi: number;
    let hAddLo: number;
    if (len - p >= 8) {
      // k = round(0, lane) = rotl(lane * P2, 31) * P1
      mul(u32At(b, p + 4), u32At(b, p), P2_HI, P2_LO);
      rotl(R.hi, R.lo, 31);
      kHi = R.hi;
      kLo = R.lo;
      kMulHi = P1_HI;
      kMulLo = P1_LO;
      r = 27;
      hMulHi = P1_HI;
      hMulLo = P1_LO;
      hAddHi = P4_HI;
      hAddLo = P4_LO;
      p += 8;
    } else if (len - p >= 4) {
      kLo = u32At(b, p);
      kMulHi = P1_HI;
      kMulLo = P1_LO;
      r = 23;
      hMulHi = P2_HI;
      hMulLo = P2_LO;
      hAddHi = P3_HI;
      hAddLo = P3_LO;
      p += 4;
    } else {
      kLo = b[p]!;
      kMulHi = P5_HI;
      kMulLo = P5_LO;
      r = 11;
      hMulHi = P1_HI;
      hMulLo = P1_LO;
      hAddHi = 0;
      hAddLo = 0;
      p += 1;
    }
    mul(kHi, kLo, kMulHi, kMulLo);
    rotl((hHi ^ R.hi) | 0, (hLo ^ R.lo) | 0, r);
    mul(R.hi, R.lo, hMulHi, hMulLo);
    add(R.hi, R.lo, hAddHi, hAddLo);
    hHi = R.hi;
    hLo = R.lo;
  }
  // avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32
  for (let i = 0; i < 2; i++) {
    if (i === 0) {
      hLo = (hLo ^ (hHi >>> 1)) | 0;
    } else {
      hLo = (hLo ^ ((hLo >>> 29) | (hHi << 3))) | 0;
      hHi = (hHi ^ (hHi >>> 29)) | 0;
    }
    mul(hHi, hLo, i === 0 ? P2_HI : P3_HI, i === 0 ? P2_LO : P3_LO);
    hHi = R.hi;
    hLo = R.lo;
  }
  R.lo = (hLo ^ hHi) | 0;
}

/** The four stripe accumulators v1..v4 as (hi, lo) pairs: indexed, so one loop body serves all four. */
const acc = new Int32Array(8);
const MERGE_ROTL = [1, 7, 12, 18];

/**
 * The 32-byte stripes of xxh64 (names of 32+ bytes): the merged accumulators → R; returns how many
 * bytes they took. A function of its own, and loops over the lanes (one call site per helper), so
 * V8's inlining budget covers its helpers too.
 */
function stripes(b: Uint8Array, len: number): number {
  add(SEED_HI, SEED_LO, P1_HI, P1_LO);
  add(R.hi, R.lo, P2_HI, P2_LO);
  acc[0] = R.hi;
  acc[1] = R.lo;
  add(SEED_HI, SEED_LO, P2_HI, P2_LO);
  acc[2] = R.hi;
  acc[3] = R.lo;
  acc[4] = SEED_HI;
  acc[5] = SEED_LO;
  // seed - P1 = seed + (2^64 - P1)
  add(SEED_HI, SEED_LO, ~P1_HI, (~P1_LO + 1) | 0); // -P1: P1_LO != 0, so no carry from the +1
  acc[6] = R.hi;
  acc[7] = R.lo;
  let p = 0;
  const limit = len - 32;
  do {
    for (let j = 0; j < 8; j += 2) {
      round(acc[j]!, acc[j + 1]!, u32At(b, p + 4), u32At(b, p));
      acc[j] = R.hi;
      acc[j + 1] = R.lo;
      p += 8;
    }
  } while (p <= limit);
  let hHi = 0;
  let hLo = 0;
  for (let j = 0; j < 8; j += 2) {
    rotl(acc[j]!, acc[j + 1]!, MERGE_ROTL[j >> 1]!);
    add(hHi, hLo, R.hi, R.lo);
    hHi = R.hi;
    hLo = R.lo;
  }
  for (let j = 0; j < 8; j += 2) {
    // h = (h ^ round(0, v)) * P1 + P4
    round(0, 0, acc[j]!, acc[j + 1]!);
    mul((hHi ^ R.hi) | 0, (hLo ^ R.lo) | 0, P1_HI, P1_LO);
    add(R.hi, R.lo, P4_HI, P4_LO);
    hHi = R.hi;
    hLo = R.lo;
  }
  R.hi = hHi;
  R.lo = hLo;
  return p;
}
