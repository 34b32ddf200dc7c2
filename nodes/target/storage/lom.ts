// LOM (local object metadata) as stored in a mountpath's index: key = object uname, value = a
// msgpack array (smaller and faster than a map; LOM_FORMAT_V1 first so the format can evolve).
// LOM_FORMAT_V2 adds a 9th element for a chunked object (completed multipart upload): its chunk
// dir id, the encoded manifest and the manifest's checksum (storage/chunks.ts decodes and verifies
// it only when the chunks are read, so HEAD and listings pay nothing).
import { Packr } from 'msgpackr';
import type { CksumType } from '../../../protocol/apc.ts';
import { assert } from '../../../protocol/errors.ts';
import { isCksumType } from '../../../runtime/cksum/cksum.ts';

export const LOM_FORMAT_V1 = 1;
export const LOM_FORMAT_V2 = 2;

/** A chunked object's manifest as the LOM keeps it (opaque here; see storage/chunks.ts). */
export interface ChunkRef {
  /** The chunk dir `%ch/<id>` (the upload id). */
  id: string;
  manifest: Uint8Array;
  /** Checksum of `manifest` (a corrupted manifest is detected before any chunk is read). */
  cksum: string;
}

export interface ObjMeta {
  size: number;
  cksumType: CksumType;
  cksumValue: string;
  version: string;
  /** Unix ns as a decimal string (AIS `Ais-Atime`). */
  atimeNs: string;
  mtimeMs: number;
  customMd: Record<string, string>;
  /** Present when the object is stored as chunks (a completed multipart upload), not one file. */
  chunks?: ChunkRef;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encodeLom(meta: ObjMeta): Uint8Array {
  if (meta.chunks) {
    const c = meta.chunks;
    return packr.pack([LOM_FORMAT_V2, meta.size, meta.cksumType, meta.cksumValue, meta.version, meta.atimeNs, meta.mtimeMs, meta.customMd, [c.id, c.manifest, c.cksum]]);
  }
  return packr.pack([LOM_FORMAT_V1, meta.size, meta.cksumType, meta.cksumValue, meta.version, meta.atimeNs, meta.mtimeMs, meta.customMd]);
}

export function decodeLom(buf: Uint8Array): ObjMeta {
  const v: unknown = packr.unpack(buf);
  // The index is ours: a malformed value is a bug or a corrupted disk, not client input.
  assert(Array.isArray(v) && (v.length === 8 || v.length === 9), 'lom: value is not an 8- or 9-element array');
  const [format, size, cksumType, cksumValue, version, atimeNs, mtimeMs, customMd, chunks] = v as unknown[];
  assert(format === (v.length === 8 ? LOM_FORMAT_V1 : LOM_FORMAT_V2), `lom: unknown format ${String(format)}`);
  assert(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0, 'lom: bad size');
  assert(typeof cksumType === 'string' && isCksumType(cksumType), 'lom: bad checksum type');
  assert(typeof cksumValue === 'string', 'lom: bad checksum value');
  assert(typeof version === 'string', 'lom: bad version');
  assert(typeof atimeNs === 'string', 'lom: bad atime');
  assert(typeof mtimeMs === 'number', 'lom: bad mtime');
  assert(typeof customMd === 'object' && customMd !== null && !Array.isArray(customMd), 'lom: bad custom metadata');
  const meta: ObjMeta = { size, cksumType, cksumValue, version, atimeNs, mtimeMs, customMd: customMd as Record<string, string> };
  if (chunks !== undefined) {
    assert(Array.isArray(chunks) && chunks.length === 3, 'lom: bad chunk reference');
    const [id, manifest, cksum] = chunks as unknown[];
    assert(typeof id === 'string' && manifest instanceof Uint8Array && typeof cksum === 'string', 'lom: bad chunk reference');
    meta.chunks = { id, manifest, cksum };
  }
  return meta;
}
