// LOM (local object metadata) as stored in a mountpath's index: key = object uname, value = a
// msgpack array (smaller and faster than a map; LOM_FORMAT_V1 first so the format can evolve).
import { Packr } from 'msgpackr';
import type { CksumType } from '../../../protocol/apc.ts';
import { assert } from '../../../protocol/errors.ts';
import { isCksumType } from '../../../runtime/cksum/cksum.ts';

export const LOM_FORMAT_V1 = 1;

export interface ObjMeta {
  size: number;
  cksumType: CksumType;
  cksumValue: string;
  version: string;
  /** Unix ns as a decimal string (AIS `Ais-Atime`). */
  atimeNs: string;
  mtimeMs: number;
  customMd: Record<string, string>;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encodeLom(meta: ObjMeta): Uint8Array {
  return packr.pack([LOM_FORMAT_V1, meta.size, meta.cksumType, meta.cksumValue, meta.version, meta.atimeNs, meta.mtimeMs, meta.customMd]);
}

export function decodeLom(buf: Uint8Array): ObjMeta {
  const v: unknown = packr.unpack(buf);
  // The index is ours: a malformed value is a bug or a corrupted disk, not client input.
  assert(Array.isArray(v) && v.length === 8, 'lom: value is not an 8-element array');
  const [format, size, cksumType, cksumValue, version, atimeNs, mtimeMs, customMd] = v as unknown[];
  assert(format === LOM_FORMAT_V1, `lom: unknown format ${String(format)}`);
  assert(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0, 'lom: bad size');
  assert(typeof cksumType === 'string' && isCksumType(cksumType), 'lom: bad checksum type');
  assert(typeof cksumValue === 'string', 'lom: bad checksum value');
  assert(typeof version === 'string', 'lom: bad version');
  assert(typeof atimeNs === 'string', 'lom: bad atime');
  assert(typeof mtimeMs === 'number', 'lom: bad mtime');
  assert(typeof customMd === 'object' && customMd !== null && !Array.isArray(customMd), 'lom: bad custom metadata');
  return { size, cksumType, cksumValue, version, atimeNs, mtimeMs, customMd: customMd as Record<string, string> };
}
