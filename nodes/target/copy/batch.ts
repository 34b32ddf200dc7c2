// Small objects waiting to be sent, per destination target: copy-bck sends them several per
// `copy.objs` message (one round trip, one frame, one acknowledgement for many objects).
import type { CopyBatchObj } from '../../../protocol/copy.ts';

/** A batch is sent once adding the next object would take it past this many bytes... */
export const COPY_BATCH_BYTES_MAX = 1024 * 1024;
/** ...or once it holds this many objects. */
export const COPY_BATCH_OBJS_MAX = 64;

interface Open<T> {
  to: T;
  objs: CopyBatchObj[];
  bytes: number;
}

export interface Batch<T> {
  to: T;
  objs: CopyBatchObj[];
}

/** Open batches keyed by destination id; `T` is what the sender needs to reach it. */
export class Batches<T> {
  readonly #open = new Map<string, Open<T>>();

  /** Adds an object; returns the batches that are ready to send (none, or one or two). */
  add(key: string, to: T, obj: CopyBatchObj): Batch<T>[] {
    const out: Batch<T>[] = [];
    let b = this.#open.get(key);
    if (b !== undefined && b.bytes + obj.data.byteLength > COPY_BATCH_BYTES_MAX) {
      out.push({ to: b.to, objs: b.objs });
      b = undefined;
    }
    if (b === undefined) {
      b = { to, objs: [], bytes: 0 };
      this.#open.set(key, b);
    }
    b.objs.push(obj);
    b.bytes += obj.data.byteLength;
    if (b.objs.length >= COPY_BATCH_OBJS_MAX || b.bytes >= COPY_BATCH_BYTES_MAX) {
      out.push({ to: b.to, objs: b.objs });
      this.#open.delete(key);
    }
    return out;
  }

  /** Every batch still open (the walk is over), emptied. */
  drain(): Batch<T>[] {
    const out = [...this.#open.values()].map((b) => ({ to: b.to, objs: b.objs }));
    this.#open.clear();
    return out;
  }
}
