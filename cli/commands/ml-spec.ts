// The GetBatch request as `ais ml get-batch` builds it (cmd/cli/cli/ml.go, spec.go, api/ml.go): a
// MossReq from a JSON or YAML spec (inline, a file, or stdin), names from the command line, the
// output format from the destination's extension, and the default bucket filled into every item.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import type { MossIn, MossOut, MossReq } from '../../protocol/moss.ts';
import { expandTemplate, parseBashTemplate, templateCount } from '../../protocol/template.ts';
import { bckString, type BckRef } from '../args.ts';

/** AIS `maxSpecSize`: a spec is a request body, not a data set. */
export const SPEC_BYTES_MAX = 1024 * 1024;
/** Names one `--list`/`--template` may produce; a batch this big belongs in a spec file. */
export const GET_BATCH_NAMES_MAX = 100_000;

/** Archive formats, longest suffix first (AIS archive.FileExtensions). */
export const ARCHIVE_EXTS = ['.tar.lz4', '.tar.gz', '.tgz', '.tar', '.zip'] as const;
export type ArchiveExt = (typeof ARCHIVE_EXTS)[number];

export type { MossIn, MossOut, MossReq, MossResp } from '../../protocol/moss.ts';

const REQ_KEYS: Record<string, 'string' | 'boolean' | 'integer' | 'array'> = { mime: 'string', in: 'array', coer: 'boolean', onob: 'boolean', strm: 'boolean', coloc: 'integer' };
const IN_KEYS: Record<string, 'string' | 'integer'> = {
  objname: 'string',
  bucket: 'string',
  provider: 'string',
  uname: 'string',
  archpath: 'string',
  opaque: 'string',
  start: 'integer',
  length: 'integer',
};

