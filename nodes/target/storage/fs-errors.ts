// Maps filesystem errno codes to Shoal errors: a full disk is a 507, a name the filesystem cannot
// hold is a 400, a file/directory clash between object names is a 409; the rest stays as is (500).
import { ErrConflict, ErrInvalidObjName, ErrOutOfSpace } from '../../../protocol/errors.ts';
import type { DirEntry, Env } from '../../../runtime/env/types.ts';

export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function mapFsError(err: unknown, objName: string): unknown {
  switch (errnoOf(err)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new ErrOutOfSpace(`no space left to store "${objName}"`);
    case 'ENAMETOOLONG':
      return new ErrInvalidObjName(`object name "${objName}" has a path segment too long for the filesystem`);
    case 'EISDIR':
    case 'ENOTEMPTY':
    case 'EEXIST':
      return new ErrConflict(`cannot store "${objName}": other objects are stored under "${objName}/"`);
    case 'ENOTDIR':
      return new ErrConflict(`cannot store "${objName}": a parent path of it is an object`);
    default:
      return err;
  }
}

/** A directory's entries; none when it (or a parent) does not exist. */
export async function readdirOrEmpty(env: Env, path: string): Promise<DirEntry[]> {
  try {
    return await env.disk.readdir(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return [];
    throw err;
  }
}
