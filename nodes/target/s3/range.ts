// The GetObject `Range` header as S3 reads it: one range (`bytes=a-b`, `a-`, `-n`); a header that
// does not parse as one (several ranges, end before start, another unit) is ignored and the whole
// object is sent (RFC 9110 §14.2 lets a server ignore it; S3 does). A well-formed range that starts
// past the end is 416 InvalidRange with `Content-Range: bytes */<size>`.
import { ErrRangeNotSatisfiable } from '../../../protocol/errors.ts';
import type { ByteRange } from '../storage/storage.ts';

const RANGE_RE = /^bytes=(\d*)-(\d*)$/;

export function parseS3Range(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = RANGE_RE.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = (): never => {
    throw new ErrRangeNotSatisfiable(`The requested range "${header}" is not satisfiable for an object of ${size} bytes`, size);
  };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (!Number.isSafeInteger(suffix)) return undefined;
    if (suffix === 0 || size === 0) return unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last)) return undefined;
  if (m[2] !== '' && last < start) return undefined;
  if (start >= size) return unsatisfiable();
  return { start, end: Math.min(last, size - 1) };
}
