// `shoal rm B/OBJ...`, `shoal object show B/OBJ`, and the `object` group (`object put|get|rm|show`).
import type { Command } from 'commander';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { bckString, parseObj } from '../args.ts';
import type { ObjectProps } from '../client.ts';
import type { CliContext } from '../context.ts';
import { formatSize, formatUnixNs, renderTable } from '../format.ts';
import { registerGet } from './get.ts';
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

function addRm(parent: Command, ctx: CliContext, name: string): void {
  parent
    .command(name)
    .description('delete objects')
    .argument('<objects...>', 'B/OBJ ...')
    .action(async (args: string[]) => {
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
