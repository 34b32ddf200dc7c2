// On-disk layout of a mountpath (open format: object bytes are plain files, as AIS):
//   <mpath>/.shoal.meta/                          the mountpath's metadata index (KvIndex)
//   <mpath>/@<provider>/<bucket>/%ob/<objName>    object files; `/` in a name makes subdirectories (an empty segment is `%%`)
//   <mpath>/@<provider>/<bucket>/%wk/<unique>     work files of PUTs in flight (removed on open)
//   <mpath>/@<provider>/<bucket>/%mp/<uploadId>/  a multipart upload in progress (manifest + parts)
//   <mpath>/@<provider>/<bucket>/%ch/<uploadId>/  the chunk files of a completed (chunked) object
// Bucket names cannot start with '.', so `.shoal.meta` never clashes with a provider or bucket dir.
import { bckUname } from '../../../protocol/bmd.ts';
import { validateObjName } from '../../../protocol/names.ts';

export const META_DIR_NAME = '.shoal.meta';
export const PROVIDER_DIR_PREFIX = '@';
export const OBJ_DIR_NAME = '%ob';
export const WORK_DIR_NAME = '%wk';
/** Multipart uploads in progress (storage/uploads.ts); chunk dirs of completed ones (storage/chunks.ts). */
export const UPLOADS_DIR_NAME = '%mp';
export const CHUNKS_DIR_NAME = '%ch';
/** Random bytes in a work file name: 64 bits make collisions between concurrent PUTs negligible. */
export const WORK_FILE_RANDOM_BYTES = 8;

export interface BckRef {
  provider: string;
  name: string;
}

export function objUname(bck: BckRef, objName: string): string {
  return bckUname(bck.provider, bck.name) + objName;
}

export function metaDir(mpath: string): string {
  return `${mpath}/${META_DIR_NAME}`;
}

export function bckDir(mpath: string, bck: BckRef): string {
  return `${mpath}/${PROVIDER_DIR_PREFIX}${bck.provider}/${bck.name}`;
}

export function objDir(mpath: string, bck: BckRef): string {
  return `${bckDir(mpath, bck)}/${OBJ_DIR_NAME}`;
}

export function objPath(mpath: string, bck: BckRef, objName: string): string {
  return `${objDir(mpath, bck)}/${objFileName(objName)}`;
}

/**
 * Stands for an empty path segment in a file path: S3 keys may hold `a//b` or end in `/` (directory
 * markers), which as files would alias `a/b` or a directory. A real segment that starts with it is
 * escaped by one more, so the mapping stays one-to-one. Index keys keep the name as is.
 */
export const EMPTY_SEGMENT_FILE = '%%';

/** The object's path under `%ob/` (its name, unless it has empty or `%%`-prefixed segments). */
export function objFileName(objName: string): string {
  const plain = !objName.includes('//') && !objName.endsWith('/') && !objName.startsWith('/') && !objName.startsWith(EMPTY_SEGMENT_FILE) && !objName.includes(`/${EMPTY_SEGMENT_FILE}`);
  if (plain) return objName;
  return objName
    .split('/')
    .map((seg) => (seg === '' ? EMPTY_SEGMENT_FILE : seg.startsWith(EMPTY_SEGMENT_FILE) ? EMPTY_SEGMENT_FILE + seg : seg))
    .join('/');
}

export function workDir(mpath: string, bck: BckRef): string {
  return `${bckDir(mpath, bck)}/${WORK_DIR_NAME}`;
}

export function workPath(mpath: string, bck: BckRef, unique: string): string {
  return `${workDir(mpath, bck)}/${unique}`;
}

export function uploadsDir(mpath: string, bck: BckRef): string {
  return `${bckDir(mpath, bck)}/${UPLOADS_DIR_NAME}`;
}

export function chunksDir(mpath: string, bck: BckRef): string {
  return `${bckDir(mpath, bck)}/${CHUNKS_DIR_NAME}`;
}

/** Parent directory of a path built by this module (always '/'-separated). */
export function parentDir(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** A name must map to exactly one file: the protocol rules (empty segments are escaped by objFileName). */
export function validateObjPathName(objName: string): void {
  validateObjName(objName);
}

/** Strips trailing slashes; a mountpath must be absolute so that every path here is too. */
export function normalizeMountpath(mpath: string): string {
  const p = mpath.replace(/\/+$/, '');
  if (!mpath.startsWith('/') || p === '') return '';
  return p;
}
