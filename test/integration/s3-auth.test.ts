// SigV4 auth on a real cluster (node config s3.auth): header-signed requests (our signRequest, the
// test helper's independent signer, @aws-sdk/client-s3), presigned URLs (ours and
// @aws-sdk/s3-request-presigner), every refusal with its status, <Code> and RequestId; and request
// payloads end to end: aws-chunked unsigned-trailer and signed-streaming PUTs, checksum and
// Content-MD5 mismatches (nothing stored), malformed chunk framing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { encodeAwsChunked } from '../../protocol/s3/aws-chunked.ts';
import { s3ChecksumOf } from '../../protocol/s3/checksum.ts';
import { encodeSignedChunks, presignUrl, signRequest } from '../../protocol/s3/sigv4.ts';
import { startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { assertS3Error, assertS3Ok, parseXml, s3, s3Path, type S3Result, type SigV4Creds } from '../support/s3-helpers.ts';

const AK = 'SHOALTESTKEY1';
const SK = 'shoal-test-secret/abc+def';
const AK_OTHER = 'SHOALTESTKEY2';
const SK_OTHER = 'another-secret';
const BCK = 's3auth';
const SKEW_MS = 20 * 60 * 1000;

let c: ObjCluster;

/** One request signed (or not) with protocol/s3/sigv4.ts; answers parsed like the shared helper's. */
async function send(
  method: string,
  path: string,
  opts: { query?: string; headers?: Record<string, string>; body?: Uint8Array | string; sign?: { ak?: string; sk?: string; nowMs?: number; payloadHash?: string } } = {},
): Promise<S3Result> {
  const url = `${c.proxyUrl}${path}${opts.query ? `?${opts.query}` : ''}`;
  let headers = { ...(opts.headers ?? {}) };
  if (opts.sign) {
    headers = signRequest({
      method,
      url,
      headers,
      body: opts.body,
      payloadHash: opts.sign.payloadHash,
      accessKey: opts.sign.ak ?? AK,
      secretKey: opts.sign.sk ?? SK,
      nowMs: opts.sign.nowMs ?? Date.now(),
    }).headers;
  }
  return raw(method, url, headers, opts.body);
}

async function raw(method: string, url: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<S3Result> {
  const res = await request(url, { method: method as 'GET', headers, body });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  const text = buf.toString('utf8');
  const parsed = parseXml(text);
  return { status: res.statusCode, headers: h, body: buf, text, root: parsed?.root, xml: parsed?.xml };
}

const creds: SigV4Creds = { accessKey: AK, secretKey: SK };

function sdk(accessKeyId = AK, secretAccessKey = SK): S3Client {
  return new S3Client({ endpoint: `${c.proxyUrl}/s3`, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey } });
}

before(async () => {
  c = await startObjCluster({ targets: 2, s3: { auth: true, access_keys: { [AK]: SK, [AK_OTHER]: SK_OTHER } } });
  assertS3Ok(await send('PUT', s3Path(BCK), { sign: {} }));
});

after(async () => {
  await c?.close();
});

describe('header auth', () => {
  test('signed requests work (our signer and the helper signer)', async () => {
    assertS3Ok(await send('PUT', s3Path(BCK, 'a/b c.txt'), { body: 'hello', sign: {} }));
    const got = assertS3Ok(await send('GET', s3Path(BCK, 'a/b c.txt'), { sign: {} }));
    assert.equal(got.text, 'hello');
    assertS3Ok(await s3(c.proxyUrl, 'GET', s3Path(BCK), { query: { 'list-type': '2', prefix: 'a/' }, sign: creds }));
    assertS3Ok(await s3(c.proxyUrl, 'PUT', s3Path(BCK, 'unsigned-payload'), { body: 'x', sign: { ...creds, payload: 'unsigned' } }));
    assertS3Ok(await send('GET', s3Path(''), { sign: { ak: AK_OTHER, sk: SK_OTHER } }));
  });

  test('no credentials → 403 AccessDenied', async () => {
    assertS3Error(await send('GET', s3Path('')), 403, 'AccessDenied');
    assertS3Error(await send('GET', s3Path(BCK, 'a/b c.txt')), 403, 'AccessDenied');
    assertS3Error(await send('HEAD', s3Path(BCK, 'a/b c.txt')), 403, 'AccessDenied', true);
  });

  test('wrong secret → 403 SignatureDoesNotMatch', async () => {
    assertS3Error(await send('GET', s3Path(BCK, 'a/b c.txt'), { sign: { sk: 'wrong' } }), 403, 'SignatureDoesNotMatch');
  });

  test('unknown access key → 403 InvalidAccessKeyId', async () => {
    assertS3Error(await send('GET', s3Path(BCK), { sign: { ak: 'NOSUCHKEY' } }), 403, 'InvalidAccessKeyId');
  });

  test('x-amz-date 20 min off → 403 RequestTimeTooSkewed (both ways)', async () => {
    assertS3Error(await send('GET', s3Path(BCK), { sign: { nowMs: Date.now() - SKEW_MS } }), 403, 'RequestTimeTooSkewed');
    assertS3Error(await send('GET', s3Path(BCK), { sign: { nowMs: Date.now() + SKEW_MS } }), 403, 'RequestTimeTooSkewed');
  });

  test('tampered request (header changed after signing) → 403 SignatureDoesNotMatch', async () => {
    const url = `${c.proxyUrl}${s3Path(BCK, 'a/b c.txt')}`;
    const signed = signRequest({ method: 'GET', url, headers: { range: 'bytes=0-1' }, accessKey: AK, secretKey: SK, nowMs: Date.now() });
    assertS3Error(await raw('GET', url, { ...signed.headers, range: 'bytes=0-3' }), 403, 'SignatureDoesNotMatch');
    assertS3Error(await raw('GET', `${url}x`, signed.headers), 403, 'SignatureDoesNotMatch');
  });

  test('malformed Authorization → 400 AuthorizationHeaderMalformed; SigV2 → 400 InvalidRequest', async () => {
    assertS3Error(await raw('GET', `${c.proxyUrl}${s3Path(BCK)}`, { authorization: 'AWS4-HMAC-SHA256 Credential=x', 'x-amz-date': '20240101T000000Z' }), 400, 'AuthorizationHeaderMalformed');
    assertS3Error(await raw('GET', `${c.proxyUrl}${s3Path(BCK)}`, { authorization: `AWS ${AK}:c2lnbmF0dXJl` }), 400, 'InvalidRequest');
  });

  test('hex x-amz-content-sha256 that does not match the body → 400 XAmzContentSHA256Mismatch, nothing stored', async () => {
    const key = 'sha-mismatch';
    const fake = createHash('sha256').update('other').digest('hex');
    assertS3Error(await send('PUT', s3Path(BCK, key), { body: 'data', sign: { payloadHash: fake } }), 400, 'XAmzContentSHA256Mismatch');
    assertS3Error(await send('HEAD', s3Path(BCK, key), { sign: {} }), 404, 'NoSuchKey', true);
  });
});

describe('payload hash of proxy-consumed bodies', () => {
  test('DeleteObjects: the signed hex x-amz-content-sha256 must match the body', async () => {
    assertS3Ok(await send('PUT', s3Path(BCK, 'del/one'), { body: '1', sign: {} }));
    const xml = '<Delete><Quiet>true</Quiet><Object><Key>del/one</Key></Object></Delete>';
    const other = '<Delete><Quiet>true</Quiet><Object><Key>a/b c.txt</Key></Object></Delete>';
    const headers = { 'content-md5': createHash('md5').update(xml).digest('base64') };
    // signed for `other`, sent with `xml`
    const bad = await send('POST', `${s3Path(BCK)}`, { query: 'delete', headers, body: xml, sign: { payloadHash: createHash('sha256').update(other).digest('hex') } });
    assertS3Error(bad, 400, 'XAmzContentSHA256Mismatch');
    assertS3Ok(await send('HEAD', s3Path(BCK, 'del/one'), { sign: {} }));
    assertS3Ok(await send('POST', `${s3Path(BCK)}`, { query: 'delete', headers, body: xml, sign: {} }));
    assertS3Error(await send('HEAD', s3Path(BCK, 'del/one'), { sign: {} }), 404, 'NoSuchKey', true);
  });
});

describe('presigned URLs', () => {
  test('presigned GET works (ours and the AWS SDK presigner)', async () => {
    const url = presignUrl({ method: 'GET', url: `${c.proxyUrl}${s3Path(BCK, 'a/b c.txt')}`, accessKey: AK, secretKey: SK, nowMs: Date.now(), expiresSec: 300 });
    assert.equal(assertS3Ok(await raw('GET', url)).text, 'hello');
    const sdkUrl = await getSignedUrl(sdk(), new GetObjectCommand({ Bucket: BCK, Key: 'a/b c.txt' }), { expiresIn: 300 });
    assert.equal(assertS3Ok(await raw('GET', sdkUrl)).text, 'hello');
  });

  test('expired → 403 AccessDenied', async () => {
    const url = presignUrl({ method: 'GET', url: `${c.proxyUrl}${s3Path(BCK, 'a/b c.txt')}`, accessKey: AK, secretKey: SK, nowMs: Date.now() - 120_000, expiresSec: 60 });
    const r = assertS3Error(await raw('GET', url), 403, 'AccessDenied');
    assert.match(String(r.Message), /expired/);
  });

  test('tampered → 403 SignatureDoesNotMatch', async () => {
    const sdkUrl = await getSignedUrl(sdk(), new GetObjectCommand({ Bucket: BCK, Key: 'a/b c.txt' }), { expiresIn: 300 });
    assertS3Error(await raw('GET', sdkUrl.replace('b%20c.txt', 'b%20d.txt')), 403, 'SignatureDoesNotMatch');
    assertS3Error(await raw('GET', sdkUrl.replace('X-Amz-Expires=300', 'X-Amz-Expires=301')), 403, 'SignatureDoesNotMatch');
  });

  test('X-Amz-Expires over a week → 400 AuthorizationQueryParametersError', async () => {
    const url = presignUrl({ method: 'GET', url: `${c.proxyUrl}${s3Path(BCK, 'a/b c.txt')}`, accessKey: AK, secretKey: SK, nowMs: Date.now(), expiresSec: 604_801 });
    assertS3Error(await raw('GET', url), 400, 'AuthorizationQueryParametersError');
    const missing = `${c.proxyUrl}${s3Path(BCK, 'a/b c.txt')}?X-Amz-Algorithm=AWS4-HMAC-SHA256`;
    assertS3Error(await raw('GET', missing), 400, 'AuthorizationQueryParametersError');
  });

  test('unknown key in a presigned URL → 403 InvalidAccessKeyId', async () => {
    const url = presignUrl({ method: 'GET', url: `${c.proxyUrl}${s3Path(BCK, 'a/b c.txt')}`, accessKey: 'NOSUCHKEY', secretKey: SK, nowMs: Date.now(), expiresSec: 60 });
    assertS3Error(await raw('GET', url), 403, 'InvalidAccessKeyId');
  });
});

describe('@aws-sdk/client-s3 (default checksum settings)', () => {
  test('put (string and stream bodies), get, list', async () => {
    const client = sdk();
    try {
      await client.send(new PutObjectCommand({ Bucket: BCK, Key: 'sdk/one', Body: 'from the sdk' }));
      const { Readable } = await import('node:stream');
      const big = Buffer.alloc(300 * 1024, 7);
      await client.send(new PutObjectCommand({ Bucket: BCK, Key: 'sdk/stream', Body: Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), ContentLength: big.length }));
      const got = await client.send(new GetObjectCommand({ Bucket: BCK, Key: 'sdk/stream' }));
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), big);
      assert.equal(got.ETag, `"${createHash('md5').update(big).digest('hex')}"`);
      const list = await client.send(new ListObjectsV2Command({ Bucket: BCK, Prefix: 'sdk/' }));
      assert.deepEqual(list.Contents?.map((o) => o.Key), ['sdk/one', 'sdk/stream']);
    } finally {
      client.destroy();
    }
  });

  test('wrong secret → SignatureDoesNotMatch; unknown key → InvalidAccessKeyId', async () => {
    for (const [client, code] of [
      [sdk(AK, 'wrong'), 'SignatureDoesNotMatch'],
      [sdk('NOSUCHKEY', SK), 'InvalidAccessKeyId'],
    ] as const) {
      try {
        await assert.rejects(client.send(new GetObjectCommand({ Bucket: BCK, Key: 'sdk/one' })), (e: unknown) => {
          const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
          assert.equal(err.name, code);
          assert.equal(err.$metadata?.httpStatusCode, 403);
          return true;
        });
      } finally {
        client.destroy();
      }
    }
  });
});

