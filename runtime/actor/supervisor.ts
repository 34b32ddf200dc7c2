// OTP-style supervisor: restarts children by policy (permanent | transient | temporary) and strategy
// (one-for-one | rest-for-one), with exponential back-off through env.timers, and gives up (stops every
// child, then exits with an error for its own parent to handle) past its restart intensity.
// Every change to the children runs through one serial queue, so a crash, a delayed restart, a
// startChild and a stop never interleave.
import { ErrConflict, ErrInternal, ErrInvalidArgument, ErrNotReady, errorToWire } from '../../protocol/errors.ts';
import type { TimerHandle } from '../env/types.ts';
import { toError } from './errors.ts';
import type { ActorContext, Backoff, Child, ChildSpec, RestartIntensity, RestartPolicy, Strategy } from './types.ts';

export interface SupervisorOptions {
  strategy: Strategy;
  intensity: RestartIntensity;
  backoff: Backoff;
}

/** running: up; restarting: down, waiting out its back-off; stopping: being stopped on purpose. */
export type ChildStatus = 'running' | 'restarting' | 'stopping';

/** What the inspection UI shows of a child; `children` is set when the child is itself a supervisor. */
export interface ChildInfo {
  id: string;
  path: string;
  restart: RestartPolicy;
  status: ChildStatus;
  restarts: number;
  lastError?: string;
  children?: ChildInfo[];
}

interface Entry {
  readonly spec: ChildSpec;
  readonly ctx: ActorContext;
  child: Child | undefined;
  status: ChildStatus;
  restarts: number;
  /** Monotonic time of the last (re)start: back-off resets once a child outlives the window. */
  upSinceMs: number;
  backoffMs: number;
  timer: TimerHandle | undefined;
  lastError: Error | undefined;
}

export class Supervisor implements Child {
  readonly path: string;
  readonly exited: Promise<Error | undefined>;
  readonly #ctx: ActorContext;
  readonly #opts: SupervisorOptions;
  #state: 'running' | 'stopping' | 'exited' = 'running';
  #entries: Entry[] = [];
  /** Monotonic times of the restarts inside the current intensity window. */
  #restartsAtMs: number[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #settle!: (reason: Error | undefined) => void;

  constructor(ctx: ActorContext, opts: SupervisorOptions) {
    const { strategy, intensity, backoff } = opts;
    if (strategy !== 'one-for-one' && strategy !== 'rest-for-one') {
      throw new ErrInvalidArgument(`unknown strategy "${String(strategy)}"; use "one-for-one" or "rest-for-one"`);
    }
    if (!Number.isInteger(intensity.restartsMax) || intensity.restartsMax < 0 || !(intensity.windowMs > 0)) {
      throw new ErrInvalidArgument('intensity: use an integer restartsMax >= 0 and a windowMs > 0');
    }
    if (!(backoff.initialMs >= 0) || !(backoff.maxMs >= backoff.initialMs)) {
      throw new ErrInvalidArgument('backoff: use initialMs >= 0 and maxMs >= initialMs');
    }
    this.#ctx = ctx;
    this.#opts = opts;
    this.path = ctx.path;
    this.exited = new Promise((resolve) => (this.#settle = resolve));
  }

  /**
   * Starts a child under this supervisor; rejects (and supervises nothing) if `spec.start` fails.
   * Not to be awaited from inside a `spec.start` of the same supervisor: both wait on its one queue.
   */
  startChild(spec: ChildSpec): Promise<Child> {
    return this.#serial(async () => {
      if (this.#state !== 'running') throw new ErrNotReady(`supervisor "${this.path}" is stopping`);
      if (spec.id === '' || spec.id.includes('/')) throw new ErrInvalidArgument(`child id "${spec.id}": use a non-empty id without "/"`);
      if (this.#entries.some((e) => e.spec.id === spec.id)) throw new ErrConflict(`child "${spec.id}" already runs under "${this.path}"`);
      const path = `${this.path}/${spec.id}`;
      const entry: Entry = {
        spec,
        ctx: { env: this.#ctx.env, path, log: this.#ctx.log.child({ actor: path }), bus: this.#ctx.bus },
        child: undefined,
        status: 'restarting',
        restarts: 0,
        upSinceMs: this.#nowMs(),
        backoffMs: this.#opts.backoff.initialMs,
        timer: undefined,
        lastError: undefined,
      };
      const child = await spec.start(entry.ctx);
      this.#entries.push(entry);
      this.#watch(entry, child);
      return child;
    });
  }

  children(): ChildInfo[] {
    return this.#entries.map((e) => ({
      id: e.spec.id,
      path: e.ctx.path,
      restart: e.spec.restart,
      status: e.status,
      restarts: e.restarts,
      ...(e.lastError && { lastError: e.lastError.message }),
      ...(e.child instanceof Supervisor && { children: e.child.children() }),
    }));
  }

