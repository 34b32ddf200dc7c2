// The actor runtime's public API.
import type { Env } from '../env/types.ts';
import type { InspectBus } from './bus.ts';
import type { ActorContext } from './types.ts';

export * from './types.ts';
export * from './bus.ts';
export { MAILBOX_LENGTH_MAX, Mailbox, type MailboxOptions } from './mailbox.ts';
export { MachineActor, type MachineActorOptions, type Unsubscribe } from './machine-actor.ts';
export { Supervisor, type ChildInfo, type ChildStatus, type SupervisorOptions } from './supervisor.ts';
export { toError } from './errors.ts';

/** Context of a node's root supervisor: path `${nodeId}/root`, so children read `t[abc]/root/metasync`. */
export function rootContext(env: Env, nodeId: string, bus: InspectBus): ActorContext {
  const path = `${nodeId}/root`;
  return { env, path, log: env.log.child({ actor: path }), bus };
}
