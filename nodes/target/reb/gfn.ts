// While a rebalance settles, the HRW owner of an object may not hold it yet: a GET or HEAD that
// misses here asks every other target (get-from-neighbor, AIS GFN), takes the newest copy, stores it
// here with its identity (so rebalance finds it already moved) and serves it. A DELETE reaches every
// copy (`reb.del`) and leaves a tombstone so that an older copy still in flight is not stored.
import { PassThrough } from 'node:stream';
import { ErrPeerUnreachable } from '../../../protocol/errors.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import {
  RebMsg, type GfnGetReply, type GfnGetReq, type GfnHeadReply, type GfnMeta, type GfnReq, type RebDelReply, type RebDelReq,
} from '../../../protocol/reb.ts';
import { rebTargets, type Snode } from '../../../protocol/smap.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { ObjMeta, Storage } from '../storage/storage.ts';

/** Bytes per `reb.gfn.get` request (one message, one buffer on either side). */
export const GFN_CHUNK_BYTES = 4 * 1024 * 1024;
export const GFN_TIMEOUT_MS = 10_000;

function gfnMeta(m: ObjMeta): GfnMeta {
  return { size: m.size, cksumType: m.cksumType, cksumValue: m.cksumValue, customMd: m.customMd, version: m.version, mtimeMs: m.mtimeMs, atimeNs: m.atimeNs };
}

export class Gfn {
  readonly #core: NodeCore;
  readonly #storage: Storage;
  /** One fetch per name at a time: concurrent GETs of a missing object wait for the same fetch. */
  readonly #fetching = new Map<string, Promise<void>>();

  constructor(core: NodeCore, storage: Storage) {
    this.#core = core;
    this.#storage = storage;
  }

  register(): void {
    const { ctrl, data } = this.#core;
    ctrl.handle(RebMsg.gfnHead, async (b): Promise<GfnHeadReply> => {
      const r = b as GfnReq;
      const m = this.#storage.head(r.bck, r.name);
      return m ? { meta: gfnMeta(m) } : {};
    });
    data.handle(RebMsg.gfnGet, async (b): Promise<GfnGetReply> => {
      const r = b as GfnGetReq;
      const m = this.#storage.head(r.bck, r.name);
      if (!m || m.mtimeMs !== r.mtimeMs) throw new ErrPeerUnreachable(`get-from-neighbor: ${r.bck.name}/${r.name} changed or is gone`);
      if (r.len === 0) return { data: new Uint8Array(0) };
      const got = await this.#storage.get(r.bck, r.name, { start: r.off, end: r.off + r.len - 1 });
      if (got.data) return { data: got.data };
      const parts: Buffer[] = [];
      for await (const c of got.stream!) parts.push(c as Buffer);
      return { data: Buffer.concat(parts) };
    });
    ctrl.handle(RebMsg.del, async (b): Promise<RebDelReply> => {
      const r = b as RebDelReq;
      this.#storage.tombstone(r.bck, r.name, r.mtimeMs);
      const deleted = await this.#storage.deleteIf(r.bck, r.name, (m) => m.mtimeMs <= r.mtimeMs, { sync: this.#core.feature('Fsync-PUT') });
      this.#core.env.log.debug({ name: r.name, deleted }, 'delete during rebalance');
      return { deleted };
    });
  }

  /** Every target that may hold objects (not those whose data a rebalance already moved away). */
  #peers(): Snode[] {
    const smap = this.#core.owner.smap;
    return smap ? rebTargets(smap).filter((t) => t.daemon_id !== this.#core.id) : [];
  }

  /** Fetches the newest neighbour copy of a missing object into local storage; no-op if none. */
  fetch(bck: BckRefWire, name: string): Promise<void> {
    const key = `${bck.provider}/${bck.name}/${name}`;
    let p = this.#fetching.get(key);
    if (p === undefined) {
      p = this.#fetch(bck, name).finally(() => this.#fetching.delete(key));
      this.#fetching.set(key, p);
    }
    return p;
  }

