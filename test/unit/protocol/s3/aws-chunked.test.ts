// The aws-chunked decoder: every split of the input decodes to the same bytes and trailers; bad
// framing is InvalidRequest, truncation is IncompleteBody.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AwsChunkedDecoder, encodeAwsChunked } from '../../../../protocol/s3/aws-chunked.ts';
import { ShoalError } from '../../../../protocol/errors.ts';

function decode(parts: Uint8Array[]): { data: Buffer; trailers: Record<string, string>; chunks: Array<[number, string | undefined]> } {
  const out: Buffer[] = [];
  const chunks: Array<[number, string | undefined]> = [];
  const d = new AwsChunkedDecoder({ onData: (b) => out.push(Buffer.from(b)), onChunkEnd: (n, s) => chunks.push([n, s]) });
  for (const p of parts) d.push(p);
  const r = d.end();
  return { data: Buffer.concat(out), trailers: Object.fromEntries(r.trailers), chunks };
}

function splitAt(buf: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...pts, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

const SIG_A = 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648';
const SIG_B = '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497';

function code(e: unknown): string {
  return e instanceof ShoalError ? `${e.status} ${e.s3Code}` : String(e);
}

describe('aws-chunked decoder', () => {
  it('decodes any split the same (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        (chunks, cuts, withTrailer) => {
          const trailers: Record<string, string> = withTrailer ? { 'x-amz-checksum-crc32': 'DUoRhQ==' } : {};
          const enc = encodeAwsChunked(chunks, trailers);
          const r = decode(splitAt(enc, cuts));
          assert.deepEqual(r.data, Buffer.concat(chunks));
          assert.deepEqual(r.trailers, trailers);
          assert.equal(r.chunks.length, chunks.length + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads chunk signatures (signed streaming)', () => {
    const body = Buffer.from(`5;chunk-signature=${SIG_A}\r\nhello\r\n0;chunk-signature=${SIG_B}\r\n\r\n`);
    for (let i = 0; i <= body.length; i++) {
      const r = decode([body.subarray(0, i), body.subarray(i)]);
      assert.equal(r.data.toString(), 'hello');
      assert.deepEqual(r.chunks, [
        [5, SIG_A],
        [0, SIG_B],
      ]);
    }
  });

  it('accepts a final chunk with no trailer section (EOF after 0\\r\\n)', () => {
    assert.equal(decode([Buffer.from('3\r\nabc\r\n0\r\n')]).data.toString(), 'abc');
  });

  it('reads the signed-trailer form', () => {
    const body = Buffer.from(`3;chunk-signature=${SIG_A}\r\nabc\r\n0;chunk-signature=${SIG_B}\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:${SIG_A}\r\n\r\n`);
    const r = decode([body]);
    assert.deepEqual(r.trailers, { 'x-amz-checksum-crc32': 'NSRBwg==', 'x-amz-trailer-signature': SIG_A });
  });

  const bad: Array<[string, string, string]> = [
    ['non-hex size', 'zz\r\nabc\r\n0\r\n\r\n', '400 InvalidRequest'],
    ['size larger than data', '5\r\nabc\r\n0\r\n\r\n', '400 InvalidRequest'],
    ['size smaller than data', '2\r\nabc\r\n0\r\n\r\n', '400 InvalidRequest'],
    ['bare LF line end', '3\nabc\r\n0\r\n\r\n', '400 InvalidRequest'],
    ['bad signature', '3;chunk-signature=xyz\r\nabc\r\n0\r\n\r\n', '400 InvalidRequest'],
    ['trailer without colon', '3\r\nabc\r\n0\r\nnocolon\r\n\r\n', '400 InvalidRequest'],
    ['bytes after the end', '3\r\nabc\r\n0\r\n\r\nextra', '400 InvalidRequest'],
    ['huge size', 'ffffffffffffffffff\r\n', '400 InvalidRequest'],
    ['truncated data', '5\r\nab', '400 IncompleteBody'],
    ['no final chunk', '3\r\nabc\r\n', '400 IncompleteBody'],
    ['empty body', '', '400 IncompleteBody'],
    ['trailer not terminated', '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n', '400 IncompleteBody'],
  ];
  for (const [name, body, want] of bad) {
    it(`refuses ${name}: ${want}`, () => {
      assert.throws(() => decode([Buffer.from(body)]), (e) => code(e) === want);
    });
  }

  it('refuses an over-long header line without buffering it', () => {
    const d = new AwsChunkedDecoder({ onData: () => {} });
    assert.throws(() => d.push(Buffer.alloc(5000, 0x31)), (e) => code(e) === '400 InvalidRequest');
  });
});
