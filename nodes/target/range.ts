// HTTP Range (RFC 9110 §14) for object GET: one range only, as AIS; anything unsatisfiable is 416.
import { ErrRangeNotSatisfiable } from '../../protocol/errors.ts';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined || header === '') return undefined;
  const m = /^bytes=(.*)$/.exec(header.trim());
  if (!m) throw new ErrRangeNotSatisfiable(`invalid range "${header}"`, size);
  const spec = m[1]!.trim();
  if (spec.includes(',')) throw new ErrRangeNotSatisfiable(`multi-range requests are not supported: "${header}"`, size);
  const r = /^(\d*)-(\d*)$/.exec(spec);
  if (!r || (r[1] === '' && r[2] === '')) throw new ErrRangeNotSatisfiable(`invalid range "${header}"`, size);
  let start: number;
  let end: number;
  if (r[1] === '') {
    const suffix = Number(r[2]);
    if (suffix === 0 || size === 0) throw new ErrRangeNotSatisfiable(`range "${header}" is not satisfiable for size ${size}`, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(r[1]);
    end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
    if (r[2] !== '' && Number(r[2]) < start) throw new ErrRangeNotSatisfiable(`invalid range "${header}": end before start`, size);
  }
  if (start >= size) throw new ErrRangeNotSatisfiable(`range "${header}" is not satisfiable for size ${size}`, size);
  return { start, end };
}
