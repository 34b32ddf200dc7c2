// ActMsg, the AIS control envelope `{action, name, value}`, validated at the edge with ajv.
import { Ajv } from 'ajv';
import { ErrBadActMsg, ErrUnknownAction } from '../../protocol/errors.ts';

export interface ActMsg {
  action: string;
  name?: string;
  value?: unknown;
}

const validate = new Ajv().compile<ActMsg>({
  type: 'object',
  required: ['action'],
  properties: {
    action: { type: 'string', minLength: 1 },
    name: { type: 'string' },
    value: {},
  },
});

export function parseActMsg(body: unknown): ActMsg {
  if (body === undefined) throw new ErrBadActMsg('missing action message (expected JSON {"action": ...})');
  if (!validate(body)) {
    throw new ErrBadActMsg(`invalid action message: ${validate.errors?.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
  return body;
}

export function unknownAction(msg: ActMsg, where: string): never {
  throw new ErrUnknownAction(`invalid action "${msg.action}" for ${where}`);
}
