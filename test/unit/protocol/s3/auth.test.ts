// verifyS3Auth at the proxy with a stub core (config + clock only): AWS's published examples verify,
// every refusal has its S3 code; streaming chunk signatures (AWS example) and signed trailers.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { verifyS3Auth } from '../../../../nodes/proxy/s3/auth.ts';
import { verifyChunkSignatures } from '../../../../nodes/common/s3/chunk-signatures.ts';
import { parseNodeConfig } from '../../../../nodes/config.ts';
import type { NodeCore } from '../../../../nodes/common/node-core.ts';
import type { S3Request } from '../../../../nodes/common/s3-frontend.ts';
import { ShoalError } from '../../../../protocol/errors.ts';
import { EMPTY_SHA256, chunkSignature, credentialScope, encodeSignedChunks, presignUrl, sha256Hex, signingKey, trailerSignature } from '../../../../protocol/s3/sigv4.ts';
import type { HttpRequest } from '../../../../runtime/http/types.ts';

const AK = 'AKIAIOSFODNN7EXAMPLE';
const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const T0 = Date.UTC(2013, 4, 24);

function core(nowMs: number, auth = true): NodeCore {
  return { cfg: { s3: { auth, access_keys: { [AK]: SK } } }, env: { clock: { realtimeMs: () => nowMs } } } as unknown as NodeCore;
}

function s3req(method: string, target: string, headers: Record<string, string>, body: Readable = Readable.from([])): S3Request {
  const [rawPath, q = ''] = target.split('?') as [string, string?];
  const req: HttpRequest = { method, rawPath, query: new URLSearchParams(q), headers, body, remoteAddr: '127.0.0.1' };
  return { req, bucket: 'examplebucket', key: 'test.txt', requestId: 'RID' };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof ShoalError ? `${e.status} ${e.s3Code}` : String(e);
  }
}

const GET_EXAMPLE = {
  host: 'examplebucket.s3.amazonaws.com',
  range: 'bytes=0-9',
  'x-amz-content-sha256': EMPTY_SHA256,
  'x-amz-date': '20130524T000000Z',
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
};

describe('verifyS3Auth', () => {
  it('off by default: anything passes', async () => {
    assert.equal(await code(verifyS3Auth(core(T0, false), s3req('GET', '/test.txt', {}))), 'ok');
  });

  it('AWS GET object example verifies; changes do not', async () => {
    assert.equal(await code(verifyS3Auth(core(T0 + 60_000), s3req('GET', '/test.txt', GET_EXAMPLE))), 'ok');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('GET', '/test.txt', { ...GET_EXAMPLE, range: 'bytes=0-8' }))), '403 SignatureDoesNotMatch');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('GET', '/test.txt?x=1', GET_EXAMPLE))), '403 SignatureDoesNotMatch');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('HEAD', '/test.txt', GET_EXAMPLE))), '403 SignatureDoesNotMatch');
  });

  it('refusals', async () => {
    const cases: Array<[number, S3Request, string]> = [
      [T0, s3req('GET', '/test.txt', {}), '403 AccessDenied'],
      [T0 + 16 * 60_000, s3req('GET', '/test.txt', GET_EXAMPLE), '403 RequestTimeTooSkewed'],
      [T0, s3req('GET', '/test.txt', { ...GET_EXAMPLE, authorization: GET_EXAMPLE.authorization.replace(AK, 'OTHERKEY') }), '403 InvalidAccessKeyId'],
      [T0, s3req('GET', '/test.txt', { ...GET_EXAMPLE, authorization: GET_EXAMPLE.authorization.replace('/s3/', '/ec2/') }), '400 AuthorizationHeaderMalformed'],
      [T0, s3req('GET', '/test.txt', { ...GET_EXAMPLE, authorization: GET_EXAMPLE.authorization.replace('20130524/', '20130523/') }), '400 AuthorizationHeaderMalformed'],
      [T0, s3req('GET', '/test.txt', { ...GET_EXAMPLE, authorization: 'AWS4-HMAC-SHA256 nonsense' }), '400 AuthorizationHeaderMalformed'],
      [T0, s3req('GET', '/test.txt', { ...GET_EXAMPLE, 'x-amz-date': 'yesterday' }), '403 AccessDenied'],
      [T0, s3req('GET', '/test.txt', { authorization: 'AWS AKID:sig' }), '400 InvalidRequest'],
      [T0, s3req('GET', '/test.txt?AWSAccessKeyId=A&Signature=x&Expires=1', {}), '400 InvalidRequest'],
    ];
    for (const [now, r, want] of cases) assert.equal(await code(verifyS3Auth(core(now), r)), want, JSON.stringify(r.req.headers));
  });

  it('presigned: AWS example verifies until it expires', async () => {
    const url = new URL(presignUrl({ method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', accessKey: AK, secretKey: SK, nowMs: T0, expiresSec: 86400 }));
    const target = `${url.pathname}${url.search}`;
    const h = { host: 'examplebucket.s3.amazonaws.com' };
    assert.equal(await code(verifyS3Auth(core(T0 + 1000), s3req('GET', target, h))), 'ok');
    assert.equal(await code(verifyS3Auth(core(T0 + 86_401_000), s3req('GET', target, h))), '403 AccessDenied');
    assert.equal(await code(verifyS3Auth(core(T0 - 3_600_000), s3req('GET', target, h))), '403 AccessDenied');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('GET', target, { host: 'evil.example.com' }))), '403 SignatureDoesNotMatch');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('GET', target.replace('X-Amz-Expires=86400', 'X-Amz-Expires=604801'), h))), '400 AuthorizationQueryParametersError');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('GET', target.replace('X-Amz-Expires=86400', 'X-Amz-Expires=soon'), h))), '400 AuthorizationQueryParametersError');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('GET', target.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'), h))), '400 AuthorizationQueryParametersError');
    assert.equal(await code(verifyS3Auth(core(T0), s3req('GET', '/test.txt?X-Amz-Signature=abc', h))), '400 AuthorizationQueryParametersError');
  });
});

