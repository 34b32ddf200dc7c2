// The pure-JS HRW (hrw.ts) must place every name exactly as the original implementation did:
// hash-wasm's xxhash64 over the UTF-8 of the name and a BigInt splitmix64 per candidate. That
// implementation is kept here, verbatim in behaviour, as the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createXXHash64, type IHasher } from 'hash-wasm';
import { Hrw, mix64, MLCG32, type HrwCandidate } from '../../../../nodes/cluster/hrw.ts';

const U64 = (1n << 64n) - 1n;

class RefHrw {
  readonly #hasher: IHasher;
  constructor(hasher: IHasher) {
    this.#hasher = hasher;
  }
  digest(s: string): bigint {
    this.#hasher.init();
    this.#hasher.update(s);
    const raw = this.#hasher.digest('binary');
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).readBigUInt64BE(0);
  }
  select<T extends HrwCandidate>(candidates: readonly T[], uname: string): T | undefined {
    const d = this.digest(uname);
    let best: T | undefined;
    let bestWeight = -1n;
    for (const c of candidates) {
      const w = refMix64(c.digest ^ d);
      if (w > bestWeight) {
        bestWeight = w;
        best = c;
      }
    }
    return best;
  }
}

function refMix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & U64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
  return z ^ (z >> 31n);
}

const PROPERTY_RUNS = 3000;

/** Names of every length class (<4, <8, <32, stripes) and every UTF-8 width, incl. lone surrogates. */
const anyName = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udfff', '/'), maxLength: 120 }),
  fc.string({ minLength: 100, maxLength: 400 }),
);

test('digest equals hash-wasm xxhash64 (seed MLCG32) for any string', async () => {
  const hrw = await Hrw.create();
  const ref = new RefHrw(await createXXHash64(MLCG32, 0));
  for (let n = 0; n <= 300; n++) {
    const s = 'x'.repeat(n);
    assert.equal(hrw.digest(s), ref.digest(s), `length ${n}`);
  }
  fc.assert(
    fc.property(anyName, (s) => hrw.digest(s) === ref.digest(s)),
    { numRuns: PROPERTY_RUNS },
  );
  // a long name grows the scratch buffer; later short names still hash right
  const long = 'ü'.repeat(10_000);
  assert.equal(hrw.digest(long), ref.digest(long));
  assert.equal(hrw.digest('abc'), ref.digest('abc'));
});

test('select picks the same candidate as the BigInt reference for 1–16 candidates', async () => {
  const hrw = await Hrw.create();
  const ref = new RefHrw(await createXXHash64(MLCG32, 0));
  const digestArb = fc.oneof(fc.bigInt({ min: 0n, max: U64 }), fc.constantFrom(0n, U64, 1n << 63n, (1n << 32n) - 1n, 1n << 32n));
  fc.assert(
    fc.property(anyName, fc.array(digestArb, { minLength: 1, maxLength: 16 }), (name, digests) => {
      const cands = digests.map((digest, i) => ({ i, digest }));
      // fresh objects as well as the same ones again (the by-object and the by-value caches)
      return hrw.select(cands, name)!.i === ref.select(cands, name)!.i && hrw.select(cands.map((c) => ({ ...c })), name)!.i === ref.select(cands, name)!.i;
    }),
    { numRuns: PROPERTY_RUNS },
  );
  // candidate digests from real ids, as mountpaths and targets have
  const ids = Array.from({ length: 16 }, (_, i) => ({ i, digest: ref.digest(`/data/mp${i}`) }));
  fc.assert(
    fc.property(anyName, fc.integer({ min: 1, max: 16 }), (name, k) => hrw.select(ids.slice(0, k), name)!.i === ref.select(ids.slice(0, k), name)!.i),
    { numRuns: PROPERTY_RUNS },
  );
});

test('ties keep the first candidate; a changed digest on the same object is seen', async () => {
  const hrw = await Hrw.create();
  const ref = new RefHrw(await createXXHash64(MLCG32, 0));
  const same = [{ i: 0, digest: 42n }, { i: 1, digest: 42n }];
  assert.equal(hrw.select(same, 'obj')!.i, 0);
  assert.equal(ref.select(same, 'obj')!.i, 0);
  const c = { i: 0, digest: 1n };
  const other = { i: 1, digest: 2n };
  for (let k = 0; k < 200; k++) {
    c.digest = BigInt(k * 7919);
    assert.equal(hrw.select([c, other], `n${k}`)!.i, ref.select([c, other], `n${k}`)!.i);
  }
});

test('mix64 is the splitmix64 finalizer', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: U64 }), (x) => mix64(x) === refMix64(x)), { numRuns: 1000 });
});
