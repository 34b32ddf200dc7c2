// HRW (highest random weight) placement, as AIS meta/hrw.go: digest = xxhash64(uname, seed MLCG32);
// the winner is the candidate with the highest mix(candidate.digest ^ digest). Used over targets (by
// object uname) and over a target's mountpaths. No lookup table: a membership change moves only the
// names whose winner changed.
import { createXXHash64, type IHasher } from 'hash-wasm';

/** AIS cos.MLCG32: the seed of every HRW digest. */
export const MLCG32 = 1103515245;
const U64 = (1n << 64n) - 1n;

export interface HrwCandidate {
  /** xxhash64 of the candidate's id (a target's daemon id, a mountpath). */
  readonly digest: bigint;
}

export class Hrw {
  readonly #hasher: IHasher;

  private constructor(hasher: IHasher) {
    this.#hasher = hasher;
  }

  static async create(): Promise<Hrw> {
    return new Hrw(await createXXHash64(MLCG32, 0));
  }

  /** xxhash64(s) with the MLCG32 seed, as an unsigned 64-bit bigint. */
  digest(s: string): bigint {
    this.#hasher.init();
    this.#hasher.update(s);
    const raw = this.#hasher.digest('binary');
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).readBigUInt64BE(0);
  }

  /** The candidate with the highest weight for `uname`; undefined when there are none. */
  select<T extends HrwCandidate>(candidates: readonly T[], uname: string): T | undefined {
    const d = this.digest(uname);
    let best: T | undefined;
    let bestWeight = -1n;
    for (const c of candidates) {
      const w = mix64(c.digest ^ d);
      if (w > bestWeight) {
        bestWeight = w;
        best = c;
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
