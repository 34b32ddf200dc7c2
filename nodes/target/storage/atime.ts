// Lazy atime: a GET records the access in memory and the index is updated in batches (on a timer,
// when the batch is full, on close), so reads never wait for an index write. Reads of metadata
// (head, get, list) overlay the pending atime, so callers see it at once. A crash loses at most one
// batch of atimes, which only ages objects for LRU: acceptable, as AIS's own atime cache.
import type { Mountpath } from './mountpath.ts';

/** Pending atime updates kept in memory before a flush is forced. */
export const ATIME_PENDING_MAX = 10_000;
/** Period of the background atime flush. */
export const ATIME_FLUSH_INTERVAL_MS = 10_000;

export interface PendingAtime {
  mountpath: Mountpath;
  atimeNs: bigint;
}

export class AtimeBatch {
  #pending = new Map<string, PendingAtime>();

  /** Returns true when the batch is full and should be flushed. */
  record(uname: string, mountpath: Mountpath, atimeNs: bigint): boolean {
    if (this.#pending.size >= ATIME_PENDING_MAX && !this.#pending.has(uname)) return true; // dropped: best effort
    this.#pending.set(uname, { mountpath, atimeNs });
    return this.#pending.size >= ATIME_PENDING_MAX;
  }

  /** The atime to show for `uname`: the pending one when newer than the stored one. */
  overlay(uname: string, storedNs: string): string {
    if (this.#pending.size === 0) return storedNs;
    const p = this.#pending.get(uname);
    if (!p || p.atimeNs <= BigInt(storedNs)) return storedNs;
    return p.atimeNs.toString();
  }

  drop(uname: string): void {
    this.#pending.delete(uname);
  }

  /** A mountpath that leaves: its pending atimes have no index to go to. */
  dropMountpath(mountpath: Mountpath): void {
    for (const [k, p] of this.#pending) if (p.mountpath === mountpath) this.#pending.delete(k);
  }

  dropPrefix(prefix: string): void {
    for (const k of this.#pending.keys()) if (k.startsWith(prefix)) this.#pending.delete(k);
  }

  /** Hands the pending updates over to a flush and starts a new batch. */
  take(): Map<string, PendingAtime> {
    const out = this.#pending;
    this.#pending = new Map();
    return out;
  }

  size(): number {
    return this.#pending.size;
  }
}
