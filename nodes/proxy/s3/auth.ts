// SigV4 verification at the proxy (node config `s3.auth`, off by default): the Authorization header
// form and the presigned (query) form, with the clock-skew and expiry rules of S3. Runs before any
// routing; targets trust what a proxy relays. Streaming uploads also get their chunk signatures
// checked on the way through (nodes/common/s3/chunk-signatures.ts).
import { timingSafeEqual } from 'node:crypto';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { STREAMING_SIGNED, STREAMING_SIGNED_TRAILER } from '../../../protocol/s3/aws-chunked.ts';
import {
  EMPTY_SHA256,
  PRESIGN_EXPIRES_SEC_MAX,
  Q_ALGORITHM,
  Q_CREDENTIAL,
  Q_DATE,
  Q_EXPIRES,
  Q_SIGNATURE,
  Q_SIGNED_HEADERS,
  S3_SERVICE,
  SIGV4_ALGORITHM,
  UNSIGNED_PAYLOAD,
  canonicalRequest,
  credentialScope,
  parseAmzDate,
  parseAuthHeader,
  parseCredential,
  signature,
  signingKey,
  stringToSign,
} from '../../../protocol/s3/sigv4.ts';
import type { HttpRequest } from '../../../runtime/http/types.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import { verifyChunkSignatures } from '../../common/s3/chunk-signatures.ts';
import { verifyBodySha256 } from '../../common/s3/body-sha256.ts';

/** S3 refuses header-signed requests whose x-amz-date is further than this from its clock. */
export const S3_CLOCK_SKEW_MS_MAX = 15 * 60 * 1000;

interface Signed {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
}

function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Header form: `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
function fromHeader(req: HttpRequest, auth: string, nowMs: number): Signed {
  const p = parseAuthHeader(auth);
  if (!p) throw s3Err.authorizationHeaderMalformed(`The authorization header is malformed: "${auth.slice(0, 200)}"`);
  const amzDate = header(req, 'x-amz-date');
  if (amzDate === undefined) throw s3Err.accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  const t = parseAmzDate(amzDate);
  if (t === undefined) throw s3Err.accessDenied(`AWS authentication requires a valid Date or x-amz-date header (got "${amzDate}")`);
  if (Math.abs(nowMs - t) > S3_CLOCK_SKEW_MS_MAX) {
    throw s3Err.requestTimeTooSkewed(`The difference between the request time (${amzDate}) and the current time is too large.`);
  }
  if (!p.signedHeaders.includes('host')) throw s3Err.accessDenied('the host header must be signed');
  for (const h of p.signedHeaders) if (h !== h.toLowerCase()) throw s3Err.authorizationHeaderMalformed(`SignedHeaders must be lower-case: "${h}"`);
  let payloadHash = header(req, 'x-amz-content-sha256');
  if (payloadHash === undefined) {
    // S3 requires it; a bodiless request signed by a generic SigV4 signer used the empty hash
    const bodiless = req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE';
    if (!bodiless) throw s3Err.invalidRequest('Missing required header for this request: x-amz-content-sha256');
    payloadHash = EMPTY_SHA256;
  }
  return { ...p, amzDate, payloadHash };
}

/** Query form (presigned URL): X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature. */
function fromQuery(req: HttpRequest, nowMs: number): Signed {
  const q = req.query;
  const get = (name: string): string => {
    const v = q.get(name);
    if (v === null) throw s3Err.authorizationQueryParametersError(`Query-string authentication version 4 requires the ${Q_ALGORITHM}, ${Q_CREDENTIAL}, ${Q_SIGNATURE}, ${Q_DATE}, ${Q_SIGNED_HEADERS}, and ${Q_EXPIRES} parameters (missing ${name}).`);
    return v;
  };
  if (get(Q_ALGORITHM) !== SIGV4_ALGORITHM) throw s3Err.authorizationQueryParametersError(`${Q_ALGORITHM} only supports "${SIGV4_ALGORITHM}"`);
  const cred = parseCredential(get(Q_CREDENTIAL));
  if (!cred) throw s3Err.authorizationQueryParametersError(`malformed ${Q_CREDENTIAL} "${q.get(Q_CREDENTIAL)}"`);
  const amzDate = get(Q_DATE);
  const t = parseAmzDate(amzDate);
  if (t === undefined) throw s3Err.authorizationQueryParametersError(`${Q_DATE} must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  const expiresRaw = get(Q_EXPIRES);
  if (!/^\d{1,9}$/.test(expiresRaw)) throw s3Err.authorizationQueryParametersError(`${Q_EXPIRES} should be a number`);
  const expires = Number(expiresRaw);
  if (expires > PRESIGN_EXPIRES_SEC_MAX) {
    throw s3Err.authorizationQueryParametersError(`${Q_EXPIRES} must be less than a week (in seconds); that is, the given ${Q_EXPIRES} must be less than ${PRESIGN_EXPIRES_SEC_MAX} seconds`);
  }
  if (nowMs > t + expires * 1000) throw s3Err.accessDenied('Request has expired');
  if (t - nowMs > S3_CLOCK_SKEW_MS_MAX) throw s3Err.accessDenied('Request is not valid yet');
  const sig = get(Q_SIGNATURE);
  if (!/^[0-9a-f]{64}$/.test(sig)) throw s3Err.authorizationQueryParametersError(`malformed ${Q_SIGNATURE}`);
  const signedHeaders = get(Q_SIGNED_HEADERS).split(';');
  if (!signedHeaders.includes('host')) throw s3Err.authorizationQueryParametersError('the host header must be signed');
  return { ...cred, amzDate, signedHeaders, signature: sig, payloadHash: q.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD };
}

