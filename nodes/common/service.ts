// A long-lived node service (transport, cluster membership, HTTP frontend) as a supervised actor:
// its lifecycle is an xstate machine — starting → running → stopping → stopped, or failed — so a
// service that cannot start, or dies later, is reported to its supervisor, which restarts it.
import { assign, fromPromise, setup } from 'xstate';
import { MachineActor } from '../../runtime/actor/machine-actor.ts';
import type { ActorContext, Child, ChildSpec, RestartPolicy } from '../../runtime/actor/types.ts';

/** What a started service hands back: how to stop it. */
export interface ServiceHandle {
  stop(): Promise<void>;
}

export interface ServiceDef {
  id: string;
  restart?: RestartPolicy;
  /** Starts the service; `fail` reports a later crash (e.g. a listener error). */
  start(ctx: ActorContext, fail: (err: Error) => void): Promise<ServiceHandle>;
}

type ServiceEvent = { type: 'service.stop' } | { type: 'service.fail'; error: Error };

export const serviceMachine = setup({
  types: {} as {
    input: { def: ServiceDef; ctx: ActorContext; fail: (err: Error) => void };
    context: { def: ServiceDef; ctx: ActorContext; fail: (err: Error) => void; handle: ServiceHandle | undefined; error: Error | undefined };
    events: ServiceEvent;
  },
  actors: {
    start: fromPromise<ServiceHandle, { def: ServiceDef; ctx: ActorContext; fail: (err: Error) => void }>(({ input }) =>
      input.def.start(input.ctx, input.fail),
    ),
    stop: fromPromise<void, { handle: ServiceHandle | undefined }>(async ({ input }) => {
      await input.handle?.stop();
    }),
  },
  actions: {
    raiseFailure: ({ context }) => {
      // Throwing from an action errors the actor: the supervisor sees the crash and restarts us.
      throw context.error ?? new Error('service failed');
    },
  },
}).createMachine({
  id: 'service',
  initial: 'starting',
  context: ({ input }) => ({ ...input, handle: undefined, error: undefined }),
  states: {
    starting: {
      invoke: {
        src: 'start',
        input: ({ context }) => ({ def: context.def, ctx: context.ctx, fail: context.fail }),
        onDone: { target: 'running', actions: assign({ handle: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => event.error as Error }) },
      },
      on: { 'service.stop': 'stopped' },
    },
    running: {
      on: {
        'service.stop': 'stopping',
        'service.fail': { target: 'failing', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    failing: {
      invoke: { src: 'stop', input: ({ context }) => ({ handle: context.handle }), onDone: 'failed', onError: 'failed' },
    },
    stopping: {
      invoke: { src: 'stop', input: ({ context }) => ({ handle: context.handle }), onDone: 'stopped', onError: 'stopped' },
    },
    failed: { entry: 'raiseFailure' },
    stopped: { type: 'final' },
  },
});

class ServiceActor implements Child {
  readonly path: string;
  readonly exited: Promise<Error | undefined>;
  readonly #actor: MachineActor<typeof serviceMachine>;

  constructor(def: ServiceDef, ctx: ActorContext, started: (err?: Error) => void) {
    this.path = ctx.path;
    let actor!: MachineActor<typeof serviceMachine>;
    const fail = (error: Error) => actor.send({ type: 'service.fail', error });
    actor = new MachineActor({ ctx, machine: serviceMachine, input: { def, ctx, fail } });
    this.#actor = actor;
    this.exited = actor.exited;
    const sub = actor.subscribe((s) => {
      if (s.matches('running')) {
        started();
        sub.unsubscribe();
      }
    });
    void actor.exited.then((err) => started(err ?? new Error(`service ${def.id} stopped before it started`)));
  }

  async stop(): Promise<void> {
    this.#actor.send({ type: 'service.stop' });
    await this.#actor.exited;
  }
}

/** A ChildSpec whose start() resolves once the service is running (rejects if it cannot start). */
export function serviceSpec(def: ServiceDef): ChildSpec {
  return {
    id: def.id,
    restart: def.restart ?? 'permanent',
    start: (ctx) =>
      new Promise<Child>((resolve, reject) => {
        let settled = false;
        const child: ServiceActor = new ServiceActor(def, ctx, (err) => {
          if (settled) return;
          settled = true;
          if (err) reject(err);
          else resolve(child);
        });
      }),
  };
}
