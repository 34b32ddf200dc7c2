// Exit reasons are Errors: anything else thrown (a string, a plain object) is wrapped once here.
import { inspect } from 'node:util';
import { ErrInternal } from '../../protocol/errors.ts';

export function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new ErrInternal(typeof reason === 'string' ? reason : inspect(reason));
}