function checkType(v: unknown, type: 'string' | 'boolean' | 'integer' | 'array', where: string): void {
  const ok = type === 'integer' ? Number.isSafeInteger(v) : type === 'array' ? Array.isArray(v) : typeof v === type;
  if (!ok) throw new ErrInvalidArgument(`invalid spec: ${where} must be ${type === 'integer' ? 'an integer' : `a ${type}`}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Shape check, strict as AIS (`DisallowUnknownFields`): unknown keys and wrong types are usage errors
 * here, before anything is sent. Semantics (range forms, mime values) are the cluster's to judge.
 */
export function validateSpec(raw: unknown): MossReq {
  if (!isRecord(raw)) throw new ErrInvalidArgument('invalid spec: expected a MossReq object such as {"in": [{"objname": "a", "bucket": "b"}]}');
  for (const [k, v] of Object.entries(raw)) {
    const type = REQ_KEYS[k];
    if (type === undefined) throw new ErrInvalidArgument(`invalid spec: unknown field "${k}" (expected ${Object.keys(REQ_KEYS).join(', ')})`);
    checkType(v, type, `"${k}"`);
  }
  const items = (raw['in'] ?? []) as unknown[];
  items.forEach((item, i) => {
    if (!isRecord(item)) throw new ErrInvalidArgument(`invalid spec: in[${i}] must be an object with "objname"`);
    for (const [k, v] of Object.entries(item)) {
      const type = IN_KEYS[k];
      if (type === undefined) throw new ErrInvalidArgument(`invalid spec: in[${i}]: unknown field "${k}" (expected ${Object.keys(IN_KEYS).join(', ')})`);
      checkType(v, type, `in[${i}].${k}`);
    }
    if (typeof item['objname'] !== 'string' || item['objname'] === '') throw new ErrInvalidArgument(`invalid spec: in[${i}] has no "objname"`);
  });
  return { ...(raw as Omit<MossReq, 'in'>), in: items as MossIn[] };
}

/** As AIS `isInlineSpec`: `-` is stdin; text starting with `{` (JSON) or `-` (a YAML list) is the spec itself. */
export function isInlineSpec(arg: string): boolean {
  if (arg === '-') return false;
  const t = arg.trim();
  return t.startsWith('{') || t.startsWith('-') || t.includes('\n');
}

/** JSON when it looks like JSON or the file says so; otherwise YAML (a superset of JSON). */
export function parseSpec(text: string, ext = ''): MossReq {
  const t = text.trim();
  const json = t.startsWith('{') || t.startsWith('[') || ['.json', '.jsonc', '.js'].includes(ext.toLowerCase());
  let raw: unknown;
  try {
    raw = json ? JSON.parse(t) : parseYaml(t);
  } catch (err) {
    throw new ErrInvalidArgument(`invalid spec: cannot parse ${json ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  return validateSpec(raw);
}

async function readBounded(chunks: AsyncIterable<Buffer | string>, what: string): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of chunks) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    n += b.length;
    if (n > SPEC_BYTES_MAX) throw new ErrInvalidArgument(`${what} too big (max ${SPEC_BYTES_MAX} bytes)`);
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** `--spec` value → the spec's text and the extension of its file ('' inline or stdin). */
export async function loadSpecText(arg: string, stdin: AsyncIterable<Buffer | string>): Promise<{ text: string; ext: string }> {
  if (isInlineSpec(arg)) return { text: arg, ext: '' };
  if (arg === '-') return { text: await readBounded(stdin, 'spec on stdin'), ext: '' };
  let data: Buffer;
  try {
    data = await readFile(arg);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') throw new ErrInvalidArgument(`spec file "${arg}" does not exist (an inline spec starts with "{")`);
    throw err;
  }
  if (data.length > SPEC_BYTES_MAX) throw new ErrInvalidArgument(`spec file "${arg}" too big (max ${SPEC_BYTES_MAX} bytes)`);
  const dot = arg.lastIndexOf('.');
  return { text: data.toString('utf8'), ext: dot > arg.lastIndexOf('/') ? arg.slice(dot) : '' };
}

/** The archive format a file name asks for; undefined for stdout (`-`). */
export function mimeFromOutName(out: string): ArchiveExt | undefined {
  if (out === '-') return undefined;
  const lower = out.toLowerCase();
  const ext = ARCHIVE_EXTS.find((e) => lower.endsWith(e));
  if (ext === undefined) throw new ErrInvalidArgument(`"${out}": unknown archive extension; expected one of ${[...ARCHIVE_EXTS].reverse().join(', ')} (or "-" for stdout)`);
  return ext;
}

/** The same format spelled two ways (`tgz` vs `.tar.gz`) is no conflict. */
function sameFormat(a: string, b: string): boolean {
  const canon = (m: string): string => (m.replace(/^\./, '').toLowerCase() === 'tgz' ? 'tar.gz' : m.replace(/^\./, '').toLowerCase());
  return canon(a) === canon(b);
}

/** `shard.tar/dir/file.jpg` → object `shard.tar` + archpath `dir/file.jpg` (AIS archive.SplitAtExtension). */
export function splitArchivePath(name: string): { objname: string; archpath?: string } {
  let best = -1;
  let bestExt = '';
  for (const ext of ARCHIVE_EXTS) {
    const i = name.indexOf(`${ext}/`);
    if (i > 0 && (best < 0 || i < best || (i === best && ext.length > bestExt.length))) {
      best = i;
      bestExt = ext;
    }
  }
  if (best < 0) return { objname: name };
  const archpath = name.slice(best + bestExt.length + 1);
  return archpath === '' ? { objname: name.slice(0, best + bestExt.length) } : { objname: name.slice(0, best + bestExt.length), archpath };
}

/** `--list "a, b,c"`, `--template "x-{0..9}"`, or the object part of `BUCKET/NAME`. */
export function commandLineNames(opts: { list?: string; template?: string; objName?: string }): string[] {
  if (opts.list !== undefined) {
    const names = opts.list.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (names.length === 0) throw new ErrInvalidArgument('--list: no names');
    if (names.length > GET_BATCH_NAMES_MAX) throw new ErrInvalidArgument(`--list: more than ${GET_BATCH_NAMES_MAX} names; use --spec`);
    return names;
  }
  const tmpl = opts.template ?? (opts.objName !== undefined && /\{\d+\.\.\d+/.test(opts.objName) ? opts.objName : undefined);
  if (tmpl !== undefined) {
    const t = parseBashTemplate(tmpl);
    const n = templateCount(t);
    if (n > GET_BATCH_NAMES_MAX) throw new ErrInvalidArgument(`template "${tmpl}" expands to ${n} names, more than ${GET_BATCH_NAMES_MAX}; use --spec`);
    return [...expandTemplate(t)];
  }
  return opts.objName === undefined || opts.objName === '' ? [] : [opts.objName];
}

export interface BuildOptions {
  spec?: MossReq;
  /** The BUCKET argument: the default for items that name none. */
  bck?: BckRef;
  names: readonly string[];
  /** From the destination's extension; wins over the spec's `mime`, as in `ais`. */
  outMime?: ArchiveExt;
  coer?: boolean;
  onob?: boolean;
  streaming?: boolean;
}

export interface BuiltReq {
  req: MossReq;
  warnings: string[];
}

/**
 * The request to send. Command-line flags only turn options on (a spec's `true` stays). Every item
 * gets its bucket explicitly, as AIS `api._bucket` does, so the designated target never guesses.
 */
export function buildMossReq(o: BuildOptions): BuiltReq {
  const warnings: string[] = [];
  const spec = o.spec ?? { in: [] };
  const req: MossReq = { ...spec, in: spec.in.map((x) => ({ ...x })) };
  if (o.names.length > 0) {
    if (req.in.length > 0) warnings.push(`adding ${o.names.length} command-line name${o.names.length === 1 ? '' : 's'} to the ${req.in.length} of the spec`);
    for (const n of o.names) req.in.push(splitArchivePath(n));
  }
  if (req.in.length === 0) throw new ErrInvalidArgument('empty get-batch request: name objects with --spec, --list, --template or BUCKET/NAME');
  if (o.outMime !== undefined) {
    if (req.mime !== undefined && req.mime !== '' && !sameFormat(req.mime, o.outMime)) {
      warnings.push(`output format ${o.outMime} in the command line takes precedence (over --spec "mime": "${req.mime}")`);
    }
    req.mime = o.outMime;
  }
  if (o.coer) req.coer = true;
  if (o.onob) req.onob = true;
  if (o.streaming) req.strm = true;
  req.in.forEach((item, i) => {
    if (item.uname !== undefined && item.uname !== '') return;
    if (item.bucket !== undefined && item.bucket !== '') return;
    if (o.bck === undefined) throw new ErrInvalidArgument(`missing bucket for in[${i}] "${item.objname}": give it a "bucket", or a default BUCKET argument`);
    item.bucket = o.bck.name;
    item.provider = o.bck.provider;
  });
  if (req.strm && req.mime !== undefined && sameFormat(req.mime, '.zip')) {
    // AIS api.GetBatchStream refuses too: a zip's central directory comes last.
    throw new ErrInvalidArgument('a .zip cannot be streamed: drop --streaming (or "strm") or pick .tar, .tgz, .tar.gz, .tar.lz4');
  }
  return { req, warnings };
}

/** `ais://b/o`, `b/o/archpath` of one MossOut, as the summary prints it. */
export function moutName(o: MossOut): string {
  const bck = o.bucket === '' ? '' : `${bckString({ name: o.bucket, provider: o.provider === '' ? 'ais' : o.provider })}/`;
  return `${bck}${o.objname}${o.archpath ? `/${o.archpath}` : ''}`;
}
