import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CKSUM_TYPES } from '../../../protocol/apc.ts';
import { cksumBuffer, createCksummer, isCksumType } from '../../../runtime/cksum/cksum.ts';

const enc = (s: string) => new TextEncoder().encode(s);

// Published test vectors for each algorithm.
const VECTORS = [
  { type: 'xxhash', input: '', want: 'ef46db3751d8e999' },
  { type: 'xxhash2', input: '', want: 'ef46db3751d8e999' },
  { type: 'xxhash2', input: 'abc', want: '44bc2cf5ad770999' },
  { type: 'crc32c', input: '123456789', want: 'e3069283' },
  { type: 'crc32c', input: '', want: '00000000' },
  { type: 'md5', input: '', want: 'd41d8cd98f00b204e9800998ecf8427e' },
  { type: 'md5', input: 'abc', want: '900150983cd24fb0d6963f7d28e17f72' },
  { type: 'sha256', input: 'abc', want: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  {
    type: 'sha512',
    input: 'abc',
    want: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  },
  { type: 'none', input: 'abc', want: '' },
] as const;

test('every checksum type matches its known vector', async () => {
  for (const v of VECTORS) {
    assert.equal(await cksumBuffer(v.type, enc(v.input)), v.want, `${v.type}("${v.input}")`);
  }
});

test('incremental updates equal the one-shot digest for every type', async () => {
  const data = new Uint8Array(100_003);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  for (const type of CKSUM_TYPES) {
    const c = await createCksummer(type);
    for (let off = 0; off < data.length; off += 4097) c.update(data.subarray(off, off + 4097));
    assert.equal(c.digest(), await cksumBuffer(type, data), type);
  }
});

test('two cksummers of one type do not share state', async () => {
  const a = await createCksummer('xxhash2');
  const b = await createCksummer('xxhash2');
  a.update(enc('abc'));
  assert.equal(b.digest(), 'ef46db3751d8e999');
  assert.equal(a.digest(), '44bc2cf5ad770999');
});

test('isCksumType accepts the AIS types only', () => {
  for (const t of CKSUM_TYPES) assert.equal(isCksumType(t), true);
  assert.equal(isCksumType('crc32'), false);
  assert.equal(isCksumType('XXHASH2'), false);
  assert.equal(isCksumType(''), false);
});

test('a pooled cksummer is reset on release and gives fresh digests', async () => {
  const { CksumPool } = await import('../../../runtime/cksum/cksum.ts');
  const pool = new CksumPool();
  for (const type of CKSUM_TYPES) {
    const a = await pool.acquire(type);
    a.update(enc('half-way, then abandoned'));
    pool.release(a);
    const b = await pool.acquire(type);
    assert.equal(b, a, `${type}: reused`);
    b.update(enc('abc'));
    assert.equal(b.digest(), await cksumBuffer(type, enc('abc')), type);
    pool.release(b);
  }
});
