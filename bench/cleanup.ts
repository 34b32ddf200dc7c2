// Everything the bench starts is registered here and stopped by PID (or by its own stop()) at the
// end of the run, also on Ctrl-C.

const STOP_STEP_MS_MAX = 15_000;

type StopFn = () => Promise<void> | void;

export class Cleanup {
  readonly #steps = new Map<number, { name: string; stop: StopFn }>();
  #nextId = 0;
  #running: Promise<void> | undefined;

  /** Registers a stop step; returns a function that runs it now and unregisters it. */
  add(name: string, stop: StopFn): () => Promise<void> {
    const id = this.#nextId++;
    this.#steps.set(id, { name, stop });
    return async () => {
      const step = this.#steps.get(id);
      if (!step) return;
      this.#steps.delete(id);
      await runBounded(step.name, step.stop);
    };
  }

  /** Kills one process by PID: SIGTERM, then SIGKILL if it is still there. */
  addPid(name: string, pid: number): () => Promise<void> {
    return this.add(name, () => killPid(pid));
  }

  /** Runs every step, newest first; a second caller (Ctrl-C during the normal end) waits for the same run. */
  runAll(): Promise<void> {
    this.#running ??= (async () => {
      const steps = [...this.#steps.values()].reverse();
      this.#steps.clear();
      for (const s of steps) await runBounded(s.name, s.stop);
      this.#running = undefined;
    })();
    return this.#running;
  }

  installSignalHandlers(): void {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.stderr.write(`\nbench: ${sig}, stopping everything it started\n`);
      void this.runAll().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
}

async function runBounded(name: string, stop: StopFn): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(stop),
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), STOP_STEP_MS_MAX);
      }),
    ]);
  } catch (err) {
    process.stderr.write(`bench: stopping ${name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
  } finally {
    clearTimeout(timer);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const KILL_GRACE_MS = 3_000;
const KILL_POLL_MS = 50;

export async function killPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; waited < KILL_GRACE_MS; waited += KILL_POLL_MS) {
    if (!alive(pid)) return;
    await new Promise((r) => setTimeout(r, KILL_POLL_MS));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
