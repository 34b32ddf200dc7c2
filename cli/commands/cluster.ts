// `shoal cluster add-remove-nodes join|start-maintenance|stop-maintenance|shutdown|decommission`, as
// `ais cluster add-remove-nodes` (cmd/cli/cli/cluster_hdlr.go): one node per call, the rebalance id
// printed when the change started one.
import type { Command } from 'commander';
import { ErrInvalidArgument, ErrRemote } from '../../protocol/errors.ts';
import type { Smap } from '../../protocol/smap.ts';
import type { AisClient } from '../client.ts';
import type { CliContext } from '../context.ts';
import { nodeName } from './show.ts';

/** `PUT /v1/cluster` actions on one node (AIS apc.ActStartMaintenance, ...). */
export const NodeAction = {
  startMaintenance: 'start-maintenance',
  stopMaintenance: 'stop-maintenance',
  shutdownNode: 'shutdown-node',
  decommissionNode: 'decommission-node',
} as const;
export type NodeAction = (typeof NodeAction)[keyof typeof NodeAction];

/** AIS apc.ActValRmNode, as the server takes it. */
export interface RmNodeValue {
  sid: string;
  skip_rebalance: boolean;
  rm_user_data: boolean;
  no_shutdown: boolean;
}

export interface JoinResult {
  daemon_id: string;
  rebalance_id: string;
}

/** Node ids as nodes/config.ts accepts them. */
const NODE_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;

/** `t[ID]`, `p[ID]`, `p[ID][P]` (as `show cluster` prints the primary) or a bare `ID` → `ID`. */
export function parseNodeId(arg: string): string {
  const m = /^[pt]\[([^\]]*)\](\[P\])?$/.exec(arg.trim());
  const id = m ? m[1]! : arg.trim();
  if (!NODE_ID_RE.test(id)) throw new ErrInvalidArgument(`invalid node "${arg}": expected t[ID], p[ID] or a node ID`);
  return id;
}

export type NodeRole = 'proxy' | 'target';

/** `--role`: proxy|p, target|t (AIS roleFlag and its short forms). */
export function parseRole(value: string): NodeRole {
  switch (value) {
    case 'proxy':
    case 'p':
      return 'proxy';
    case 'target':
    case 't':
      return 'target';
    default:
      throw new ErrInvalidArgument(`invalid --role "${value}": must be one of "proxy" (or "p"), "target" (or "t")`);
  }
}

/**
 * The public URL of a node to join: `http://HOST:PORT` or `HOST:PORT` (AIS takes `IPv4:PORT`);
 * `localhost` becomes 127.0.0.1, as AIS does, so the URL matches what the node advertises.
 */
export function parseJoinUrl(arg: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(arg) ? arg : `http://${arg}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new ErrInvalidArgument(`invalid node address "${arg}": expected http://HOST:PORT or HOST:PORT`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ErrInvalidArgument(`invalid node address "${arg}": only http:// and https:// are supported`);
  // URL drops a default port (https://h:443 → ''), so look at what was typed
  const typedPort = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(withScheme)?.[1];
  if (typedPort === undefined) throw new ErrInvalidArgument(`invalid node address "${arg}": missing port (expected HOST:PORT)`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '' || u.username !== '') {
    throw new ErrInvalidArgument(`invalid node address "${arg}": expected only http://HOST:PORT`);
  }
  const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname;
  return `${u.protocol}//${host}:${u.port || typedPort}`;
}

export interface RmNodeOpts {
  skipRebalance?: boolean;
  noRebalance?: boolean;
  rmUserData?: boolean;
  noShutdown?: boolean;
}

export function rmNodeValue(sid: string, opts: RmNodeOpts): RmNodeValue {
  return {
    sid,
    skip_rebalance: opts.skipRebalance === true || opts.noRebalance === true,
    rm_user_data: opts.rmUserData === true,
    no_shutdown: opts.noShutdown === true,
  };
}

/** `PUT /v1/cluster {"action": A, "value": ActValRmNode}` → the rebalance id, '' when none started. */
export async function nodeAction(c: AisClient, action: NodeAction, value: RmNodeValue): Promise<string> {
  const r = await c.act('PUT', c.url(['cluster']), { action, value });
  return r.text.trim();
}

/** `POST /v1/cluster/join-by-admin` with a partial Snode; the node at `url` must be in standby. */
export async function joinByAdmin(c: AisClient, role: NodeRole, url: string): Promise<JoinResult> {
  const r = await c.act('POST', c.url(['cluster', 'join-by-admin']), { daemon_type: role, public_net: { direct_url: url } });
  let j: Partial<JoinResult>;
  try {
    j = JSON.parse(r.text) as Partial<JoinResult>;
  } catch {
    throw new ErrRemote('ErrHTTP', 500, `join-by-admin: unexpected reply "${r.text.slice(0, 200)}"`);
  }
  if (typeof j.daemon_id !== 'string' || j.daemon_id === '') throw new ErrRemote('ErrHTTP', 500, `join-by-admin: the reply carries no daemon_id: ${r.text.slice(0, 200)}`);
  return { daemon_id: j.daemon_id, rebalance_id: typeof j.rebalance_id === 'string' ? j.rebalance_id : '' };
}

/** The same words as AIS's fmtRebalanceStarted. */
export function rebalanceStartedLine(xid: string): string {
  return `Started rebalance "${xid}" (to monitor, run 'shoal show rebalance').\n`;
}

