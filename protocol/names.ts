// Name rules for buckets (AIS cmn.ValidateBckName) and objects (must stay inside the bucket).
import { ErrInvalidBckName, ErrInvalidObjName } from './errors.ts';

export const BCK_NAME_LEN_MAX = 64;
export const OBJ_NAME_LEN_MAX = 1024;
const BCK_NAME_RE = /^[A-Za-z0-9_.-]+$/;

export function validateBckName(name: string): void {
  if (name === '') throw new ErrInvalidBckName('bucket name is empty');
  if (Buffer.byteLength(name) > BCK_NAME_LEN_MAX) {
    throw new ErrInvalidBckName(`bucket name "${name}" is too long (max ${BCK_NAME_LEN_MAX} bytes)`);
  }
  if (!BCK_NAME_RE.test(name) || name.includes('..')) {
    throw new ErrInvalidBckName(
      `bucket name "${name}" is invalid: may only contain letters, numbers, dashes (-), underscores (_), and dots (.)`,
    );
  }
  if (name.startsWith('.')) throw new ErrInvalidBckName(`bucket name "${name}" is invalid: a leading dot is reserved for system buckets`);
}

export function validateObjName(name: string): void {
  if (name === '') throw new ErrInvalidObjName('object name is empty');
  if (Buffer.byteLength(name) > OBJ_NAME_LEN_MAX) throw new ErrInvalidObjName(`object name is too long (max ${OBJ_NAME_LEN_MAX} bytes)`);
  if (name.includes('\0')) throw new ErrInvalidObjName('object name contains NUL');
  if (name.startsWith('/')) throw new ErrInvalidObjName(`object name "${name}" is an absolute path`);
  for (const seg of name.split('/')) {
    if (seg === '..' || seg === '.') throw new ErrInvalidObjName(`object name "${name}" escapes its bucket ("${seg}" segment)`);
  }
}
