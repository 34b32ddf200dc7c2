// Bucket and object arguments as `ais` spells them: `ais://bck`, `bck`, `ais://bck/obj/path`, `s3://bck`.
import { PROVIDER_ALIASES } from '../protocol/apc.ts';
import { ErrInvalidArgument } from '../protocol/errors.ts';
import { validateBckName } from '../protocol/names.ts';

export interface BckRef {
  name: string;
  provider: string;
}

export interface ObjRef {
  bck: BckRef;
  /** Object name or prefix after the bucket; '' when none was given. */
  objName: string;
}

const SCHEME_SEP = '://';

/** Splits `[prov://]bck[/rest]`; the bucket name is validated, the rest is returned as is. */
export function parseBckObj(arg: string): ObjRef {
  let provider = 'ais';
  let rest = arg;
  const i = arg.indexOf(SCHEME_SEP);
  if (i >= 0) {
    const scheme = arg.slice(0, i);
    const canonical = PROVIDER_ALIASES[scheme];
    if (canonical === undefined) throw new ErrInvalidArgument(`invalid backend provider "${scheme}" in "${arg}"`);
    provider = canonical;
    rest = arg.slice(i + SCHEME_SEP.length);
  }
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  const objName = slash < 0 ? '' : rest.slice(slash + 1);
  if (name === '') throw new ErrInvalidArgument(`missing bucket name in "${arg}"`);
  validateBckName(name);
  return { bck: { name, provider }, objName };
}

/** A bucket alone: `ais://b` or `b` (a trailing slash is tolerated). */
export function parseBck(arg: string): BckRef {
  const { bck, objName } = parseBckObj(arg);
  if (objName !== '') throw new ErrInvalidArgument(`expected a bucket, got "${arg}" (object name "${objName}")`);
  return bck;
}

/** A bucket and a non-empty object name: `ais://b/o`. */
export function parseObj(arg: string): ObjRef {
  const ref = parseBckObj(arg);
  if (ref.objName === '') throw new ErrInvalidArgument(`missing object name in "${arg}" (expected BUCKET/OBJECT)`);
  return ref;
}

/** `ais://b`, as AIS prints a bucket (provider scheme, then the name). */
export function bckString(bck: BckRef): string {
  return `${bck.provider}://${bck.name}`;
}

/** Strictly a non-negative decimal integer (sizes, offsets, page sizes). */
export function parseNonNegInt(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new ErrInvalidArgument(`invalid ${what} "${value}": expected a non-negative integer`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new ErrInvalidArgument(`invalid ${what} "${value}": too large`);
  return n;
}

const SIZE_SUFFIX_SHIFT: Record<string, bigint> = { '': 0n, b: 0n, k: 10n, kb: 10n, kib: 10n, m: 20n, mb: 20n, mib: 20n, g: 30n, gb: 30n, gib: 30n, t: 40n, tb: 40n, tib: 40n };

/** `4096`, `4KiB`, `4k`, `1MB` (IEC multiples, as `ais` parses sizes). */
export function parseSize(value: string, what: string): number {
  const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(value.trim());
  const shift = m ? SIZE_SUFFIX_SHIFT[m[2]!.toLowerCase()] : undefined;
  if (!m || shift === undefined) throw new ErrInvalidArgument(`invalid ${what} "${value}": expected a size such as 4096 or 4KiB`);
  const n = BigInt(m[1]!) << shift;
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ErrInvalidArgument(`invalid ${what} "${value}": too large`);
  return Number(n);
}
