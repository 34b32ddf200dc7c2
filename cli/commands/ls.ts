// `shoal ls [B[/PREFIX]]`, as `ais ls`: buckets without an argument, else the objects, page by page.
import type { Command } from 'commander';
import { EntryFlag, LIST_PAGE_SIZE_MAX, LsFlag, LsoProps } from '../../protocol/apc.ts';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import type { LsoEnt, LsoMsg } from '../../protocol/lso.ts';
import { parseBckObj, parseNonNegInt } from '../args.ts';
import type { CliContext } from '../context.ts';
import { formatSize, renderTable } from '../format.ts';
import { listBuckets } from './bucket.ts';

/** Upper bound on pages of one listing, so a server that keeps returning a token cannot loop us forever. */
export const LIST_PAGES_MAX = 1_000_000;

export interface LsOptions {
  prefix?: string;
  nr?: boolean;
  noDirs?: boolean;
  props?: string;
  pageSize?: string;
  limit?: string;
  nameOnly?: boolean;
}

/** Column headers `ais ls` prints for each prop. */
const PROP_HEADERS: Record<string, string> = {
  name: 'NAME',
  size: 'SIZE',
  version: 'VERSION',
  checksum: 'CHECKSUM',
  atime: 'ATIME',
  cached: 'CACHED',
  status: 'STATUS',
  copies: 'COPIES',
  custom: 'CUSTOM',
  location: 'LOCATION',
  chunked: 'CHUNKED',
  ec: 'EC',
  'last-modified': 'LAST-MODIFIED',
  etag: 'ETAG',
};

const ENTRY_STATUS = ['ok', 'misplaced', 'misplaced', 'copy', 'copy-no-main'] as const;

/** `--props` → the list sent and shown; `name` always first. */
export function lsProps(opt: string | undefined, nameOnly: boolean): string[] {
  if (nameOnly) return ['name'];
  if (opt === undefined || opt === '') return ['name', 'size'];
  const requested = opt === 'all' ? [...LsoProps] : opt.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of requested) {
    if (!(LsoProps as readonly string[]).includes(p)) throw new ErrInvalidArgument(`unknown property "${p}" (valid: ${LsoProps.join(', ')}, or all)`);
  }
  return ['name', ...requested.filter((p) => p !== 'name')];
}

export function lsFlags(opts: LsOptions): string {
  let flags = 0n;
  if (opts.nr) flags |= LsFlag.noRecursion;
  if (opts.noDirs) flags |= LsFlag.noDirs;
  if (opts.nameOnly) flags |= LsFlag.nameOnly;
  return String(flags);
}

/** One table cell of an entry; directories get a trailing `/`, as `ais ls --nr`. */
export function entryCell(e: LsoEnt, prop: string): string {
  const isDir = ((e.flags ?? 0) & EntryFlag.isDir) !== 0;
  switch (prop) {
    case 'name':
      return isDir && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    case 'size':
      return isDir || e.size === undefined || e.size === '' ? '' : formatSize(e.size);
    case 'checksum':
      return e.checksum || '-';
    case 'atime':
      return e.atime || '-';
    case 'version':
      return e.version || '-';
    case 'custom':
      return e['custom-md'] || '-';
    case 'location':
      return e.location || '-';
    case 'copies':
      return e.copies === undefined ? '-' : String(e.copies);
    case 'cached':
      return ((e.flags ?? 0) & EntryFlag.isCached) !== 0 ? 'yes' : 'no';
    case 'status':
      return isDir ? '' : (ENTRY_STATUS[(e.flags ?? 0) & EntryFlag.statusMask] ?? 'unknown');
    case 'chunked':
      return ((e.flags ?? 0) & EntryFlag.isChunked) !== 0 ? 'yes' : 'no';
    default:
      return '-';
  }
}

export function registerLs(program: Command, ctx: CliContext): void {
  program
    .command('ls')
    .description('list buckets, or the objects of a bucket (B[/PREFIX])')
    .argument('[bucket]', 'ais://B[/PREFIX]; none lists buckets')
    .option('--prefix <prefix>', 'list objects whose names start with PREFIX')
    .option('--nr', 'non-recursive: only the top level under the prefix, directories as DIR/')
    .option('--no-dirs', 'with --nr, omit directories')
    .option('--props <list>', `comma list of ${LsoProps.join(',')}, or all`)
    .option('--page-size <n>', `max entries per page (0 = server default, max ${LIST_PAGE_SIZE_MAX})`)
    .option('--limit <n>', 'stop after N entries (0 = no limit)')
    .option('--name-only', 'names only (fastest)')
    .action(async (arg: string | undefined, raw: LsOptions & { dirs?: boolean }) => {
      const opts: LsOptions = { ...raw, noDirs: raw.dirs === false };
      if (arg === undefined || /^[a-z0-9]*:(\/\/)?$/i.test(arg)) {
        await listBuckets(ctx, arg);
        return;
      }
      await listObjects(ctx, arg, opts);
    });
}

async function listObjects(ctx: CliContext, arg: string, opts: LsOptions): Promise<void> {
  const { bck, objName } = parseBckObj(arg);
  if (opts.prefix !== undefined && objName !== '' && opts.prefix !== objName) {
    throw new ErrInvalidArgument(`prefix given twice: "${objName}" in the bucket argument and --prefix "${opts.prefix}"`);
  }
  const prefix = opts.prefix ?? objName;
  const limit = opts.limit === undefined ? 0 : parseNonNegInt(opts.limit, '--limit');
  let pageSize = opts.pageSize === undefined ? 0 : parseNonNegInt(opts.pageSize, '--page-size');
  if (pageSize > LIST_PAGE_SIZE_MAX) throw new ErrInvalidArgument(`--page-size ${pageSize} exceeds the maximum ${LIST_PAGE_SIZE_MAX}`);
  if (limit > 0 && (pageSize === 0 || pageSize > limit)) pageSize = Math.min(limit, LIST_PAGE_SIZE_MAX);
  const props = lsProps(opts.props, opts.nameOnly === true);

  const msg: LsoMsg = { props: props.join(','), prefix, pagesize: pageSize, flags: lsFlags(opts), continuation_token: '' };
  const entries: LsoEnt[] = [];
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const res = await ctx.client().listObjectsPage(bck, msg);
    for (const e of res.entries ?? []) {
      if (limit > 0 && entries.length >= limit) break;
      entries.push(e);
    }
    msg.uuid = res.uuid;
    msg.continuation_token = res.continuation_token ?? '';
    if (msg.continuation_token === '' || (limit > 0 && entries.length >= limit)) break;
  }
  if (entries.length === 0) {
    ctx.out(prefix === '' ? `No objects in ${bck.provider}://${bck.name}\n` : `No objects in ${bck.provider}://${bck.name} matching prefix "${prefix}"\n`);
    return;
  }
  if (opts.nameOnly) {
    ctx.out(renderTable(['NAME'], entries.map((e) => [entryCell(e, 'name')])));
    return;
  }
  ctx.out(renderTable(props.map((p) => PROP_HEADERS[p] ?? p.toUpperCase()), entries.map((e) => props.map((p) => entryCell(e, p)))));
}