/** `t[ID]` / `p[ID]` when the node is in `smap`, else `ID` as given (the server has the last word). */
export function nodeSname(id: string, smap: Smap | undefined): string {
  const n = smap?.pmap[id] ?? smap?.tmap[id];
  return n === undefined ? id : nodeName(n, '');
}

/** What AIS prints after a successful node action (nodeMaintShutDecommHandler's report). */
export function nodeActionReport(action: NodeAction, sname: string, xid: string): string {
  const rebalancing = xid !== '';
  let out = rebalancing ? rebalanceStartedLine(xid) : '';
  switch (action) {
    case NodeAction.startMaintenance:
      out += `${sname} is now in maintenance mode\n`;
      break;
    case NodeAction.stopMaintenance:
      out += `${sname} is now active\n`;
      break;
    case NodeAction.decommissionNode:
      out += rebalancing
        ? `${sname} is being decommissioned, please wait for cluster rebalancing to finish...\n`
        : `${sname} has been decommissioned (permanently removed from the cluster)\n`;
      break;
    case NodeAction.shutdownNode:
      out += rebalancing ? `${sname} is shutting down, please wait for cluster rebalancing to finish\n` : `${sname} has been shut down\n`;
      out += `\nNote: the node ${sname} is _not_ decommissioned - it remains in the cluster map and can be manually\n`;
      out += `restarted at any later time (and subsequently activated via '${NodeAction.stopMaintenance}' operation).\n`;
      break;
  }
  return out;
}

async function smapOrUndefined(ctx: CliContext): Promise<Smap | undefined> {
  try {
    return await ctx.client().smap();
  } catch {
    return undefined; // only used to name the node; the action itself reports real errors
  }
}

async function runNodeAction(ctx: CliContext, action: NodeAction, arg: string, opts: RmNodeOpts): Promise<void> {
  const sid = parseNodeId(arg);
  const value = rmNodeValue(sid, opts);
  const smap = await smapOrUndefined(ctx);
  const sname = nodeSname(sid, smap);
  if (value.skip_rebalance && smap?.tmap[sid] !== undefined) {
    ctx.err(`Warning: executing "${action}" _and_ not running global rebalance may lead to a loss of data!\n`);
    ctx.err("To rebalance the cluster manually at a later time, run: 'shoal job start rebalance'\n");
  }
  const xid = await nodeAction(ctx.client(), action, value);
  ctx.out(nodeActionReport(action, sname, xid));
}

interface CommanderNodeOpts {
  skipRebalance?: boolean;
  rebalance?: boolean;
  shutdown?: boolean;
  rmUserData?: boolean;
}

const SKIP_REB_HELP = 'do not run global rebalance (may lose data: run `shoal job start rebalance` later)';

function addNodeCommand(parent: Command, ctx: CliContext, name: string, action: NodeAction, description: string, extra?: (cmd: Command) => void): void {
  const cmd = parent
    .command(name)
    .description(description)
    .argument('<node>', 't[ID], p[ID] or a node ID')
    .option('--skip-rebalance', SKIP_REB_HELP)
    .option('--no-rebalance', 'same as --skip-rebalance (AIS spelling)')
    // AIS asks for confirmation unless --yes; this CLI never prompts, so --yes is accepted and ignored.
    .option('-y, --yes', 'accepted for AIS compatibility (no prompts are shown)');
  extra?.(cmd);
  cmd.action(async (arg: string, opts: CommanderNodeOpts) => {
    await runNodeAction(ctx, action, arg, {
      skipRebalance: opts.skipRebalance,
      // commander turns `--no-X` into `X: false`
      noRebalance: opts.rebalance === false,
      noShutdown: opts.shutdown === false,
      rmUserData: opts.rmUserData,
    });
  });
}

export function registerCluster(program: Command, ctx: CliContext): void {
  const cluster = program.command('cluster').description('manage the cluster: add and remove nodes');
  const membership = cluster
    .command('add-remove-nodes')
    .description('manage cluster membership: add nodes, remove them temporarily or permanently');

  membership
    .command('join')
    .description('add a node that runs in standby mode to the cluster (join-by-admin)')
    .argument('<url>', 'public URL of the node: http://HOST:PORT or HOST:PORT')
    .option('--role <role>', 'role of the node: proxy or target', 'target')
    .action(async (arg: string, opts: { role: string }) => {
      const role = parseRole(opts.role);
      const url = parseJoinUrl(arg);
      const res = await joinByAdmin(ctx.client(), role, url);
      // the node may not be in the proxy's map yet: name it by the role it joined with
      const sname = `${role === 'proxy' ? 'p' : 't'}[${res.daemon_id}]`;
      ctx.out(`${sname} successfully joined the cluster\n`);
      if (res.rebalance_id !== '') ctx.out(rebalanceStartedLine(res.rebalance_id));
    });

  addNodeCommand(membership, ctx, 'start-maintenance', NodeAction.startMaintenance, 'put a node in maintenance mode (it stays in the cluster map; rebalance moves its data away)');
  addNodeCommand(membership, ctx, 'stop-maintenance', NodeAction.stopMaintenance, 'take a node out of maintenance mode (activate it)');
  addNodeCommand(membership, ctx, 'shutdown', NodeAction.shutdownNode, 'put a node in maintenance and stop its process (it stays in the cluster map)');
  addNodeCommand(membership, ctx, 'decommission', NodeAction.decommissionNode, 'permanently remove a node: rebalance its data away, then take it out of the cluster map', (cmd) => {
    cmd.option('--rm-user-data', 'also remove all user data from the node').option('--no-shutdown', 'do not stop the node process once it is removed');
  });
}
