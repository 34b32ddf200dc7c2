// `shoal rm B/OBJ...`, `shoal object show B/OBJ`, and the `object` group (`object put|get|rm|show`).
import type { Command } from 'commander';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { bckString, parseBck, parseObj } from '../args.ts';
import type { ObjectProps } from '../client.ts';
import type { CliContext } from '../context.ts';
import { formatSize, formatUnixNs, renderTable } from '../format.ts';
import { deleteListRange, waitJob, type ListRange } from '../job-api.ts';
import { registerGet } from './get.ts';
import { checkEnded, timeoutMs } from './job.ts';
import { registerPut } from './put.ts';

/** What `ais object show` prints by default. */
export const OBJECT_PROPS_DEFAULT = ['name', 'size', 'checksum', 'atime', 'version'] as const;
const OBJECT_PROPS_ALL = [...OBJECT_PROPS_DEFAULT, 'custom'] as const;

/** PROPERTY/VALUE rows of a HEAD reply; `all` adds custom metadata and every other `Ais-*` header. */
export function objectRows(fullName: string, p: ObjectProps, propsOpt: string | undefined): [string, string][] {
  const all = propsOpt === 'all';
  const wanted: readonly string[] =
    propsOpt === undefined || propsOpt === '' ? OBJECT_PROPS_DEFAULT : all ? OBJECT_PROPS_ALL : propsOpt.split(',').map((s) => s.trim());
  const rows: [string, string][] = [];
  for (const prop of wanted) {
    switch (prop) {
      case 'name':
        rows.push(['name', fullName]);
        break;
      case 'size':
        rows.push(['size', formatSize(p.size)]);
        break;
      case 'checksum':
        rows.push(['checksum', p.cksumType === undefined || p.cksumType === 'none' ? '-' : `${p.cksumType}[${p.cksumValue ?? ''}]`]);
        break;
      case 'atime':
        rows.push(['atime', p.atime === undefined ? '-' : formatUnixNs(p.atime)]);
        break;
      case 'version':
        rows.push(['version', p.version ?? '-']);
        break;
      case 'custom': {
        const kv = Object.entries(p.custom).map(([k, v]) => `${k}=${v}`);
        rows.push(['custom', kv.length === 0 ? '-' : kv.join(', ')]);
        break;
      }
      default: {
        const v = p.aisHeaders[`ais-${prop.replace(/[._]/g, '-')}`];
        if (v === undefined) throw new ErrInvalidArgument(`unknown object property "${prop}"`);
        rows.push([prop, v]);
      }
    }
  }
  if (all) {
    const shown = new Set(['ais-checksum-type', 'ais-checksum-value', 'ais-atime', 'ais-version', 'ais-custom-md', 'ais-name', 'ais-size']);
    for (const [k, v] of Object.entries(p.aisHeaders).sort()) {
      if (!shown.has(k)) rows.push([k.slice('ais-'.length).replace(/-/g, '_'), v]);
    }
  }
  return rows;
}

export interface RmOpts {
  template?: string;
  list?: string;
  wait?: boolean;
  timeout?: string;
}

/** `--template`/`--list` → the delete-listrange value; undefined for plain `rm B/OBJ...`. */
export function listRangeOf(opts: RmOpts): ListRange | undefined {
  if (opts.template !== undefined && opts.list !== undefined) throw new ErrInvalidArgument('--template and --list are mutually exclusive');
  if (opts.template !== undefined) {
    if (opts.template === '') throw new ErrInvalidArgument('--template must not be empty');
    return { template: opts.template };
  }
  if (opts.list !== undefined) {
    const objnames = opts.list.split(',').map((n) => n.trim()).filter((n) => n !== '');
    if (objnames.length === 0) throw new ErrInvalidArgument('--list must name at least one object');
    return { objnames };
  }
  return undefined;
}

function addRm(parent: Command, ctx: CliContext, name: string): void {
  parent
    .command(name)
    .description('delete objects: B/OBJ..., or B with --template "x-{000..099}" or --list a,b,c (a delete-listrange job)')
    .argument('<objects...>', 'B/OBJ ..., or one bucket with --template/--list')
    .option('--template <template>', 'bash-style range of names, e.g. "shard-{000..099}.tar" (or a prefix)')
    .option('--list <names>', 'comma-separated object names')
    .option('--wait', 'with --template/--list: wait for the job to finish')
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 30s)')
    .action(async (args: string[], opts: RmOpts) => {
      const lr = listRangeOf(opts);
      if (lr !== undefined) {
        if (args.length !== 1) throw new ErrInvalidArgument(`--template/--list take exactly one bucket, got ${args.length} arguments`);
        const bck = parseBck(args[0]!);
        const ms = timeoutMs(opts);
        const xid = await deleteListRange(ctx.client(), bck, lr);
        ctx.out(`deleting objects from ${bckString(bck)}: job ${xid}\n`);
        if (opts.wait) checkEnded(await waitJob(ctx.client(), xid, ms));
        return;
      }
      const objs = args.map(parseObj);
      for (const obj of objs) {
        await ctx.client().deleteObject(obj);
        ctx.out(`deleted "${obj.objName}" from ${bckString(obj.bck)}\n`);
      }
    });
}

function addShow(parent: Command, ctx: CliContext): void {
  parent
    .command('show')
    .description('show object properties')
    .argument('<object>', 'B/OBJ')
    .option('--props <list>', 'comma list of name,size,checksum,atime,version,custom, or all')
    .action(async (arg: string, opts: { props?: string }) => {
      const obj = parseObj(arg);
      const props = await ctx.client().headObject(obj);
      ctx.out(renderTable(['PROPERTY', 'VALUE'], objectRows(`${bckString(obj.bck)}/${obj.objName}`, props, opts.props)));
    });
}

export function registerObject(program: Command, ctx: CliContext): void {
  addRm(program, ctx, 'rm');
  addRm(program, ctx, 'rmo');
  const object = program.command('object').description('put, get, show, delete objects');
  registerPut(object, ctx);
  registerGet(object, ctx);
  addRm(object, ctx, 'rm');
  addShow(object, ctx);
}
