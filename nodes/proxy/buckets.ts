// Bucket control at the primary: two-phase create and destroy (begin on every target, then the new
// BMD is metasynced, then commit), and property changes (a BMD update).
import type { Bprops } from '../../protocol/bmd.ts';
import { bmdGet, defaultBprops } from '../../protocol/bmd.ts';
import { activeTargets } from '../../protocol/smap.ts';
import { Msg, type TxnAction, type TxnBeginBody } from '../../protocol/intra.ts';
import { ErrBckAlreadyExists, ErrBckNotFound } from '../../protocol/errors.ts';
import type { NodeCore } from '../common/node-core.ts';
import type { Primary } from './primary.ts';
import { bmdWithBucket, bmdWithoutBucket } from '../cluster/bmd.ts';
import { mergeBprops, type BpropsToSet } from '../cluster/bprops.ts';

export const TXN_TIMEOUT_MS = 30_000;

export interface BckRef {
  provider: string;
  name: string;
}

export class BucketControl {
  readonly #core: NodeCore;
  readonly #primary: Primary;

  constructor(core: NodeCore, primary: Primary) {
    this.#core = core;
    this.#primary = primary;
  }

  async create(bck: BckRef, set: BpropsToSet): Promise<void> {
    await this.#primary.exclusive(async () => {
      if (bmdGet(this.#core.owner.bmd!, bck.provider, bck.name)) throw new ErrBckAlreadyExists(`${bck.provider}://${bck.name}`);
      const { env } = this.#core;
      const props = mergeBprops(defaultBprops(bck.provider, env.clock.realtimeNs(), this.#bid()), set);
      await this.#twoPhase('create-bck', bck, async () => {
        await this.#primary.applyBmdLocked(bmdWithBucket(this.#core.owner.bmd!, bck.provider, bck.name, props));
      });
    });
  }

  async destroy(bck: BckRef): Promise<void> {
    await this.#primary.exclusive(async () => {
      if (!bmdGet(this.#core.owner.bmd!, bck.provider, bck.name)) throw new ErrBckNotFound(`${bck.provider}://${bck.name}`);
      await this.#twoPhase('destroy-bck', bck, async () => {
        await this.#primary.applyBmdLocked(bmdWithoutBucket(this.#core.owner.bmd!, bck.provider, bck.name));
      });
    });
  }

  async setProps(bck: BckRef, fn: (cur: Bprops) => Bprops): Promise<void> {
    await this.#primary.updateBmd((bmd) => {
      const cur = bmdGet(bmd, bck.provider, bck.name);
      if (!cur) throw new ErrBckNotFound(`${bck.provider}://${bck.name}`);
      return bmdWithBucket(bmd, bck.provider, bck.name, fn(cur));
    });
  }

  #bid(): bigint {
    const b = this.#core.env.random.bytes(6);
    return BigInt('0x' + Buffer.from(b).toString('hex'));
  }

  /**
   * Begin on every target (each prepares, or refuses); if any refuses, abort everywhere and fail;
   * else change the BMD (metasynced to all) and commit. No target is left with half a bucket.
   */
  async #twoPhase(action: TxnAction, bck: BckRef, change: () => Promise<void>): Promise<void> {
    const { ctrl, owner, env } = this.#core;
    const targets = activeTargets(owner.smap!);
    const uuid = Buffer.from(env.random.bytes(9)).toString('base64url');
    const begin: TxnBeginBody = { uuid, action, bck };
    const results = await Promise.allSettled(
      targets.map((t) => ctrl.request(t.intra_control_net.direct_url, Msg.txnBegin, begin, { timeoutMs: TXN_TIMEOUT_MS })),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(targets.map((t) => ctrl.request(t.intra_control_net.direct_url, Msg.txnAbort, { uuid }, { timeoutMs: TXN_TIMEOUT_MS })));
      throw failed.reason;
    }
    await change();
    await Promise.allSettled(
      targets.map((t) =>
        ctrl.request(t.intra_control_net.direct_url, Msg.txnCommit, { uuid }, { timeoutMs: TXN_TIMEOUT_MS }).catch((e: Error) => {
          env.log.warn({ node: t.daemon_id, uuid, err: e.message }, 'txn commit failed (the metasynced BMD still applies)');
        }),
      ),
    );
  }
}
