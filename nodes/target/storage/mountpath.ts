// One mountpath: its directory, its metadata index and its HRW digest (the mountpath for an
// object is chosen by HRW over these digests, as AIS fs.Hrw).
import { assert } from '../../../protocol/errors.ts';
import type { Env, KvIndex } from '../../../runtime/env/types.ts';
import type { Hrw, HrwCandidate } from '../../cluster/hrw.ts';
import { metaDir } from './layout.ts';

/** A pending detach or disable (AIS FlagBeingDetached / FlagBeingDisabled = "waiting_dd"). */
export type DDAction = 'detach' | 'disable';

export class Mountpath implements HrwCandidate {
  /**
   * Set while the mountpath is being detached or disabled: it is no longer chosen by HRW (nothing
   * new lands on it) but still read until resilver has moved its objects off, as AIS.
   */
  dd: DDAction | undefined;
  /** Index mutations in flight on this mountpath; its index closes only once they are done. */
  #pins = 0;

  private constructor(
    readonly path: string,
    readonly digest: bigint,
    readonly index: KvIndex,
  ) {}

  static async open(env: Env, hrw: Hrw, path: string): Promise<Mountpath> {
    await env.disk.mkdir(path);
    const index = await env.disk.openIndex(metaDir(path));
    return new Mountpath(path, hrw.digest(path), index);
  }

  pin(): void {
    this.#pins++;
  }

  unpin(): void {
    assert(this.#pins > 0, `mountpath ${this.path}: unpin without pin`);
    this.#pins--;
  }

  pins(): number {
    return this.#pins;
  }
}

/** Runs `fn` with every mountpath of `mps` pinned (taken synchronously, before any await). */
export async function withPinned<T>(mps: readonly Mountpath[], fn: () => Promise<T>): Promise<T> {
  const held = [...new Set(mps)];
  for (const mp of held) mp.pin();
  try {
    return await fn();
  } finally {
    for (const mp of held) mp.unpin();
  }
}
