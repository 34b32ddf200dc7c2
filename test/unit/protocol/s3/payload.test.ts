// s3Payload: plain and aws-chunked bodies, every integrity check verified before the stream ends
// (a mismatch is an error in place of the end, so nothing downstream commits).
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { s3Payload, type S3Payload } from '../../../../nodes/common/s3/payload.ts';
import { encodeAwsChunked } from '../../../../protocol/s3/aws-chunked.ts';
import { s3ChecksumOf } from '../../../../protocol/s3/checksum.ts';
import { ShoalError } from '../../../../protocol/errors.ts';
import type { HttpRequest } from '../../../../runtime/http/types.ts';
import { fakeEnv } from '../../../support/fake-env.ts';

function request(headers: Record<string, string>, parts: Uint8Array[]): HttpRequest {
  return { method: 'PUT', rawPath: '/s3/b/k', query: new URLSearchParams(), headers, body: Readable.from(parts.map((p) => Buffer.from(p))), remoteAddr: '127.0.0.1' };
}

async function drain(p: S3Payload): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of p.body) out.push(c as Buffer);
  return Buffer.concat(out);
}

async function failsWith(p: S3Payload, want: string): Promise<void> {
  await assert.rejects(drain(p), (e: unknown) => {
    const got = e instanceof ShoalError ? `${e.status} ${e.s3Code}` : String(e);
    assert.equal(got, want);
    return true;
  });
}

const md5hex = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');
const md5b64 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('base64');
const sha256hex = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('s3Payload', () => {
  const env = fakeEnv();

  it('plain body: bytes, md5, checksum header verified', async () => {
    const p = s3Payload(env, request({ 'content-length': '11', 'content-md5': md5b64('hello world'), 'x-amz-checksum-crc32': 'DUoRhQ==' }, [Buffer.from('hello '), Buffer.from('world')]));
    assert.equal(p.contentLength, 11);
    assert.equal((await drain(p)).toString(), 'hello world');
    assert.equal(p.md5(), md5hex('hello world'));
    assert.deepEqual(p.checksums(), { 'x-amz-checksum-crc32': 'DUoRhQ==' });
  });

  it('hex x-amz-content-sha256 verified', async () => {
    const ok = s3Payload(env, request({ 'x-amz-content-sha256': sha256hex('abc') }, [Buffer.from('abc')]));
    assert.equal((await drain(ok)).toString(), 'abc');
    await failsWith(s3Payload(env, request({ 'x-amz-content-sha256': sha256hex('abd') }, [Buffer.from('abc')])), '400 XAmzContentSHA256Mismatch');
  });

  it('empty body', async () => {
    const p = s3Payload(env, request({ 'content-length': '0' }, []));
    assert.equal((await drain(p)).length, 0);
    assert.equal(p.md5(), md5hex(''));
  });

  it('aws-chunked unsigned trailer: any chunking decodes, crc32 trailer verified (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 5 }), fc.nat(), async (chunks, cut) => {
        const data = Buffer.concat(chunks);
        const enc = encodeAwsChunked(chunks, { 'x-amz-checksum-crc32': await s3ChecksumOf('crc32', data) });
        const at = cut % (enc.length + 1);
        const p = s3Payload(
          env,
          request(
            { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': String(data.length) },
            [enc.subarray(0, at), enc.subarray(at)],
          ),
        );
        assert.equal(p.contentLength, data.length);
        assert.deepEqual(await drain(p), data);
        assert.equal(p.md5(), md5hex(data));
      }),
      { numRuns: 100 },
    );
  });

  const chunkedHeaders = (decoded: number): Record<string, string> => ({
    'content-encoding': 'aws-chunked',
    'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    'x-amz-trailer': 'x-amz-checksum-crc32',
    'x-amz-decoded-content-length': String(decoded),
  });

  it('wrong crc32 trailer → 400 BadDigest at the end', async () => {
    const enc = encodeAwsChunked([Buffer.from('hello world')], { 'x-amz-checksum-crc32': 'AAAAAA==' });
    const p = s3Payload(env, request(chunkedHeaders(11), [enc]));
    await assert.rejects(drain(p), { message: 'The CRC32 you specified did not match the calculated checksum.' });
  });

  it('announced trailer missing → 400 InvalidRequest', async () => {
    await failsWith(s3Payload(env, request(chunkedHeaders(3), [encodeAwsChunked([Buffer.from('abc')])])), '400 InvalidRequest');
  });

  it('decoded length differs from x-amz-decoded-content-length → 400 IncompleteBody', async () => {
    const enc = encodeAwsChunked([Buffer.from('abc')], { 'x-amz-checksum-crc32': await s3ChecksumOf('crc32', 'abc') });
    await failsWith(s3Payload(env, request(chunkedHeaders(4), [enc])), '400 IncompleteBody');
    await failsWith(s3Payload(env, request(chunkedHeaders(2), [enc])), '400 IncompleteBody');
  });

  it('malformed framing → 400 InvalidRequest', async () => {
    await failsWith(s3Payload(env, request(chunkedHeaders(3), [Buffer.from('3\r\nabcd\r\n0\r\n\r\n')])), '400 InvalidRequest');
  });

  it('Content-MD5 mismatch → BadDigest; malformed → InvalidDigest (thrown before reading)', async () => {
    await failsWith(s3Payload(env, request({ 'content-md5': md5b64('other') }, [Buffer.from('abc')])), '400 BadDigest');
    for (const bad of ['nope', 'AAAA', md5hex('abc')]) {
      assert.throws(() => s3Payload(env, request({ 'content-md5': bad }, [])), { s3Code: 'InvalidDigest', status: 400 });
    }
  });

  it('checksum header mismatch → BadDigest with S3 message', async () => {
    const p = s3Payload(env, request({ 'x-amz-checksum-sha256': await s3ChecksumOf('sha256', 'x') }, [Buffer.from('y')]));
    await assert.rejects(drain(p), { s3Code: 'BadDigest', message: 'The SHA256 you specified did not match the calculated checksum.' });
  });

  it('bad headers are refused up front', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'x-amz-checksum-md5': 'AAAA' }, 'InvalidRequest'],
      [{ 'x-amz-checksum-crc32': 'zz' }, 'InvalidRequest'],
      [{ 'x-amz-checksum-crc32': 'DUoRhQ==', 'x-amz-checksum-crc32c': 'yZRlqg==' }, 'InvalidRequest'],
      [{ 'x-amz-content-sha256': 'nonsense' }, 'InvalidArgument'],
      [{ 'x-amz-trailer': 'x-amz-checksum-crc32' }, 'InvalidRequest'],
      [{ 'x-amz-sdk-checksum-algorithm': 'MD5' }, 'InvalidRequest'],
      [{ 'content-length': '-1' }, 'InvalidArgument'],
    ];
    for (const [headers, want] of cases) assert.throws(() => s3Payload(env, request(headers, [])), { s3Code: want, status: 400 }, JSON.stringify(headers));
  });

  it('x-amz-sdk-checksum-algorithm alone: computed, returned', async () => {
    const p = s3Payload(env, request({ 'x-amz-sdk-checksum-algorithm': 'CRC32C' }, [Buffer.from('hello world')]));
    await drain(p);
    assert.deepEqual(p.checksums(), { 'x-amz-checksum-crc32c': 'yZRlqg==' });
  });

  it('a source error reaches the body', async () => {
    const src = new Readable({ read() {} });
    const p = s3Payload(env, { ...request({}, []), body: src });
    src.push(Buffer.from('abc'));
    src.destroy(new Error('client went away'));
    await assert.rejects(drain(p), { message: 'client went away' });
  });
});
