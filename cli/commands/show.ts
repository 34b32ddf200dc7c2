// `shoal show cluster [smap|bmd|proxy|target|NODE]`, as `ais show cluster`.
import type { Command } from 'commander';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { SnodeFlag, type Smap, type Snode } from '../../protocol/smap.ts';
import type { CliContext } from '../context.ts';
import { renderTable } from '../format.ts';
import { registerShowJob } from './job.ts';
import { registerShowRebalance } from './rebalance.ts';

const FLAG_NAMES: [number, string][] = [
  [SnodeFlag.nonElectable, 'non-electable'],
  [SnodeFlag.ic, 'ic'],
  [SnodeFlag.maint, 'maintenance'],
  [SnodeFlag.decomm, 'decommission'],
  [SnodeFlag.maintPostReb, 'maintenance-post-rebalance'],
];

export function nodeFlags(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
  return names.length === 0 ? '-' : names.join(',');
}

export type NodeStatus = 'online' | 'maintenance' | 'decommissioning';

/** What the Smap flags say about a node (AIS teb.FmtNodeStatus); decommission wins over maintenance. */
export function nodeStatus(flags: number): NodeStatus {
  if ((flags & SnodeFlag.decomm) !== 0) return 'decommissioning';
  if ((flags & SnodeFlag.maint) !== 0) return 'maintenance';
  return 'online';
}

/** `p[ID][P]` for the primary proxy, `p[ID]`, `t[ID]`, as `ais` names nodes. */
export function nodeName(n: Snode, primaryId: string): string {
  const prefix = n.daemon_type === 'proxy' ? 'p' : 't';
  return `${prefix}[${n.daemon_id}]${n.daemon_id === primaryId ? '[P]' : ''}`;
}

/** Proxies then targets, each sorted by id. */
export function renderSmap(smap: Smap, only?: 'proxy' | 'target'): string {
  const primary = smap.proxy_si?.daemon_id ?? '';
  const byId = (a: Snode, b: Snode): number => (a.daemon_id < b.daemon_id ? -1 : 1);
  const nodes = [
    ...(only === 'target' ? [] : Object.values(smap.pmap).sort(byId)),
    ...(only === 'proxy' ? [] : Object.values(smap.tmap).sort(byId)),
  ];
  const table = renderTable(
    ['NODE', 'TYPE', 'STATUS', 'PUBLIC URL', 'FLAGS'],
    nodes.map((n) => [nodeName(n, primary), n.daemon_type, nodeStatus(n.flags ?? 0), n.public_net?.direct_url ?? '-', nodeFlags(n.flags ?? 0)]),
  );
  const summary =
    `\nPrimary proxy: ${primary}\n` +
    `Proxies: ${Object.keys(smap.pmap).length}\tTargets: ${Object.keys(smap.tmap).length}\tCluster map version: ${smap.version}\n` +
    `Cluster UUID: ${smap.uuid}\n`;
  return table + summary;
}

export function registerShow(program: Command, ctx: CliContext): void {
  const show = program.command('show').description('show cluster state');
  show
    .command('cluster')
    .description('show the cluster map (proxies and targets), or: smap | bmd | proxy | target | NODE_ID')
    .argument('[what]', 'smap, bmd, proxy, target, or a node id')
    .option('--json', 'print as JSON')
    .action(async (what: string | undefined, opts: { json?: boolean }) => {
      if (what === 'bmd' || what === 'config') {
        const v = await ctx.client().clusterWhat(what === 'bmd' ? 'bmd' : 'cluster_config');
        ctx.out(JSON.stringify(v, null, 2) + '\n');
        return;
      }
      const smap = await ctx.client().smap();
      if (opts.json) {
        ctx.out(JSON.stringify(smap, null, 2) + '\n');
        return;
      }
      if (what === undefined || what === 'smap') {
        ctx.out(renderSmap(smap));
        return;
      }
      if (what === 'proxy' || what === 'target') {
        ctx.out(renderSmap(smap, what));
        return;
      }
      const id = what.replace(/^[pt]\[(.*)\]$/, '$1');
      const node = smap.pmap[id] ?? smap.tmap[id];
      if (node === undefined) throw new ErrInvalidArgument(`node "${what}" is not in the cluster map (version ${smap.version})`);
      ctx.out(JSON.stringify(node, null, 2) + '\n');
    });
  registerShowJob(show, ctx);
  registerShowRebalance(show, ctx);
}
