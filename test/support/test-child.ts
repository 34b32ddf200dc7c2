// A scripted Child for supervisor tests: the test crashes or ends it; every start and stop is logged.
import type { ActorContext, Child, ChildSpec, RestartPolicy } from '../../runtime/actor/types.ts';

export class TestChild implements Child {
  readonly exited: Promise<Error | undefined>;
  #status: 'up' | 'down' = 'up';
  #settle!: (reason: Error | undefined) => void;

  constructor(readonly path: string, readonly events: string[]) {
    this.exited = new Promise((resolve) => (this.#settle = resolve));
  }

  crash(err: Error = new Error(`${this.path} crashed`)): void {
    this.#exit(err);
  }

  end(): void {
    this.#exit(undefined);
  }

  async stop(): Promise<void> {
    if (this.#status === 'up') this.events.push(`stop ${this.path.split('/').at(-1)}`);
    this.#exit(undefined);
  }

  #exit(reason: Error | undefined): void {
    this.#status = 'down';
    this.#settle(reason);
  }
}

export interface ScriptedSpec extends ChildSpec {
  /** Every instance started so far; the last is the current one. */
  readonly instances: TestChild[];
  readonly current: TestChild;
  /** Makes the next `n` starts throw. */
  failStarts(n: number): void;
}

export function scriptedSpec(id: string, restart: RestartPolicy, events: string[]): ScriptedSpec {
  const instances: TestChild[] = [];
  let failuresLeft = 0;
  return {
    id,
    restart,
    instances,
    get current() {
      const child = instances.at(-1);
      if (child === undefined) throw new Error(`${id} never started`);
      return child;
    },
    failStarts: (n) => void (failuresLeft = n),
    start: async (ctx: ActorContext) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        events.push(`start-failed ${id}`);
        throw new Error(`${id} failed to start`);
      }
      events.push(`start ${id}`);
      const child = new TestChild(ctx.path, events);
      instances.push(child);
      return child;
    },
  };
}
