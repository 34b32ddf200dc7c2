// Where a name lives, computed as the nodes compute it (HRW over the targets' id digests, then over
// the owning target's mountpaths), for a cluster whose membership did not change. The checker uses it
// to know exactly which names a lost mountpath took with it.
import { Hrw, type HrwCandidate } from '../nodes/cluster/hrw.ts';
import { bckUname } from '../protocol/bmd.ts';
import type { SimNodeSpec } from './cluster.ts';

/** The provider of every bucket the workload uses. */
export const SIM_PROVIDER = 'ais';

interface Candidate extends HrwCandidate {
  readonly id: string;
}

export interface Placement {
  target: string;
  mountpath: string;
}

export class SimPlacement {
  private constructor(
    readonly hrw: Hrw,
    readonly targets: readonly Candidate[],
    readonly mountpaths: ReadonlyMap<string, readonly Candidate[]>,
  ) {}

  static async create(specs: readonly SimNodeSpec[]): Promise<SimPlacement> {
    const hrw = await Hrw.create();
    const targets = specs.filter((s) => s.role === 'target');
    const mps = new Map<string, Candidate[]>();
    for (const t of targets) mps.set(t.id, Object.keys(t.cfg.fspaths ?? {}).map((p) => ({ id: p, digest: hrw.digest(p) })));
    return new SimPlacement(hrw, targets.map((t) => ({ id: t.id, digest: hrw.digest(t.id) })), mps);
  }

  /** The target and mountpath of `name` in `bucket` (every target in the Smap). */
  locate(bucket: string, name: string): Placement {
    const uname = bckUname(SIM_PROVIDER, bucket) + name;
    const t = this.hrw.select(this.targets, uname)!;
    const mp = this.hrw.select(this.mountpaths.get(t.id) ?? [], uname)!;
    return { target: t.id, mountpath: mp.id };
  }
}