async function drain(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('chunk signatures', () => {
  const key = signingKey(SK, '20130524', 'us-east-1');
  const scope = credentialScope('20130524', 'us-east-1');
  const seed = { signature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9', signingKey: key, scope, amzDate: '20130524T000000Z' };
  const ctx = { signingKey: key, scope, amzDate: seed.amzDate, seedSignature: seed.signature, trailer: false };
  const body = encodeSignedChunks([Buffer.alloc(65536, 'a'), Buffer.alloc(1024, 'a')], seed);

  it('AWS streaming example passes through unchanged, in any split', async () => {
    for (const at of [0, 1, 90, 65_000, body.length - 3, body.length]) {
      const out = await drain(verifyChunkSignatures(Readable.from([body.subarray(0, at), body.subarray(at)]), ctx));
      assert.deepEqual(out, body);
    }
  });

  it('a changed byte, a wrong seed or a dropped chunk → SignatureDoesNotMatch', async () => {
    const bad = Buffer.from(body);
    bad[1000] = 0x62;
    await assert.rejects(drain(verifyChunkSignatures(Readable.from([bad]), ctx)), { s3Code: 'SignatureDoesNotMatch' });
    await assert.rejects(drain(verifyChunkSignatures(Readable.from([body]), { ...ctx, seedSignature: 'f'.repeat(64) })), { s3Code: 'SignatureDoesNotMatch' });
    const unsigned = Buffer.from('3\r\nabc\r\n0\r\n\r\n');
    await assert.rejects(drain(verifyChunkSignatures(Readable.from([unsigned]), ctx)), { s3Code: 'InvalidRequest' });
  });

  it('nothing of a bad final chunk is handed on when it arrives with the body end', async () => {
    const bad = Buffer.from(body);
    bad[body.length - 10] = 0x30; // inside the final chunk's signature
    const seen: Buffer[] = [];
    const v = verifyChunkSignatures(Readable.from([bad]), ctx);
    v.on('data', (d: Buffer) => seen.push(d));
    await assert.rejects(new Promise((_, rej) => v.on('error', rej)));
    assert.equal(Buffer.concat(seen).length, 0);
  });

  it('signed trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)', async () => {
    const data = Buffer.from('hello');
    const c1 = chunkSignature(key, seed.amzDate, scope, seed.signature, sha256Hex(data));
    const c2 = chunkSignature(key, seed.amzDate, scope, c1, EMPTY_SHA256);
    const trailer = 'x-amz-checksum-crc32:NhCmhg==\n';
    const ts = trailerSignature(key, seed.amzDate, scope, c2, trailer);
    const mk = (sig: string): Buffer =>
      Buffer.from(`5;chunk-signature=${c1}\r\nhello\r\n0;chunk-signature=${c2}\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:${sig}\r\n\r\n`);
    const tctx = { ...ctx, trailer: true };
    assert.deepEqual(await drain(verifyChunkSignatures(Readable.from([mk(ts)]), tctx)), mk(ts));
    await assert.rejects(drain(verifyChunkSignatures(Readable.from([mk('0'.repeat(64))]), tctx)), { s3Code: 'SignatureDoesNotMatch' });
  });
});

describe('node config s3', () => {
  const base = { confdir: '/tmp/x', host_net: { hostname: 'h', port: 1, port_intra_control: 2, port_intra_data: 3 }, proxy: { primary_url: 'http://h:1' } };
  it('accepts auth settings, refuses bad ones', () => {
    assert.deepEqual(parseNodeConfig({ ...base, s3: { auth: true, access_keys: { AKID1: 's' }, region: 'us-west-2' } }).s3, { auth: true, access_keys: { AKID1: 's' }, region: 'us-west-2' });
    for (const s3 of [{ auth: 'yes' }, { access_keys: { 'bad key': 's' } }, { access_keys: { A: '' } }, { region: 'US WEST' }, { other: 1 }]) {
      assert.throws(() => parseNodeConfig({ ...base, s3 }), { tcode: 'ErrInvalidArgument' }, JSON.stringify(s3));
    }
  });
});
