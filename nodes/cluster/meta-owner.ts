// Owner of this node's cluster metadata (Smap, BMD, cluster config): versions only grow; anything older
// than what we have is ignored (metasync rule). Each accepted version is persisted to confdir so a
// restarted node starts from what it last knew (AIS .ais.smap / .ais.bmd).
import type { Env } from '../../runtime/env/types.ts';
import type { Smap } from '../../protocol/smap.ts';
import type { BMD } from '../../protocol/bmd.ts';
import type { ClusterConfig } from '../../protocol/config.ts';
import type { Rmd } from '../../protocol/reb.ts';

export type MetaKind = 'smap' | 'bmd' | 'config' | 'rmd';
type MetaOf<K extends MetaKind> = K extends 'smap' ? Smap : K extends 'bmd' ? BMD : K extends 'rmd' ? Rmd : ClusterConfig;

const FILE_NAMES: Record<MetaKind, string> = { smap: '.ais.smap', bmd: '.ais.bmd', config: '.ais.conf', rmd: '.ais.rmd' };
const KINDS: readonly MetaKind[] = ['smap', 'bmd', 'config', 'rmd'];

export type MetaListener<K extends MetaKind> = (next: MetaOf<K>, prev: MetaOf<K> | undefined) => void;

export class MetaOwner {
  readonly #env: Env;
  readonly #confdir: string;
  #smap: Smap | undefined;
  #bmd: BMD | undefined;
  #config: ClusterConfig | undefined;
  #rmd: Rmd | undefined;
  readonly #listeners: { [K in MetaKind]: MetaListener<K>[] } = { smap: [], bmd: [], config: [], rmd: [] };
  /** Persist one version at a time per kind; a newer one queued behind replaces an older pending one. */
  readonly #persisting: Record<MetaKind, Promise<void>> = { smap: Promise.resolve(), bmd: Promise.resolve(), config: Promise.resolve(), rmd: Promise.resolve() };
  /** Version on disk per kind (0: none). */
  readonly #persisted: Record<MetaKind, number> = { smap: 0, bmd: 0, config: 0, rmd: 0 };

  constructor(env: Env, confdir: string) {
    this.#env = env;
    this.#confdir = confdir;
  }

  get smap(): Smap | undefined {
    return this.#smap;
  }
  get bmd(): BMD | undefined {
    return this.#bmd;
  }
  get config(): ClusterConfig | undefined {
    return this.#config;
  }
  get rmd(): Rmd | undefined {
    return this.#rmd;
  }

  get<K extends MetaKind>(kind: K): MetaOf<K> | undefined {
    return (kind === 'smap' ? this.#smap : kind === 'bmd' ? this.#bmd : kind === 'rmd' ? this.#rmd : this.#config) as MetaOf<K> | undefined;
  }

  #set(kind: MetaKind, value: unknown): void {
    if (kind === 'smap') this.#smap = value as Smap;
    else if (kind === 'bmd') this.#bmd = value as BMD;
    else if (kind === 'rmd') this.#rmd = value as Rmd;
    else this.#config = value as ClusterConfig;
  }

  version(kind: MetaKind): number {
    const m = this.get(kind);
    return m === undefined ? 0 : Number(m.version);
  }

  onChange<K extends MetaKind>(kind: K, fn: MetaListener<K>): void {
    (this.#listeners[kind] as MetaListener<K>[]).push(fn);
  }

  /**
   * Installs `next` if it is newer than what we have; returns whether it was accepted. It is made
   * durable first: a version that failed to persist is never served or acted on (a restart would
   * bring back the older one, and versions must never go backwards).
   */
  async apply<K extends MetaKind>(kind: K, next: MetaOf<K>): Promise<boolean> {
    const v = Number(next.version);
    const prev = this.get(kind);
    if (prev !== undefined && v <= Number(prev.version)) return false;
    await this.#persist(kind, next);
    const cur = this.get(kind);
    if (cur !== undefined && v <= Number(cur.version)) return false; // a newer one won meanwhile
    this.#set(kind, next);
    for (const fn of this.#listeners[kind] as MetaListener<K>[]) fn(next, cur);
    return true;
  }

  /** Makes `value` durable without installing it (the primary: persist, metasync, then install). */
  persist<K extends MetaKind>(kind: K, value: MetaOf<K>): Promise<void> {
    return this.#persist(kind, value);
  }

  /** One write at a time per kind, never an older version over a newer one. */
  async #persist(kind: MetaKind, value: { version: string }): Promise<void> {
    const run = async (): Promise<void> => {
      if (Number(value.version) <= this.#persisted[kind]) return;
      await this.#env.disk.writeFileAtomic(`${this.#confdir}/${FILE_NAMES[kind]}`, Buffer.from(JSON.stringify(value)));
      this.#persisted[kind] = Number(value.version);
    };
    const p = this.#persisting[kind].then(run, run);
    this.#persisting[kind] = p.catch(() => undefined);
    await p;
  }

  /** Decommissioned: removes what this node persisted, so a restart starts as a new member. */
  async forget(): Promise<void> {
    for (const kind of KINDS) {
      await this.#persisting[kind];
      await this.#env.disk.unlink(`${this.#confdir}/${FILE_NAMES[kind]}`);
      this.#persisted[kind] = 0;
    }
  }

  /** Loads what this node persisted before a restart (nothing on a first start). */
  async load(): Promise<void> {
    for (const kind of KINDS) {
      const path = `${this.#confdir}/${FILE_NAMES[kind]}`;
      if ((await this.#env.disk.stat(path)) === undefined) continue;
      try {
        const value = JSON.parse(Buffer.from(await this.#env.disk.readFile(path)).toString('utf8')) as { version: string };
        this.#set(kind, value);
        this.#persisted[kind] = Number(value.version);
      } catch (e) {
        this.#env.log.warn({ path, err: (e as Error).message }, 'ignoring unreadable persisted metadata');
      }
    }
  }
}
