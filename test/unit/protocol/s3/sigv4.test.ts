// SigV4 against AWS's published S3 examples (sig-v4-header-based-auth, query-string-auth and
// streaming examples, access key AKIAIOSFODNN7EXAMPLE, 2013-05-24).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_SHA256,
  amzDate,
  canonicalQuery,
  canonicalRequest,
  chunkSignature,
  credentialScope,
  encodeSignedChunks,
  parseAmzDate,
  parseAuthHeader,
  presignUrl,
  sha256Hex,
  signRequest,
  signature,
  signingKey,
  stringToSign,
  uriEncode,
} from '../../../../protocol/s3/sigv4.ts';

const AK = 'AKIAIOSFODNN7EXAMPLE';
const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const NOW = Date.UTC(2013, 4, 24);

describe('SigV4', () => {
  it('GET object example (header auth)', () => {
    const headers = { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': '20130524T000000Z' };
    const canonical = canonicalRequest({ method: 'GET', path: '/test.txt', query: [], headers, signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'], payloadHash: EMPTY_SHA256 });
    assert.equal(sha256Hex(canonical), '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972');
    const scope = credentialScope('20130524', 'us-east-1');
    const sig = signature(signingKey(SK, '20130524', 'us-east-1'), stringToSign('20130524T000000Z', scope, canonical));
    assert.equal(sig, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    // signRequest produces the same signature for the same request
    const s = signRequest({ method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', headers: { Range: 'bytes=0-9' }, accessKey: AK, secretKey: SK, nowMs: NOW });
    assert.equal(s.signature, sig);
    assert.equal(
      s.headers.authorization,
      `AWS4-HMAC-SHA256 Credential=${AK}/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=${sig}`,
    );
  });

  it('GET bucket lifecycle and list examples (query canonicalization)', () => {
    const headers = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': '20130524T000000Z' };
    const key = signingKey(SK, '20130524', 'us-east-1');
    const scope = credentialScope('20130524', 'us-east-1');
    const sign = (query: Array<[string, string]>): string =>
      signature(key, stringToSign('20130524T000000Z', scope, canonicalRequest({ method: 'GET', path: '/', query, headers, signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date'], payloadHash: EMPTY_SHA256 })));
    assert.equal(sign([['lifecycle', '']]), 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
    assert.equal(sign([['prefix', 'J'], ['max-keys', '2']]), '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('presigned GET example', () => {
    const url = presignUrl({ method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', accessKey: AK, secretKey: SK, nowMs: NOW, expiresSec: 86400 });
    assert.equal(new URL(url).searchParams.get('X-Amz-Signature'), 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
    assert.ok(url.includes('X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'));
  });

  it('streaming PUT example: seed and chunk signatures', () => {
    const headers = {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    };
    const signed = ['content-encoding', 'content-length', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-decoded-content-length', 'x-amz-storage-class'];
    const canonical = canonicalRequest({ method: 'PUT', path: '/examplebucket/chunkObject.txt', query: [], headers, signedHeaders: signed, payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' });
    const scope = credentialScope('20130524', 'us-east-1');
    const key = signingKey(SK, '20130524', 'us-east-1');
    const seed = signature(key, stringToSign('20130524T000000Z', scope, canonical));
    assert.equal(seed, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
    const c1 = chunkSignature(key, '20130524T000000Z', scope, seed, sha256Hex(Buffer.alloc(65536, 'a')));
    assert.equal(c1, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648');
    const c2 = chunkSignature(key, '20130524T000000Z', scope, c1, sha256Hex(Buffer.alloc(1024, 'a')));
    assert.equal(c2, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497');
    const c3 = chunkSignature(key, '20130524T000000Z', scope, c2, EMPTY_SHA256);
    assert.equal(c3, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9');
    const body = encodeSignedChunks([Buffer.alloc(65536, 'a'), Buffer.alloc(1024, 'a')], { signature: seed, signingKey: key, scope, amzDate: '20130524T000000Z' });
    assert.equal(body.length, 66824);
  });

  it('URI encoding and query order', () => {
    assert.equal(uriEncode('a b/c~d+é', false), 'a%20b/c~d%2B%C3%A9');
    assert.equal(uriEncode('a/b', true), 'a%2Fb');
    assert.equal(canonicalQuery([['b', '2'], ['a', 'x y'], ['a', '1'], ['X-Amz-Signature', 'z']]), 'a=1&a=x%20y&b=2');
  });

  it('dates and header parsing', () => {
    assert.equal(amzDate(NOW), '20130524T000000Z');
    assert.equal(parseAmzDate('20130524T000000Z'), NOW);
    assert.equal(parseAmzDate('2013-05-24'), undefined);
    const p = parseAuthHeader(`AWS4-HMAC-SHA256 Credential=${AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature=${'a'.repeat(64)}`);
    assert.deepEqual(p, { accessKey: AK, date: '20130524', region: 'us-east-1', service: 's3', signedHeaders: ['host', 'x-amz-date'], signature: 'a'.repeat(64) });
    assert.equal(parseAuthHeader('AWS AKID:sig'), undefined);
    assert.equal(parseAuthHeader(`AWS4-HMAC-SHA256 Credential=${AK}/2013/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'a'.repeat(64)}`), undefined);
  });
});