  /** Stops every child, last started first, then exits normally. */
  async stop(reason = 'stop'): Promise<void> {
    await this.#serial(async () => {
      if (this.#state === 'running') await this.#shutdown(reason, undefined);
    });
    await this.exited;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => {});
    return run;
  }

  #nowMs(): number {
    return this.#ctx.env.clock.monotonicMs();
  }

  #watch(entry: Entry, child: Child): void {
    entry.child = child;
    entry.status = 'running';
    this.#ctx.bus?.publish('actor.started', { path: entry.ctx.path, atMs: this.#ctx.env.clock.realtimeMs(), restarts: entry.restarts });
    void child.exited.then((err) => this.#serial(() => this.#onExit(entry, child, err)));
  }

  #publishExited(entry: Entry, err: Error | undefined): void {
    this.#ctx.bus?.publish('actor.exited', {
      path: entry.ctx.path,
      atMs: this.#ctx.env.clock.realtimeMs(),
      restarts: entry.restarts,
      ...(err && { error: errorToWire(err) }),
    });
  }

  async #onExit(entry: Entry, child: Child, err: Error | undefined): Promise<void> {
    if (entry.child !== child) return; // stopped on purpose (or already replaced): not a crash
    entry.child = undefined;
    this.#publishExited(entry, err);
    await this.#crashed(entry, err);
  }

  /** `entry` is down by itself (exit or failed restart): restart it and its group, or give up. */
  async #crashed(entry: Entry, err: Error | undefined): Promise<void> {
    const { restart } = entry.spec;
    const restartWanted = restart === 'permanent' || (restart === 'transient' && err !== undefined);
    if (!restartWanted) {
      entry.ctx.log.debug({ err }, 'child exited, not restarted');
      this.#entries = this.#entries.filter((e) => e !== entry);
      return;
    }
    entry.lastError = err;
    const nowMs = this.#nowMs();
    const { restartsMax, windowMs } = this.#opts.intensity;
    this.#restartsAtMs = this.#restartsAtMs.filter((atMs) => nowMs - atMs < windowMs);
    this.#restartsAtMs.push(nowMs);
    if (this.#restartsAtMs.length > restartsMax) {
      const reason = new ErrInternal(
        `supervisor "${this.path}" gave up: more than ${restartsMax} restarts in ${windowMs} ms` +
          ` (last: "${entry.spec.id}": ${err?.message ?? 'exited'})`,
        { cause: err },
      );
      await this.#shutdown('restart intensity exceeded', reason);
      return;
    }

    if (nowMs - entry.upSinceMs > windowMs) entry.backoffMs = this.#opts.backoff.initialMs;
    const delayMs = entry.backoffMs;
    entry.backoffMs = Math.min(delayMs * 2, this.#opts.backoff.maxMs);

    const index = this.#entries.indexOf(entry);
    const group = this.#opts.strategy === 'one-for-one' ? [entry] : this.#entries.slice(index);
    for (const sibling of group.slice(1).reverse()) {
      this.#cancelTimer(sibling); // its own pending restart is folded into this one
      if (sibling.child) await this.#stopEntry(sibling, 'rest-for-one restart');
      if (sibling.spec.restart === 'temporary') this.#entries = this.#entries.filter((e) => e !== sibling);
      else sibling.status = 'restarting';
    }
    entry.status = 'restarting';
    entry.ctx.log.warn({ err, delayMs, restarts: entry.restarts }, 'child exited, restarting');
    entry.timer = this.#ctx.env.timers.setTimeout(() => {
      entry.timer = undefined;
      void this.#serial(() => this.#restart(group));
    }, delayMs);
  }

  async #restart(group: Entry[]): Promise<void> {
    if (this.#state !== 'running') return;
    for (const entry of group) {
      if (!this.#entries.includes(entry) || entry.status !== 'restarting') continue;
      entry.restarts++;
      entry.upSinceMs = this.#nowMs();
      let child: Child;
      try {
        child = await entry.spec.start(entry.ctx);
      } catch (reason) {
        // A failed restart is one more crash; the rest of a rest-for-one group waits behind it.
        await this.#crashed(entry, toError(reason));
        return;
      }
      this.#watch(entry, child);
    }
  }

  #cancelTimer(entry: Entry): void {
    if (entry.timer === undefined) return;
    this.#ctx.env.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  async #stopEntry(entry: Entry, reason: string): Promise<void> {
    const child = entry.child;
    if (child === undefined) return;
    entry.child = undefined;
    entry.status = 'stopping';
    try {
      await child.stop(reason);
    } catch (err) {
      entry.ctx.log.error({ err }, 'stop failed'); // keep stopping the others
    }
    this.#publishExited(entry, await child.exited);
  }

  /** Stops every child, last started first, and exits with `reason` (undefined: a normal stop). */
  async #shutdown(why: string, reason: Error | undefined): Promise<void> {
    this.#state = 'stopping';
    if (reason) this.#ctx.log.error({ err: reason }, 'supervisor giving up');
    for (const entry of this.#entries) this.#cancelTimer(entry);
    for (const entry of [...this.#entries].reverse()) await this.#stopEntry(entry, why);
    this.#entries = [];
    this.#state = 'exited';
    this.#settle(reason);
  }
}
