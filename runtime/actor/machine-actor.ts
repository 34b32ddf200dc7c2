// Hosts one xstate v5 machine as a supervised Child: timers from env.timers, events through a bounded
// mailbox, transitions on the inspection bus, and an error observer always subscribed (an unobserved
// error in a root xstate actor is re-thrown asynchronously and kills the process).
import {
  createActor,
  type Actor,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventFromLogic,
  type InputFrom,
  type InspectionEvent,
  type SnapshotFrom,
} from 'xstate';
import { toError } from './errors.ts';
import { Mailbox } from './mailbox.ts';
import type { ActorContext, Child } from './types.ts';

export interface MachineActorOptions<TMachine extends AnyStateMachine> {
  ctx: ActorContext;
  machine: TMachine;
  input?: InputFrom<TMachine>;
  mailboxLengthMax?: number;
}

export interface Unsubscribe {
  unsubscribe(): void;
}

export class MachineActor<TMachine extends AnyStateMachine> implements Child {
  readonly path: string;
  /** Resolves with undefined on a final state or stop(), with the Error if the machine failed. */
  readonly exited: Promise<Error | undefined>;
  readonly #ctx: ActorContext;
  readonly #actor: Actor<TMachine>;
  readonly #mailbox: Mailbox<EventFromLogic<TMachine>>;

  /** Creates and starts the machine. */
  constructor(opts: MachineActorOptions<TMachine>) {
    const { ctx, machine } = opts;
    this.#ctx = ctx;
    this.path = ctx.path;
    this.#mailbox = new Mailbox({
      path: ctx.path,
      lengthMax: opts.mailboxLengthMax,
      handle: (event) => this.#actor.send(event),
      onError: (err, event) => ctx.log.error({ err, event: event.type }, 'send failed'),
    });
    let settle!: (reason: Error | undefined) => void;
    this.exited = new Promise((resolve) => (settle = resolve));
    const options = {
      input: opts.input,
      clock: ctx.env.timers,
      inspect: (ev: InspectionEvent) => this.#inspect(ev),
      logger: (...args: unknown[]) => ctx.log.info({ log: args.length === 1 ? args[0] : args }, 'machine log'),
    };
    this.#actor = createActor(machine, options as Parameters<typeof createActor<TMachine>>[1]);
    this.#actor.subscribe({ error: (err) => settle(toError(err)), complete: () => settle(undefined) });
    void this.exited.then((err) => {
      const dropped = this.#mailbox.close();
      if (err) ctx.log.error({ err, dropped }, 'machine failed');
      else ctx.log.debug({ dropped }, 'machine exited');
    });
    this.#actor.start();
  }

  /** Queues `event`; throws ErrMailboxFull (429) when the mailbox is full, ErrNotReady once exited. */
  send(event: EventFromLogic<TMachine>): void {
    this.#mailbox.push(event);
  }

  getSnapshot(): SnapshotFrom<TMachine> {
    return this.#actor.getSnapshot();
  }

  /** Calls `cb` on every new snapshot; a throwing `cb` is logged, never allowed to crash the process. */
  subscribe(cb: (snapshot: SnapshotFrom<TMachine>) => void): Unsubscribe {
    return this.#actor.subscribe({
      next: (snapshot) => {
        try {
          cb(snapshot);
        } catch (err) {
          this.#ctx.log.error({ err }, 'snapshot subscriber threw');
        }
      },
      error: () => {}, // reported through `exited`
    });
  }

  /** Resolves once every event sent so far has been handed to the machine. */
  idle(): Promise<void> {
    return this.#mailbox.idle();
  }

  async stop(reason?: string): Promise<void> {
    if (reason !== undefined) this.#ctx.log.debug({ reason }, 'stopping');
    this.#actor.stop();
    await this.exited;
  }

  #inspect(ev: InspectionEvent): void {
    // Only the hosted machine's own snapshots: invoked children are part of its state.
    if (ev.type !== '@xstate.snapshot' || ev.actorRef !== this.#actor || this.#ctx.bus === undefined) return;
    const snapshot = ev.snapshot as AnyMachineSnapshot;
    this.#ctx.bus.publish('actor.transition', {
      path: this.path,
      atMs: this.#ctx.env.clock.realtimeMs(),
      machineId: this.#actor.logic.id,
      event: ev.event.type,
      value: snapshot.value,
      status: snapshot.status,
    });
  }
}
