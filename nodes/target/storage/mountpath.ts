// One mountpath: its directory, its metadata index and its HRW digest (the mountpath for an
// object is chosen by HRW over these digests, as AIS fs.Hrw).
import type { Env, KvIndex } from '../../../runtime/env/types.ts';
import type { Hrw, HrwCandidate } from '../../cluster/hrw.ts';
import { metaDir } from './layout.ts';

export class Mountpath implements HrwCandidate {
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
}
