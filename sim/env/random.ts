// Seeded PRNG: xoshiro128** seeded by splitmix32. Each node has its own stream derived from the world
// seed and the node id, so adding a node (or a draw on one node) does not perturb the others.
import type { Random } from '../../runtime/env/types.ts';

/** splitmix32 step: a well-mixed 32-bit output from a 32-bit counter state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `s`: a stable 32-bit id of a stream name. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class SimRandom implements Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    const st = { s: seed >>> 0 };
    this.#a = splitmix32(st);
    this.#b = splitmix32(st);
    this.#c = splitmix32(st);
    this.#d = splitmix32(st);
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1; // the all-zero state is a fixed point
  }

  /** The stream named `name` of world `seed` (e.g. a node id, or 'net'). */
  static stream(seed: number, name: string): SimRandom {
    return new SimRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ hash32(name)) >>> 0);
  }

  /** Next 32-bit output (xoshiro128**). */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#b << 9) >>> 0;
    this.#c = (this.#c ^ this.#a) >>> 0;
    this.#d = (this.#d ^ this.#b) >>> 0;
    this.#b = (this.#b ^ this.#c) >>> 0;
    this.#a = (this.#a ^ this.#d) >>> 0;
    this.#c = (this.#c ^ t) >>> 0;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  float(): number {
    // 53 random bits: 27 + 26
    return ((this.next32() >>> 5) * 2 ** 26 + (this.next32() >>> 6)) / 2 ** 53;
  }

  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  bytes(n: number): Uint8Array {
    // one 32-bit draw per 4 bytes, least significant byte first (the same bytes on any platform)
    const out = new Uint8Array(n); // exactly n: callers may use `.buffer`
    const view = new DataView(out.buffer);
    const full = n - (n % 4);
    for (let i = 0; i < full; i += 4) view.setUint32(i, this.next32(), true);
    if (full < n) {
      let w = this.next32();
      for (let j = full; j < n; j++) {
        out[j] = w & 0xff;
        w >>>= 8;
      }
    }
    return out;
  }
}

/**
 * Filler bytes (object payloads): one draw from `r` seeds a xorshift32 that fills `n` bytes, several
 * times cheaper than `bytes(n)` for kilobytes of data no test inspects for randomness quality.
 */
export function payloadBytes(r: SimRandom, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  let x = r.next32() | 1; // xorshift32 needs a non-zero state
  const full = n - (n % 4);
  for (let i = 0; i < full; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view.setUint32(i, x >>> 0, true);
  }
  for (let j = full; j < n; j++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[j] = x & 0xff;
  }
  return out;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
