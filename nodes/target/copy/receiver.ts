// The receiving side of copy-bck on a target: `copy.objs` and `copy.obj` messages over the
// intra-data endpoint. A batch holds whole small objects, each stored from its buffer on its own (one
// that fails is named in the reply, the others are kept); a single `copy.obj` is one whole object; a chunked object opens a session at offset 0 whose chunks
// feed a PassThrough into storage.put (chunks arrive in order on one connection, and the handler
// writes synchronously on arrival). A chunk is acknowledged once the put has taken it (drain), so
// the sender's window bounds the memory. The put checksums; the sender's checksum is verified when
// the destination uses the same type (a mismatch stores nothing and fails the object).
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { CksumType } from '../../../protocol/apc.ts';
import { CopyMsg, type CopyAbortBody, type CopyBatchBody, type CopyBatchReply, type CopyDoneBody, type CopyObjBody, type KeepMeta } from '../../../protocol/copy.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import { ErrInvalidArgument, ErrNotFound, ErrNotReady } from '../../../protocol/errors.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { ObjMeta, PutOpts, Storage } from '../storage/storage.ts';
import type { TimerHandle } from '../../../runtime/env/types.ts';
import type { CopyStates } from './state.ts';

/** A receiver behind the sender's Smap waits this long for it before judging ownership. */
export const SMAP_WAIT_MS = 3_000;
export const SMAP_WAIT_POLL_MS = 50;
/** Chunked objects being received at once by one target (a peer past this is refused). */
export const COPY_SESSIONS_MAX = 1_024;
/** A chunked object whose sender went silent this long is dropped (its work file removed by put). */
export const COPY_SESSION_IDLE_MS = 120_000;

interface Session {
  pt: PassThrough;
  put: Promise<ObjMeta>;
  failed?: Error;
  idle?: TimerHandle;
}

export class CopyReceiver {
  readonly #core: NodeCore;
  readonly #storage: Storage;
  readonly #states: CopyStates;
  readonly #sessions = new Map<string, Session>();
  readonly #onKept: ((bck: BckRefWire, name: string) => void) | undefined;

  /** `onKept`: an object moved by rebalance (`keep`) was received; its owner may have changed meanwhile. */
  constructor(core: NodeCore, storage: Storage, states: CopyStates, onKept?: (bck: BckRefWire, name: string) => void) {
    this.#core = core;
    this.#storage = storage;
    this.#states = states;
    this.#onKept = onKept;
  }

  register(): void {
    const { data } = this.#core;
    data.handle(CopyMsg.obj, async (b, from) => this.#obj(b as CopyObjBody, from)); // async: runs synchronously up to its first await
    data.handle(CopyMsg.objs, async (b) => this.#batch(b as CopyBatchBody));
    data.handle(CopyMsg.abort, async (b, from) => {
      const key = `${from}/${(b as CopyAbortBody).sid}`;
      const s = this.#sessions.get(key);
      if (s) this.#drop(key, s, new Error('copy aborted by the sender'));
      return {};
    });
    data.handle(CopyMsg.done, async (b, from) => {
      const st = this.#states.get((b as CopyDoneBody).xid);
      st.peersDone.add(from);
      st.wake?.();
      return {};
    });
  }

  #opts(o: { cksumType: CksumType; cksumValue: string; size: number; customMd: Record<string, string>; keep?: KeepMeta }, b: { dstCksumType: CksumType; versioning: boolean }): PutOpts {
    const same = o.cksumType === b.dstCksumType && o.cksumType !== 'none' && o.cksumValue !== '';
    return {
      cksumType: b.dstCksumType,
      expected: same ? { type: o.cksumType, value: o.cksumValue } : undefined,
      contentLength: o.size,
      customMd: o.customMd,
      versioning: b.versioning,
      writePolicy: this.#core.feature('Fsync-PUT') ? 'immediate' : 'delayed',
      keep: o.keep,
    };
  }

  /**
   * The sender chose us by its Smap; ours may differ while a membership change is metasynced. An
   * acknowledgement means "I hold it and keep it": a target that is not the owner in its own view
   * refuses (retriable), else two targets that disagree could each hand the object to the other
   * and both drop their copy.
   */
  async #owned(bck: BckRefWire, name: string, senderSmapVer = 0): Promise<void> {
    if (this.#notOwner(bck, name) === undefined) return;
    // The sender's Smap is newer than ours (a metasync on its way): wait for it, then judge.
    const { env, owner } = this.#core;
    const deadline = env.clock.monotonicMs() + SMAP_WAIT_MS;
    while (senderSmapVer > owner.version('smap') && env.clock.monotonicMs() < deadline) await env.timers.sleep(SMAP_WAIT_POLL_MS);
    const err = this.#notOwner(bck, name);
    if (err) throw err;
  }

  #notOwner(bck: BckRefWire, name: string): ErrNotReady | undefined {
    const owner = this.#core.ownerOf(bck, name);
    if (owner?.daemon_id === this.#core.id) return undefined;
    // (no Smap yet: a joining target learns it, with the cluster config, from the metasync that admits it)
    return new ErrNotReady(`t[${this.#core.id}] is not the owner of ${bck.name}/${name} in its cluster map v${this.#core.owner.version('smap')} (${owner?.daemon_id ?? 'none'} is): retry`);
  }

  #received(b: { xid: string; size: number; bck: BckRefWire; name: string; keep?: KeepMeta }): { ok: true } {
    if (b.keep) this.#onKept?.(b.bck, b.name);
    const st = this.#states.get(b.xid);
    st.counters.inObjs++;
    st.counters.inBytes += b.size;
    st.report?.();
    return { ok: true };
  }