describe('request payloads', () => {
  const trailerHeaders = (decoded: number): Record<string, string> => ({
    'content-encoding': 'aws-chunked',
    'x-amz-trailer': 'x-amz-checksum-crc32',
    'x-amz-decoded-content-length': String(decoded),
  });
  const UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

  test('aws-chunked unsigned trailer with the right crc32 → stored, decoded', async () => {
    const data = Buffer.from('chunked body, hello world');
    const body = encodeAwsChunked([data.subarray(0, 7), data.subarray(7)], { 'x-amz-checksum-crc32': await s3ChecksumOf('crc32', data) });
    const put = assertS3Ok(await send('PUT', s3Path(BCK, 'chunked-ok'), { headers: trailerHeaders(data.length), body, sign: { payloadHash: UNSIGNED_TRAILER } }));
    assert.equal(put.headers.get('etag'), `"${createHash('md5').update(data).digest('hex')}"`);
    assert.deepEqual(assertS3Ok(await send('GET', s3Path(BCK, 'chunked-ok'), { sign: {} })).body, data);
  });

  test('wrong crc32 trailer → 400 BadDigest, object absent', async () => {
    const data = Buffer.from('chunked body with a bad trailer');
    const body = encodeAwsChunked([data], { 'x-amz-checksum-crc32': await s3ChecksumOf('crc32', 'something else') });
    const r = assertS3Error(await send('PUT', s3Path(BCK, 'chunked-bad'), { headers: trailerHeaders(data.length), body, sign: { payloadHash: UNSIGNED_TRAILER } }), 400, 'BadDigest');
    assert.equal(r.Message, 'The CRC32 you specified did not match the calculated checksum.');
    assertS3Error(await send('HEAD', s3Path(BCK, 'chunked-bad'), { sign: {} }), 404, 'NoSuchKey', true);
  });

  test('malformed chunk framing → 400 InvalidRequest, object absent', async () => {
    const body = Buffer.from('5\r\nabc\r\n0\r\n\r\n');
    assertS3Error(await send('PUT', s3Path(BCK, 'chunked-malformed'), { headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5' }, body, sign: { payloadHash: UNSIGNED_TRAILER } }), 400, 'InvalidRequest');
    assertS3Error(await send('HEAD', s3Path(BCK, 'chunked-malformed'), { sign: {} }), 404, 'NoSuchKey', true);
  });

  test('decoded length differs from x-amz-decoded-content-length → 400 IncompleteBody', async () => {
    const body = encodeAwsChunked([Buffer.from('abc')]);
    assertS3Error(await send('PUT', s3Path(BCK, 'chunked-short'), { headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '4' }, body, sign: { payloadHash: UNSIGNED_TRAILER } }), 400, 'IncompleteBody');
  });

  test('Content-MD5 wrong → 400 BadDigest, object absent; malformed → 400 InvalidDigest', async () => {
    const md5Other = createHash('md5').update('other').digest('base64');
    assertS3Error(await send('PUT', s3Path(BCK, 'md5-bad'), { headers: { 'content-md5': md5Other }, body: 'data', sign: {} }), 400, 'BadDigest');
    assertS3Error(await send('HEAD', s3Path(BCK, 'md5-bad'), { sign: {} }), 404, 'NoSuchKey', true);
    assertS3Error(await send('PUT', s3Path(BCK, 'md5-bad'), { headers: { 'content-md5': 'not-base64' }, body: 'data', sign: {} }), 400, 'InvalidDigest');
  });

  test('x-amz-checksum-sha256 header mismatch → 400 BadDigest', async () => {
    const sum = await s3ChecksumOf('sha256', 'other');
    assertS3Error(await send('PUT', s3Path(BCK, 'sha-hdr-bad'), { headers: { 'x-amz-checksum-sha256': sum }, body: 'data', sign: {} }), 400, 'BadDigest');
  });

  test('signed streaming (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): good chunks stored, a tampered chunk → 403, nothing stored', async () => {
    const data = Buffer.alloc(70_000, 'a');
    const chunks = [data.subarray(0, 65_536), data.subarray(65_536)];
    const mk = (key: string, tamper: boolean): { url: string; headers: Record<string, string>; body: Buffer } => {
      const url = `${c.proxyUrl}${s3Path(BCK, key)}`;
      const encodedLength = encodeAwsChunked(chunks).length + 2 * 81 + 81; // each chunk line gains ";chunk-signature=<64>" (81 bytes)
      const s = signRequest({
        method: 'PUT',
        url,
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'content-length': String(encodedLength) },
        payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        accessKey: AK,
        secretKey: SK,
        nowMs: Date.now(),
      });
      const body = encodeSignedChunks(chunks, s);
      assert.equal(body.length, encodedLength);
      if (tamper) body[200] = 'b'.charCodeAt(0);
      return { url, headers: s.headers, body };
    };
    const ok = mk('signed-stream', false);
    assertS3Ok(await raw('PUT', ok.url, ok.headers, ok.body));
    assert.deepEqual(assertS3Ok(await send('GET', s3Path(BCK, 'signed-stream'), { sign: {} })).body, data);
    const bad = mk('signed-stream-bad', true);
    assertS3Error(await raw('PUT', bad.url, bad.headers, bad.body), 403, 'SignatureDoesNotMatch');
    assertS3Error(await send('HEAD', s3Path(BCK, 'signed-stream-bad'), { sign: {} }), 404, 'NoSuchKey', true);
  });
});
