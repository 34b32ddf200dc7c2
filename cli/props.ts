// Bucket props (Bprops) as `ais bucket props show|set` handles them: flattened dotted keys one way,
// `k=v` pairs into a nested BpropsToSet the other way.
import { ErrInvalidArgument } from '../protocol/errors.ts';

export type PropValue = string | number | boolean;
export interface PropsTree {
  [key: string]: PropValue | PropsTree;
}

/** Bprops fields that are JSON numbers (cmn/api.go); everything else non-boolean travels as a string. */
export const BPROPS_NUMERIC_KEYS: ReadonlySet<string> = new Set([
  'mirror.copies',
  'mirror.burst_buffer',
  'ec.objsize_limit',
  'ec.data_slices',
  'ec.parity_slices',
  'ec.bundle_multiplier',
  'ec.burst_buffer',
  'lru.batch_size',
  'chunks.checkpoint_every',
  'chunks.flags',
  'extra.aws.max_pagesize',
  'rate_limit.backend.max_tokens',
  'rate_limit.backend.num_retries',
  'rate_limit.backend.per_op_max_tokens',
  'rate_limit.frontend.max_tokens',
  'rate_limit.frontend.burst_size',
]);

/** Nested JSON → sorted `[key, value]` rows with dotted keys (`checksum.type`, `xxhash2`). */
export function flattenProps(obj: unknown, prefix = ''): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (v: unknown, key: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0 && key !== '') rows.push([key, '-']);
      for (const [k, child] of entries) walk(child, key === '' ? k : `${key}.${k}`);
      return;
    }
    rows.push([key, v === undefined || v === null || v === '' ? '-' : Array.isArray(v) ? v.join(',') : String(v)]);
  };
  walk(obj, prefix);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return rows;
}

/** Rows of one section: `checksum` keeps `checksum.*` (and `checksum` itself). */
export function filterSection(rows: readonly [string, string][], section: string | undefined): [string, string][] {
  if (section === undefined || section === '') return [...rows];
  return rows.filter(([k]) => k === section || k.startsWith(`${section}.`));
}

/** `true`/`false` → boolean; digits on a numeric field → number; else the string as typed. */
export function typeValue(key: string, raw: string, numericKeys: ReadonlySet<string> = BPROPS_NUMERIC_KEYS): PropValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (numericKeys.has(key) && /^-?\d+$/.test(raw)) return Number(raw);
  return raw;
}

/**
 * Arguments of `bucket props set` → `[key, raw value]` pairs. Accepts `k=v k=v` and, as `ais` does,
 * `k v k v` (no `=` anywhere).
 */
export function parsePropPairs(args: readonly string[]): [string, string][] {
  if (args.length === 0) throw new ErrInvalidArgument('no properties to set: expected KEY=VALUE [KEY=VALUE...]');
  const pairs: [string, string][] = [];
  if (args.every((a) => !a.includes('='))) {
    if (args.length % 2 !== 0) throw new ErrInvalidArgument(`expected KEY VALUE pairs, got an odd number of arguments (${args.length})`);
    for (let i = 0; i < args.length; i += 2) pairs.push([args[i]!, args[i + 1]!]);
  } else {
    for (const a of args) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new ErrInvalidArgument(`invalid property "${a}": expected KEY=VALUE`);
      pairs.push([a.slice(0, eq), a.slice(eq + 1)]);
    }
  }
  for (const [k] of pairs) {
    if (!/^[a-z0-9_]+(\.[a-z0-9_]+)*$/i.test(k)) throw new ErrInvalidArgument(`invalid property name "${k}"`);
  }
  return pairs;
}

/** Dotted `[key, raw]` pairs → the nested `value` of a `set-bprops` ActMsg. */
export function buildPropsValue(pairs: readonly [string, string][], numericKeys: ReadonlySet<string> = BPROPS_NUMERIC_KEYS): PropsTree {
  const root: PropsTree = {};
  for (const [key, raw] of pairs) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined) {
        const child: PropsTree = {};
        node[part] = child;
        node = child;
      } else if (typeof next === 'object') {
        node = next;
      } else {
        throw new ErrInvalidArgument(`property "${key}" conflicts with "${parts.slice(0, parts.indexOf(part) + 1).join('.')}"`);
      }
    }
    const leaf = parts[parts.length - 1]!;
    if (typeof node[leaf] === 'object') throw new ErrInvalidArgument(`property "${key}" is a section, not a value`);
    node[leaf] = typeValue(key, raw, numericKeys);
  }
  return root;
}