  async #batch(b: CopyBatchBody): Promise<CopyBatchReply> {
    const failed: CopyBatchReply['failed'] = [];
    await Promise.all(
      b.objs.map((o) =>
        this.#owned(b.bck, o.name, b.smapVer).then(
          () => this.#storage.putBytes(b.bck, o.name, o.data, this.#opts(o, b)),
        ).then(
          () => void this.#received({ xid: b.xid, size: o.size, bck: b.bck, name: o.name, keep: o.keep }),
          (e: unknown) => void failed.push({ name: o.name, err: e instanceof Error ? e.message : String(e) }),
        ),
      ),
    );
    return { failed };
  }

  #obj(b: CopyObjBody, from: string): Promise<{ ok: true }> {
    const key = `${from}/${b.sid}`;
    if (b.off === 0 && b.last) {
      return this.#owned(b.bck, b.name, b.smapVer)
        .then(() => this.#storage.putBytes(b.bck, b.name, b.data, this.#opts(b, b)))
        .then(() => this.#received(b));
    }
    let s = this.#sessions.get(key);
    if (b.off === 0) {
      if (s !== undefined) throw new ErrInvalidArgument(`copy session ${b.sid} is already open`);
      // (no waiting here: the next chunks follow at once and must find their session open)
      const notOwner = this.#notOwner(b.bck, b.name);
      if (notOwner) return Promise.reject(notOwner);
      if (this.#sessions.size >= COPY_SESSIONS_MAX) throw new ErrInvalidArgument(`too many copy sessions (max ${COPY_SESSIONS_MAX})`);
      const pt = new PassThrough();
      pt.on('error', () => {}); // surfaces through the put's rejection; never an uncaught 'error'
      const put = this.#storage.put(b.bck, b.name, pt, this.#opts(b, b));
      s = { pt, put };
      const sess = s;
      put.catch((e: unknown) => {
        sess.failed = e instanceof Error ? e : new Error(String(e));
      });
      this.#sessions.set(key, s);
    }
    if (s === undefined) throw new ErrNotFound(`copy session ${b.sid} not found`);
    return this.#chunk(key, s, b);
  }

  #drop(key: string, s: Session, err?: Error): void {
    if (s.idle !== undefined) this.#core.env.timers.clearTimeout(s.idle);
    if (this.#sessions.get(key) === s) this.#sessions.delete(key);
    if (err) s.pt.destroy(err);
  }

  async #chunk(key: string, s: Session, b: CopyObjBody): Promise<{ ok: true }> {
    const { timers } = this.#core.env;
    if (s.idle !== undefined) timers.clearTimeout(s.idle);
    s.idle = b.last ? undefined : timers.setTimeout(() => this.#drop(key, s, new Error(`copy session ${b.sid}: sender idle`)), COPY_SESSION_IDLE_MS);
    const done = s.put.then(() => undefined, () => undefined);
    try {
      if (s.failed) throw s.failed;
      const ok = s.pt.write(b.data); // synchronous, in arrival order
      if (b.last) {
        s.pt.end();
        await s.put;
        return this.#received(b);
      }
      if (!ok) await Promise.race([once(s.pt, 'drain'), done]);
      if (s.failed) throw s.failed;
      return { ok: true };
    } catch (e) {
      this.#drop(key, s, e instanceof Error ? e : new Error(String(e)));
      throw e;
    } finally {
      if (b.last) this.#drop(key, s);
    }
  }
}
