// S3 error codes (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html) as ShoalErrors:
// the S3 frontend writes them as `<Error><Code>…` XML, the native API as AIS JSON with the same status.
import { ShoalError } from '../errors.ts';

export class ErrS3 extends ShoalError {
  readonly tcode: string;
  override readonly s3Code: string;
  constructor(code: string, readonly status: number, message: string) {
    super(message);
    this.s3Code = code;
    this.tcode = `ErrS3${code}`;
  }
}

export const s3Err = {
  noSuchUpload: (uploadId: string) => new ErrS3('NoSuchUpload', 404, `upload "${uploadId}" does not exist (it may have been completed or aborted)`),
  bucketNotEmpty: (bucket: string) => new ErrS3('BucketNotEmpty', 409, `bucket "${bucket}" is not empty`),
  malformedXML: (why: string) => new ErrS3('MalformedXML', 400, `the XML you provided was not well-formed or did not validate against our published schema: ${why}`),
  invalidPart: (msg: string) => new ErrS3('InvalidPart', 400, msg),
  invalidPartOrder: (msg: string) => new ErrS3('InvalidPartOrder', 400, msg),
  entityTooSmall: (msg: string) => new ErrS3('EntityTooSmall', 400, msg),
  accessDenied: (msg: string) => new ErrS3('AccessDenied', 403, msg),
  signatureDoesNotMatch: (msg: string) => new ErrS3('SignatureDoesNotMatch', 403, msg),
  requestTimeTooSkewed: (msg: string) => new ErrS3('RequestTimeTooSkewed', 403, msg),
  invalidAccessKeyId: (msg: string) => new ErrS3('InvalidAccessKeyId', 403, msg),
  preconditionFailed: (msg: string) => new ErrS3('PreconditionFailed', 412, msg),
  invalidRequest: (msg: string) => new ErrS3('InvalidRequest', 400, msg),
  invalidArgument: (msg: string) => new ErrS3('InvalidArgument', 400, msg),
  invalidDigest: (msg: string) => new ErrS3('InvalidDigest', 400, msg),
  badDigest: (msg: string) => new ErrS3('BadDigest', 400, msg),
  sha256Mismatch: (msg: string) => new ErrS3('XAmzContentSHA256Mismatch', 400, msg),
  missingContentLength: (msg: string) => new ErrS3('MissingContentLength', 411, msg),
  entityTooLarge: (msg: string) => new ErrS3('EntityTooLarge', 400, msg),
  notImplemented: (msg: string) => new ErrS3('NotImplemented', 501, msg),
  authorizationHeaderMalformed: (msg: string) => new ErrS3('AuthorizationHeaderMalformed', 400, msg),
  authorizationQueryParametersError: (msg: string) => new ErrS3('AuthorizationQueryParametersError', 400, msg),
};
