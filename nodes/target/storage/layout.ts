// On-disk layout of a mountpath (open format: object bytes are plain files, as AIS):
//   <mpath>/.shoal.meta/                          the mountpath's metadata index (KvIndex)
//   <mpath>/@<provider>/<bucket>/%ob/<objName>    object files; `/` in a name makes subdirectories
//   <mpath>/@<provider>/<bucket>/%wk/<unique>     work files of PUTs in flight (removed on open)
// Bucket names cannot start with '.', so `.shoal.meta` never clashes with a provider or bucket dir.
import { bckUname } from '../../../protocol/bmd.ts';
import { ErrInvalidObjName } from '../../../protocol/errors.ts';
import { validateObjName } from '../../../protocol/names.ts';

export const META_DIR_NAME = '.shoal.meta';
export const PROVIDER_DIR_PREFIX = '@';
export const OBJ_DIR_NAME = '%ob';
export const WORK_DIR_NAME = '%wk';
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
  return `${objDir(mpath, bck)}/${objName}`;
}

export function workDir(mpath: string, bck: BckRef): string {
  return `${bckDir(mpath, bck)}/${WORK_DIR_NAME}`;
}

export function workPath(mpath: string, bck: BckRef, unique: string): string {
  return `${workDir(mpath, bck)}/${unique}`;
}

/** Parent directory of a path built by this module (always '/'-separated). */
export function parentDir(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/**
 * A name must map to exactly one file: besides the protocol rules, empty segments (`a//b`, `a/`)
 * would alias another name's file or a directory.
 */
export function validateObjPathName(objName: string): void {
  validateObjName(objName);
  if (objName.split('/').some((seg) => seg === '')) {
    throw new ErrInvalidObjName(`object name "${objName}" has an empty path segment`);
  }
}

/** Strips trailing slashes; a mountpath must be absolute so that every path here is too. */
export function normalizeMountpath(mpath: string): string {
  const p = mpath.replace(/\/+$/, '');
  if (!mpath.startsWith('/') || p === '') return '';
  return p;
}
