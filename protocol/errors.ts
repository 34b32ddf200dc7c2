// Error classes shared by every layer. Handlers throw these; the frontend maps them once to AIS JSON
// (`tcode`, `status`) or S3 XML (`s3Code`). They cross the wire as `{ tcode, message, status }`.

export class InvariantError extends Error {
  override name = 'InvariantError';
}

/** One assert, never compiled out, for our own invariants (bad client input is a 4xx, not an assert). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

export abstract class ShoalError extends Error {
  abstract readonly tcode: string;
  abstract readonly status: number;
  readonly s3Code: string = 'InvalidRequest';
}

export class ErrInvalidArgument extends ShoalError {
  readonly tcode = 'ErrInvalidArgument';
  readonly status = 400;
  override readonly s3Code = 'InvalidArgument';
}
export class ErrInvalidBckName extends ShoalError {
  readonly tcode = 'ErrInvalidBckName';
  readonly status = 400;
  override readonly s3Code = 'InvalidBucketName';
}
export class ErrInvalidObjName extends ShoalError {
  readonly tcode = 'ErrInvalidObjName';
  readonly status = 400;
  override readonly s3Code = 'InvalidArgument';
}
export class ErrBadActMsg extends ShoalError {
  readonly tcode = 'ErrBadActMsg';
  readonly status = 400;
  override readonly s3Code = 'MalformedXML';
}
export class ErrUnknownAction extends ShoalError {
  readonly tcode = 'ErrUnknownAction';
  readonly status = 400;
  override readonly s3Code = 'InvalidRequest';
}
export class ErrBadCksum extends ShoalError {
  readonly tcode = 'ErrBadCksum';
  readonly status = 400;
  override readonly s3Code = 'BadDigest';
}
export class ErrIncompleteBody extends ShoalError {
  readonly tcode = 'ErrIncompleteBody';
  readonly status = 400;
  override readonly s3Code = 'IncompleteBody';
}
export class ErrBckNotFound extends ShoalError {
  readonly tcode = 'ErrBckNotFound';
  readonly status = 404;
  override readonly s3Code = 'NoSuchBucket';
  constructor(readonly bck: string) {
    super(`bucket "${bck}" does not exist`);
  }
}
export class ErrObjNotFound extends ShoalError {
  readonly tcode = 'ErrObjNotFound';
  readonly status = 404;
  override readonly s3Code = 'NoSuchKey';
  constructor(readonly bck: string, readonly objName: string) {
    super(`object "${bck}/${objName}" does not exist`);
  }
}
export class ErrNotFound extends ShoalError {
  readonly tcode = 'ErrNotFound';
  readonly status = 404;
  override readonly s3Code = 'NoSuchKey';
}
export class ErrMethodNotAllowed extends ShoalError {
  readonly tcode = 'ErrMethodNotAllowed';
  readonly status = 405;
  override readonly s3Code = 'MethodNotAllowed';
  constructor(readonly method: string, readonly path: string, readonly allowed: readonly string[]) {
    super(`method ${method} is not allowed on "${path}" (allowed: ${allowed.join(', ')})`);
  }
}
export class ErrBckAlreadyExists extends ShoalError {
  readonly tcode = 'ErrBckAlreadyExists';
  readonly status = 409;
  override readonly s3Code = 'BucketAlreadyOwnedByYou';
  constructor(readonly bck: string) {
    super(`bucket "${bck}" already exists`);
  }
}
export class ErrConflict extends ShoalError {
  readonly tcode = 'ErrConflict';
  readonly status = 409;
  override readonly s3Code = 'OperationAborted';
}
export class ErrRangeNotSatisfiable extends ShoalError {
  readonly tcode = 'ErrRangeNotSatisfiable';
  readonly status = 416;
  override readonly s3Code = 'InvalidRange';
  /** The object size, for `Content-Range: bytes *\/<size>`. */
  constructor(message: string, readonly size?: number) {
    super(message);
  }
}
export class ErrHeadersTooLarge extends ShoalError {
  readonly tcode = 'ErrHeadersTooLarge';
  readonly status = 431;
  override readonly s3Code = 'RequestHeaderSectionTooLarge';
}
export class ErrNotImplemented extends ShoalError {
  readonly tcode = 'ErrNotImplemented';
  readonly status = 501;
  override readonly s3Code = 'NotImplemented';
}
export class ErrNotReady extends ShoalError {
  readonly tcode = 'ErrNotReady';
  readonly status = 503;
  override readonly s3Code = 'ServiceUnavailable';
}
export class ErrNoTargets extends ShoalError {
  readonly tcode = 'ErrNoTargets';
  readonly status = 503;
  override readonly s3Code = 'ServiceUnavailable';
  constructor() {
    super('no targets in the cluster map');
  }
}
export class ErrTimeout extends ShoalError {
  readonly tcode = 'ErrTimeout';
  readonly status = 504;
  override readonly s3Code = 'RequestTimeout';
}
export class ErrOutOfSpace extends ShoalError {
  readonly tcode = 'ErrOutOfSpace';
  readonly status = 507;
  override readonly s3Code = 'InsufficientStorage';
}
/** An error that came over the wire from another node, with its tcode and status preserved. */
export class ErrRemote extends ShoalError {
  constructor(readonly tcode: string, readonly status: number, message: string) {
    super(message);
  }
}
export class ErrInternal extends ShoalError {
  readonly tcode = 'ErrInternal';
  readonly status = 500;
  override readonly s3Code = 'InternalError';
}

/** Wire form of an error (msgpack between nodes, AIS JSON to clients). */
export interface WireError {
  tcode: string;
  message: string;
  status: number;
}

export function errorToWire(err: unknown): WireError {
  if (err instanceof ShoalError) return { tcode: err.tcode, message: err.message, status: err.status };
  const message = err instanceof Error ? err.message : String(err);
  return { tcode: 'ErrInternal', message, status: 500 };
}

export function errorFromWire(w: WireError): ShoalError {
  return new ErrRemote(w.tcode, w.status, w.message);
}

/** An actor's bounded mailbox is full: the sender must back off and retry (AIS answers 429 when overloaded). */
export class ErrMailboxFull extends ShoalError {
  readonly tcode = 'ErrMailboxFull';
  readonly status = 429;
  override readonly s3Code = 'SlowDown';
  constructor(readonly path: string, readonly lengthMax: number) {
    super(`mailbox of actor "${path}" is full (${lengthMax} messages)`);
  }
}

/** A peer node could not be reached, or the connection to it dropped with the request in flight. */
export class ErrPeerUnreachable extends ShoalError {
  readonly tcode = 'ErrPeerUnreachable';
  readonly status = 503;
  override readonly s3Code = 'ServiceUnavailable';
}

/** The node is over its load budget (AIS cmn.ErrTooManyRequests, e.g. GetBatch admission): retry later. */
export class ErrTooManyRequests extends ShoalError {
  readonly tcode = 'ErrTooManyRequests';
  readonly status = 429;
  override readonly s3Code = 'SlowDown';
}
