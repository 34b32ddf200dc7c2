// Target side of two-phase bucket transactions: begin prepares (or refuses), commit finishes,
// abort undoes. Destroy is refused for new PUTs from begin on, so no half-written objects remain.
import type { BMD } from '../../protocol/bmd.ts';
import { bmdBuckets, bmdGet } from '../../protocol/bmd.ts';
import type { TxnBeginBody, TxnEndBody } from '../../protocol/intra.ts';
import { ErrBckAlreadyExists, ErrBckNotFound, ErrConflict } from '../../protocol/errors.ts';
import type { Env } from '../../runtime/env/types.ts';
import type { Storage } from './storage/storage.ts';

/** A transaction nobody commits or aborts (primary died) is dropped after this long. */
export const TXN_PENDING_MS_MAX = 120_000;

interface Pending {
  begin: TxnBeginBody;
  sinceMs: number;
}

export class TargetTxns {
  readonly #env: Env;
  readonly #storage: Storage;
  readonly #bmd: () => BMD | undefined;
  readonly #pending = new Map<string, Pending>();

  constructor(env: Env, storage: Storage, bmd: () => BMD | undefined) {
    this.#env = env;
    this.#storage = storage;
    this.#bmd = bmd;
  }

  /** Is this bucket being destroyed (PUTs refused)? */
  destroying(provider: string, name: string): boolean {
    this.#expire();
    for (const p of this.#pending.values()) {
      if (p.begin.action === 'destroy-bck' && p.begin.bck.provider === provider && p.begin.bck.name === name) return true;
    }
    return false;
  }

  async begin(b: TxnBeginBody): Promise<void> {
    this.#expire();
    const exists = this.#bmd() ? bmdGet(this.#bmd()!, b.bck.provider, b.bck.name) !== undefined : false;
    const bname = `${b.bck.provider}://${b.bck.name}`;
    for (const p of this.#pending.values()) {
      if (p.begin.bck.provider === b.bck.provider && p.begin.bck.name === b.bck.name) {
        throw new ErrConflict(`bucket ${bname} is busy with another ${p.begin.action} transaction`);
      }
    }
    if (b.action === 'create-bck') {
      if (exists) throw new ErrBckAlreadyExists(bname);
      await this.#storage.createBucket(b.bck);
    } else if (!exists) {
      throw new ErrBckNotFound(bname);
    }
    this.#pending.set(b.uuid, { begin: b, sinceMs: this.#env.clock.monotonicMs() });
  }

  async commit(b: TxnEndBody): Promise<void> {
    const p = this.#pending.get(b.uuid);
    this.#pending.delete(b.uuid);
    if (p?.begin.action === 'destroy-bck') await this.#storage.destroyBucket(p.begin.bck);
  }

  async abort(b: TxnEndBody): Promise<void> {
    const p = this.#pending.get(b.uuid);
    this.#pending.delete(b.uuid);
    if (p?.begin.action === 'create-bck' && !bmdGet(this.#bmd() ?? { providers: {}, uuid: '', version: '0' }, p.begin.bck.provider, p.begin.bck.name)) {
      await this.#storage.destroyBucket(p.begin.bck);
    }
  }

  /** A new BMD: create what appeared, remove what is gone (also repairs a missed transaction). */
  async reconcile(next: BMD, prev: BMD | undefined): Promise<void> {
    const key = (b: { provider: string; name: string }) => `${b.provider}/${b.name}`;
    const now = new Set(bmdBuckets(next).map(key));
    for (const b of bmdBuckets(next)) {
      if (!prev || !bmdGet(prev, b.provider, b.name)) await this.#storage.createBucket({ provider: b.provider, name: b.name });
    }
    if (prev) {
      for (const b of bmdBuckets(prev)) {
        if (!now.has(key(b))) await this.#storage.destroyBucket({ provider: b.provider, name: b.name });
      }
    }
  }

  #expire(): void {
    const now = this.#env.clock.monotonicMs();
    for (const [id, p] of this.#pending) if (now - p.sinceMs > TXN_PENDING_MS_MAX) this.#pending.delete(id);
  }
}
