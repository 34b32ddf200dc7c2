// Bucket property changes (set-bprops / reset-bprops / create-bck with props): validated with ajv at the
// edge, then merged into the current Bprops.
import { Ajv } from 'ajv';
import type { Bprops } from '../../protocol/bmd.ts';
import { CKSUM_TYPES } from '../../protocol/apc.ts';
import { ErrInvalidArgument } from '../../protocol/errors.ts';

export const BPROPS_CUSTOM_LEN_MAX = 128;

/** BpropsToSet: every field optional; unknown keys are refused (AIS: "unknown property"). */
const bpropsToSetSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    force: { type: 'boolean' },
    access: { type: 'string', pattern: '^[0-9]+$' },
    features: { type: 'string', pattern: '^[0-9]+$' },
    checksum: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: [...CKSUM_TYPES] },
        validate_cold_get: { type: 'boolean' },
        validate_warm_get: { type: 'boolean' },
        validate_obj_move: { type: 'boolean' },
        enable_read_range: { type: 'boolean' },
      },
    },
    versioning: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, validate_warm_get: { type: 'boolean' }, synchronize: { type: 'boolean' } },
    },
    mirror: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, copies: { type: 'integer', minimum: 1, maximum: 32 }, burst_buffer: { type: 'integer', minimum: 0 } },
    },
    lru: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, dont_evict_time: { type: 'string' }, capacity_upd_time: { type: 'string' } },
    },
    write_policy: {
      type: 'object',
      additionalProperties: false,
      properties: { data: { type: 'string', enum: ['immediate', 'delayed', 'never', ''] }, md: { type: 'string', enum: ['immediate', 'delayed', 'never', ''] } },
    },
    extra: {
      type: 'object',
      additionalProperties: false,
      properties: { custom: { type: 'string' } },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(bpropsToSetSchema);

export type BpropsToSet = {
  force?: boolean;
  access?: string;
  features?: string;
  checksum?: Partial<Bprops['checksum']>;
  versioning?: Partial<Bprops['versioning']>;
  mirror?: Partial<Bprops['mirror']>;
  lru?: Partial<Bprops['lru']>;
  write_policy?: Partial<Bprops['write_policy']>;
  extra?: { custom?: string };
};

export function parseBpropsToSet(value: unknown): BpropsToSet {
  if (value === undefined || value === null) return {};
  if (!validate(value)) {
    const why = (validate.errors ?? []).map((e) => {
      const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
      return `${e.instancePath || '/'} ${e.message ?? ''}${extra}`;
    });
    throw new ErrInvalidArgument(`invalid bucket properties: ${why.join('; ')}`);
  }
  const v = value as BpropsToSet;
  const custom = v.extra?.custom;
  if (custom !== undefined) {
    if (custom.length > BPROPS_CUSTOM_LEN_MAX) {
      throw new ErrInvalidArgument(`invalid bucket properties: extra.custom is too long (${custom.length} > ${BPROPS_CUSTOM_LEN_MAX} characters)`);
    }
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(custom)) throw new ErrInvalidArgument('invalid bucket properties: extra.custom contains control characters');
  }
  return v;
}

export function mergeBprops(cur: Bprops, set: BpropsToSet): Bprops {
  return {
    ...cur,
    access: set.access ?? cur.access,
    features: set.features ?? cur.features,
    checksum: { ...cur.checksum, ...set.checksum },
    versioning: { ...cur.versioning, ...set.versioning },
    mirror: { ...cur.mirror, ...set.mirror },
    lru: { ...cur.lru, ...set.lru },
    write_policy: {
      data: set.write_policy?.data || cur.write_policy.data,
      md: set.write_policy?.md || cur.write_policy.md,
    },
    extra: { ...cur.extra, ...set.extra },
  };
}