/**
 * Verifies the request's SigV4 signature when S3 auth is on; returns the request to serve (with a
 * chunk-signature-checking body for signed streaming uploads). Throws the S3 error otherwise.
 */
export async function verifyS3Auth(core: NodeCore, s3: S3Request): Promise<S3Request> {
  const cfg = core.cfg.s3;
  if (cfg?.auth !== true) return s3;
  const req = s3.req;
  const nowMs = core.env.clock.realtimeMs();
  const auth = header(req, 'authorization');
  let signed: Signed;
  if (auth !== undefined && auth.startsWith(`${SIGV4_ALGORITHM} `)) signed = fromHeader(req, auth, nowMs);
  else if (auth !== undefined) throw s3Err.invalidRequest('The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  else if (req.query.has(Q_ALGORITHM) || req.query.has(Q_SIGNATURE) || req.query.has(Q_CREDENTIAL)) signed = fromQuery(req, nowMs);
  else if (req.query.has('Signature') && req.query.has('AWSAccessKeyId')) throw s3Err.invalidRequest('The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  else throw s3Err.accessDenied('Access Denied');

  if (signed.service !== S3_SERVICE) throw s3Err.authorizationHeaderMalformed(`the credential scope names service "${signed.service}"; expected "${S3_SERVICE}"`);
  if (signed.date !== signed.amzDate.slice(0, 8)) {
    throw s3Err.authorizationHeaderMalformed(`the credential scope date ${signed.date} does not match the request date ${signed.amzDate.slice(0, 8)}`);
  }
  const secret = cfg.access_keys?.[signed.accessKey];
  if (secret === undefined) throw s3Err.invalidAccessKeyId('The AWS Access Key Id you provided does not exist in our records.');

  let path: string;
  try {
    path = decodeURIComponent(req.rawPath);
  } catch {
    throw s3Err.invalidArgument(`invalid percent-encoding in URL path "${req.rawPath}"`);
  }
  const canonical = canonicalRequest({ method: req.method, path, query: req.query, headers: req.headers, signedHeaders: signed.signedHeaders, payloadHash: signed.payloadHash });
  const scope = credentialScope(signed.date, signed.region, signed.service);
  const key = signingKey(secret, signed.date, signed.region, signed.service);
  const want = signature(key, stringToSign(signed.amzDate, scope, canonical));
  if (!sameHex(want, signed.signature)) {
    throw s3Err.signatureDoesNotMatch('The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  if (signed.payloadHash === STREAMING_SIGNED || signed.payloadHash === STREAMING_SIGNED_TRAILER) {
    const body = verifyChunkSignatures(req.body, {
      signingKey: key,
      amzDate: signed.amzDate,
      scope,
      seedSignature: want,
      trailer: signed.payloadHash === STREAMING_SIGNED_TRAILER,
    });
    return { ...s3, req: { ...req, body } };
  }
  // Object PUTs (PutObject, UploadPart) check a hex payload hash at the target (s3Payload) as the
  // bytes land; other bodies are checked here, once.
  const objectPut = req.method === 'PUT' && s3.key !== '';
  if (/^[0-9a-fA-F]{64}$/.test(signed.payloadHash) && !objectPut && (req.method === 'POST' || req.method === 'PUT')) {
    return { ...s3, req: { ...req, body: verifyBodySha256(req.body, signed.payloadHash) } };
  }
  return s3;
}
