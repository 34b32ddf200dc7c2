// A target's view of global rebalance: which RMD version it last finished cleanly (persisted, AIS
// `.ais.markers/`), whether a rebalance is still settling (then GETs that miss locally ask the
// neighbours, and deletes are remembered so an older copy in flight is not stored), and the objects
// received during the running rebalance (their owner may have changed again meanwhile).
import type { Env } from '../../../runtime/env/types.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';

const MARKER_FILE = '.shoal.reb';
/** Received names remembered per rebalance for the re-check (beyond this, the next walk catches them). */
export const REB_RECEIVED_MAX = 1_000_000;

interface Marker {
  /** RMD version of the last rebalance this target started. */
  version: number;
  /** It finished here and every peer said it was done sending. */
  done: boolean;
}

export class RebState {
  readonly #env: Env;
  readonly #path: string;
  #marker: Marker = { version: 0, done: true };
  /** The latest RMD version this target knows of and has not completed. */
  #active = false;
  #received = new Map<string, { bck: BckRefWire; name: string }>();

  constructor(env: Env, confdir: string) {
    this.#env = env;
    this.#path = `${confdir}/${MARKER_FILE}`;
  }

  /** Loads the marker; true when this target was interrupted in the middle of a rebalance. */
  async load(): Promise<boolean> {
    if ((await this.#env.disk.stat(this.#path)) === undefined) return false;
    try {
      const m = JSON.parse(Buffer.from(await this.#env.disk.readFile(this.#path)).toString('utf8')) as Marker;
      if (typeof m.version === 'number' && typeof m.done === 'boolean') this.#marker = m;
    } catch (e) {
      this.#env.log.warn({ err: (e as Error).message }, 'rebalance: unreadable marker, ignored');
    }
    this.#active = !this.#marker.done;
    return this.#active;
  }

  /** GETs that miss ask the neighbours; deletes leave tombstones. */
  get active(): boolean {
    return this.#active;
  }

  /** A new RMD arrived: get-from-neighbor is on from now, before the job even starts. */
  activate(): void {
    this.#active = true;
  }

  async started(version: number): Promise<void> {
    // Names received under the previous rebalance stay queued: the new walk may already be past them.
    this.#active = true;
    this.#marker = { version, done: false };
    await this.#persist();
  }

  /** Rebalance `version` finished cleanly here and on every peer (if it is still the latest). */
  async completed(version: number): Promise<boolean> {
    if (this.#marker.version !== version) return false;
    this.#active = false;
    this.#received.clear();
    this.#marker = { version, done: true };
    await this.#persist();
    return true;
  }

  received(bck: BckRefWire, name: string): void {
    if (!this.#active || this.#received.size >= REB_RECEIVED_MAX) return;
    this.#received.set(`${bck.provider}/${bck.name}/${name}`, { bck, name });
  }

  /** Takes the names received so far. */
  takeReceived(): { bck: BckRefWire; name: string }[] {
    const out = [...this.#received.values()];
    this.#received.clear();
    return out;
  }

  async #persist(): Promise<void> {
    await this.#env.disk.writeFileAtomic(this.#path, Buffer.from(JSON.stringify(this.#marker)));
  }
}