  async #fetch(bck: BckRefWire, name: string): Promise<void> {
    const { ctrl, data, env } = this.#core;
    // (a tombstone here does not stop the search: a copy written after that delete is the object)
    if (this.#storage.head(bck, name) !== undefined) return;
    let unreachable: string | undefined;
    const found = await Promise.all(
      this.#peers().map((t) =>
        ctrl.request<GfnHeadReply>(t.intra_control_net.direct_url, RebMsg.gfnHead, { bck, name } satisfies GfnReq, { timeoutMs: GFN_TIMEOUT_MS }).then(
          (r) => (r.meta ? { t, meta: r.meta } : undefined),
          (e: Error) => void (unreachable ??= `${t.daemon_id}: ${e.message}`),
        ),
      ),
    );
    let best: { t: Snode; meta: GfnMeta } | undefined;
    for (const f of found) if (f && (!best || f.meta.mtimeMs > best.meta.mtimeMs)) best = f;
    // Not found, but not everyone could be asked: the object may be there (503, not 404).
    if (!best && unreachable !== undefined) throw new ErrPeerUnreachable(`get-from-neighbor of ${bck.name}/${name}: ${unreachable}`);
    if (!best) return;
    const { t, meta } = best;
    const body = new PassThrough();
    body.on('error', () => {}); // surfaces through the put's rejection
    const put = this.#storage.put(bck, name, body, {
      cksumType: meta.cksumType,
      expected: meta.cksumType !== 'none' && meta.cksumValue ? { type: meta.cksumType, value: meta.cksumValue } : undefined,
      contentLength: meta.size,
      customMd: meta.customMd,
      versioning: false,
      writePolicy: this.#core.feature('Fsync-PUT') ? 'immediate' : 'delayed',
      keep: { version: meta.version, mtimeMs: meta.mtimeMs, atimeNs: meta.atimeNs },
    });
    put.catch(() => {}); // may fail while we still fetch: awaited below
    try {
      for (let off = 0; off < meta.size; off += GFN_CHUNK_BYTES) {
        const len = Math.min(GFN_CHUNK_BYTES, meta.size - off);
        const r = await data.request<GfnGetReply>(t.intra_data_net.direct_url, RebMsg.gfnGet, { bck, name, off, len, mtimeMs: meta.mtimeMs } satisfies GfnGetReq, { timeoutMs: GFN_TIMEOUT_MS });
        if (!body.write(r.data)) await new Promise<void>((resolve) => body.once('drain', resolve));
      }
      body.end();
      await put;
      env.log.debug({ bck: bck.name, name, from: t.daemon_id }, 'get-from-neighbor');
    } catch (e) {
      body.destroy(e instanceof Error ? e : new Error(String(e)));
      await put.catch(() => undefined);
      env.log.warn({ bck: bck.name, name, from: t.daemon_id, err: (e as Error).message }, 'get-from-neighbor failed');
      if (this.#storage.head(bck, name) === undefined) throw new ErrPeerUnreachable(`get-from-neighbor of ${bck.name}/${name} from ${t.daemon_id}: ${(e as Error).message}`);
    }
  }

  /**
   * DELETE while a rebalance settles: drop every copy not newer than now, here and on every other
   * target. True if any copy was deleted; a target that cannot be asked makes the outcome unknown.
   */
  async deleteEverywhere(bck: BckRefWire, name: string, sync: boolean): Promise<boolean> {
    const nowMs = this.#core.env.clock.realtimeMs();
    const absorbed = this.#storage.absorbedCount(bck, name);
    this.#storage.tombstone(bck, name, nowMs);
    const local = await this.#storage.deleteIf(bck, name, () => true, { sync });
    const req: RebDelReq = { bck, name, mtimeMs: nowMs };
    const results = await Promise.allSettled(
      this.#peers().map((t) => this.#core.ctrl.request<RebDelReply>(t.intra_control_net.direct_url, RebMsg.del, req, { timeoutMs: GFN_TIMEOUT_MS })),
    );
    const down = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (down) throw new ErrPeerUnreachable(`delete of ${bck.name}/${name} during rebalance may be incomplete: ${(down.reason as Error).message}`);
    // A copy on its way here when the delete came was dropped on arrival: that delete removed it too.
    return local || results.some((r) => r.status === 'fulfilled' && r.value.deleted) || this.#storage.absorbedCount(bck, name) > absorbed;
  }
}
