// `shoal storage mountpath show|attach|detach|enable|disable` (AIS `ais storage mountpath ...`): a
// target's mountpaths through the proxy's `/v1/reverse/daemon` + `Ais-Node-Id`; and the start of a
// resilver on one target (`shoal job start resilver t[ID]`).
import type { Command } from 'commander';
import { ErrInvalidArgument, ErrRemote } from '../../protocol/errors.ts';
import type { AisClient } from '../client.ts';
import type { CliContext } from '../context.ts';
import { renderTable } from '../format.ts';

/** AIS apc.MountpathList. */
export interface MountpathList {
  available: string[] | null;
  waiting_dd: string[] | null;
  disabled: string[] | null;
}

const MPATH_ACTIONS = {
  attach: { action: 'attach-mp', method: 'PUT', done: 'attached' },
  detach: { action: 'detach-mp', method: 'DELETE', done: 'detached' },
  enable: { action: 'enable-mp', method: 'POST', done: 'enabled' },
  disable: { action: 'disable-mp', method: 'POST', done: 'disabled' },
} as const;
type MpathVerb = keyof typeof MPATH_ACTIONS;

/** `t[ID]` or a bare `ID` → ID; a proxy (`p[ID]`) has no mountpaths. */
export function parseTargetArg(arg: string): string {
  const m = /^([tp])\[([^\]]+)\]$/.exec(arg);
  if (m) {
    if (m[1] === 'p') throw new ErrInvalidArgument(`"${arg}" is a proxy: only targets have mountpaths`);
    return m[2]!;
  }
  if (arg === '' || /[[\]=]/.test(arg)) throw new ErrInvalidArgument(`invalid target "${arg}": expected t[ID] or ID`);
  return arg;
}

/** `t[ID]=/path` or `ID=/path` (AIS CLI syntax) → target id and mountpath. */
export function parseMpathArg(arg: string): { tid: string; mpath: string } {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw new ErrInvalidArgument(`invalid argument "${arg}": expected t[ID]=/path (e.g. t[xyz]=/data)`);
  return { tid: parseTargetArg(arg.slice(0, eq)), mpath: arg.slice(eq + 1) };
}

function reverseUrl(c: AisClient, sub: string[], query: Record<string, string> = {}): URL {
  return c.url(['reverse', 'daemon', ...sub], query);
}

export async function getMountpaths(c: AisClient, tid: string): Promise<MountpathList> {
  const r = await c.act('GET', reverseUrl(c, [], { what: 'mountpaths' }), undefined, { 'ais-node-id': tid });
  return JSON.parse(r.text) as MountpathList;
}

/** One mountpath action on one target; 204 (nothing to do) is `false`. */
export async function mpathAction(c: AisClient, verb: MpathVerb, tid: string, mpath: string, opts: { noResilver?: boolean; label?: string }): Promise<boolean> {
  const a = MPATH_ACTIONS[verb];
  const query: Record<string, string> = {};
  if (opts.noResilver) query['dntres'] = 'true';
  if (opts.label) query['mountpath_label'] = opts.label;
  const r = await c.act(a.method, reverseUrl(c, ['mountpaths'], query), { action: a.action, value: mpath }, { 'ais-node-id': tid });
  return r.status !== 204;
}

/** `PUT /v1/cluster {"action":"start","value":{"Kind":"resilver","DaemonID":tid}}` → xid. */
export async function startResilver(c: AisClient, tid: string): Promise<string> {
  const r = await c.act('PUT', c.url(['cluster']), { action: 'start', value: { Kind: 'resilver', DaemonID: tid } });
  const xid = r.text.trim();
  if (xid === '') throw new ErrRemote('ErrHTTP', 500, 'start resilver: the cluster returned no job id');
  return xid;
}

export function renderMountpaths(lists: [string, MountpathList][]): string {
  const rows: string[][] = [];
  for (const [tid, l] of lists) {
    for (const p of l.available ?? []) rows.push([`t[${tid}]`, p, 'available']);
    for (const p of l.waiting_dd ?? []) rows.push([`t[${tid}]`, p, 'waiting-dd']);
    for (const p of l.disabled ?? []) rows.push([`t[${tid}]`, p, 'disabled']);
  }
  return renderTable(['TARGET', 'MOUNTPATH', 'STATUS'], rows);
}

export function registerStorage(program: Command, ctx: CliContext): void {
  const storage = program.command('storage').description('target storage: mountpaths');
  const mp = storage.command('mountpath').description('show, attach, detach, enable, disable mountpaths');

  mp.command('show')
    .description('show the mountpaths of every target, or of one')
    .argument('[target]', 't[ID] or ID')
    .option('--json', 'print the AIS MountpathList of each target as JSON')
    .action(async (target: string | undefined, opts: { json?: boolean }) => {
      const c = ctx.client();
      const tids = target === undefined ? Object.keys((await c.smap()).tmap).sort() : [parseTargetArg(target)];
      const lists: [string, MountpathList][] = [];
      for (const tid of tids) lists.push([tid, await getMountpaths(c, tid)]);
      ctx.out(opts.json ? JSON.stringify(Object.fromEntries(lists), null, 2) + '\n' : renderMountpaths(lists));
    });

  for (const verb of Object.keys(MPATH_ACTIONS) as MpathVerb[]) {
    const cmd = mp
      .command(verb)
      .description(`${verb} a mountpath of a target (then resilver, unless --no-resilver)`)
      .argument('<target=mountpath>', 't[ID]=/path or ID=/path');
    if (verb === 'attach') cmd.option('--label <label>', 'mountpath label (AIS mountpath_label)');
    cmd.option('--no-resilver', 'do not resilver (detach/disable: objects on the mountpath are no longer served)');
    cmd.action(async (arg: string, opts: { resilver?: boolean; label?: string }) => {
      const { tid, mpath } = parseMpathArg(arg);
      const changed = await mpathAction(ctx.client(), verb, tid, mpath, { noResilver: opts.resilver === false, label: opts.label });
      ctx.out(changed ? `t[${tid}]: ${MPATH_ACTIONS[verb].done} mountpath ${mpath}\n` : `t[${tid}]: mountpath ${mpath} is already ${MPATH_ACTIONS[verb].done}\n`);
    });
  }
}
