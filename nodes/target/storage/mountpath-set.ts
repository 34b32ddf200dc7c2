// The target's mutable set of mountpaths (AIS fs.MFS + ais/fspathrgrp.go): attach, enable, and the
// two-step detach/disable: begin (the mountpath waits, "waiting_dd": no longer chosen by HRW, still
// read) → resilver moves its objects off → finish (it leaves, or joins the disabled list). The set
// is persisted in the target's confdir (AIS keeps it in its VMD), so a restart keeps it.
// Changes are copy-on-write on the StorageCtx arrays: a reader's loop sees one consistent set.
import { posix } from 'node:path';
import { ErrInvalidArgument, ErrNotFound } from '../../../protocol/errors.ts';
import type { Env } from '../../../runtime/env/types.ts';
import type { Hrw } from '../../cluster/hrw.ts';
import { Mutex } from '../../common/mutex.ts';
import type { StorageCtx } from './ctx.ts';
import { Mountpath, type DDAction } from './mountpath.ts';

/** AIS cmn.ValidateMpath: longest mountpath. */
export const MOUNTPATH_LENGTH_MAX = 255;
/** Most mountpaths one target takes, available and disabled together. */
export const MOUNTPATHS_TOTAL_MAX = 128;
/** Polls (and their interval) while index mutations in flight on a leaving mountpath drain. */
export const MOUNTPATH_DRAIN_POLL_MS = 10;
export const MOUNTPATH_DRAIN_POLLS_MAX = 3_000;
export const VMD_FORMAT_V1 = 1;
/** The persisted set, in the target's confdir (AIS: `.ais.vmd` on every mountpath). */
export const VMD_FILE_NAME = '.ais.vmd';

/** AIS apc.MountpathList (`GET /v1/daemon?what=mountpaths`). */
export interface MountpathList {
  available: string[];
  waiting_dd: string[];
  disabled: string[];
}

export interface Vmd {
  format: number;
  /** Attached and enabled (including any that were waiting for detach/disable: they had not left). */
  available: string[];
  disabled: string[];
}

/** AIS cmn.ValidateMpath: absolute, cleaned, not the root, bounded length; returns the clean path. */
export function validateMpath(raw: string): string {
  if (!raw.startsWith('/')) throw new ErrInvalidArgument(`invalid mountpath [${raw}]; mountpath must be an absolute path`);
  const clean = posix.normalize(raw).replace(/\/+$/, '');
  if (clean === '') throw new ErrInvalidArgument(`invalid mountpath [${raw}]; root directory is not a valid mountpath`);
  if (clean.length > MOUNTPATH_LENGTH_MAX) {
    throw new ErrInvalidArgument(`invalid mountpath [${raw}]; mountpath length cannot exceed ${MOUNTPATH_LENGTH_MAX}`);
  }
  return clean;
}

/** AIS cmn.IsNestedMpath: the message when one of two clean paths contains the other. */
export function nestingError(a: string, b: string): string | undefined {
  if (a.length > b.length && a.startsWith(b + '/')) return `mountpath nesting is not permitted: "${a}" contains "${b}"`;
  if (b.length > a.length && b.startsWith(a + '/')) return `mountpath nesting is not permitted: "${b}" contains "${a}"`;
  return undefined;
}

export async function loadVmd(env: Env, path: string): Promise<Vmd | undefined> {
  if ((await env.disk.stat(path)) === undefined) return undefined;
  const v = JSON.parse(Buffer.from(await env.disk.readFile(path)).toString('utf8')) as Partial<Vmd>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  // Ours: a malformed file is a corrupted confdir, refused loudly rather than guessed at.
  if (v.format !== VMD_FORMAT_V1 || !strings(v.available) || !strings(v.disabled)) {
    throw new ErrInvalidArgument(`${path}: not a valid mountpath set (format ${String(v.format)})`);
  }
  return { format: v.format, available: v.available, disabled: v.disabled };
}

export class MountpathSet {
  readonly #env: Env;
  readonly #ctx: StorageCtx;
  readonly #hrw: Hrw;
  readonly #vmdPath: string | undefined;
  readonly #mu = new Mutex();
  #disabled: string[];

  constructor(env: Env, ctx: StorageCtx, hrw: Hrw, disabled: readonly string[], vmdPath: string | undefined) {
    this.#env = env;
    this.#ctx = ctx;
    this.#hrw = hrw;
    this.#disabled = [...disabled];
    this.#vmdPath = vmdPath;
  }

  list(): MountpathList {
    const mps = this.#ctx.mountpaths;
    return {
      available: mps.filter((m) => m.dd === undefined).map((m) => m.path).sort(),
      waiting_dd: mps.filter((m) => m.dd !== undefined).map((m) => m.path).sort(),
      disabled: [...this.#disabled].sort(),
    };
  }

  /** Mountpaths waiting for detach/disable (resilver moves their objects off, then they leave). */
  waitingDD(): Mountpath[] {
    return this.#ctx.mountpaths.filter((m) => m.dd !== undefined);
  }

  /** `attach-mp`: opens a new mountpath and places objects on it; true when the set changed. */
  async attach(raw: string): Promise<boolean> {
    const clean = validateMpath(raw);
    return this.#mu.run(async () => {
      if (this.#disabled.includes(clean)) {
        throw new ErrInvalidArgument(`mountpath ${clean} exists and is currently disabled (hint: did you want to enable it?)`);
      }
      const existing = this.#find(clean);
      if (existing?.dd !== undefined) {
        existing.dd = undefined; // AIS: interrupting the dd-transition, attached again
        this.#publish(this.#ctx.mountpaths);
        return true;
      }
      if (existing) throw new ErrInvalidArgument(`duplicated mountpath ${clean}: already attached`);
      const st = await this.#env.disk.stat(clean);
      if (st === undefined) throw new ErrInvalidArgument(`mountpath ${raw} does not exist`);
      if (!st.isDirectory) throw new ErrInvalidArgument(`mountpath ${raw} is not a directory`);
      for (const other of [...this.#ctx.mountpaths.map((m) => m.path), ...this.#disabled]) {
        const e = nestingError(clean, other);
        if (e) throw new ErrInvalidArgument(e);
      }
      if (this.#ctx.mountpaths.length + this.#disabled.length >= MOUNTPATHS_TOTAL_MAX) {
        throw new ErrInvalidArgument(`cannot attach ${clean}: a target takes at most ${MOUNTPATHS_TOTAL_MAX} mountpaths`);
      }
      const mp = await Mountpath.open(this.#env, this.#hrw, clean);
      this.#publish([...this.#ctx.mountpaths, mp]);
      await this.#persist();
      return true;
    });
  }

  /** `enable-mp`: a disabled mountpath (or one waiting for detach/disable) is available again. */
  async enable(raw: string): Promise<boolean> {
    const clean = validateMpath(raw);
    return this.#mu.run(async () => {
      const existing = this.#find(clean);
      if (existing) {
        if (existing.dd === undefined) return false; // already available: nothing to do (204)
        existing.dd = undefined;
        this.#publish(this.#ctx.mountpaths);
        return true;
      }
      if (!this.#disabled.includes(clean)) throw new ErrNotFound(`mountpath ${raw} does not exist`);
      const mp = await Mountpath.open(this.#env, this.#hrw, clean);
      this.#disabled = this.#disabled.filter((p) => p !== clean);
      this.#publish([...this.#ctx.mountpaths, mp]);
      await this.#persist();
      return true;
    });
  }

  /**
   * Begins `detach-mp` / `disable-mp` (AIS fs.BeginDD): the mountpath stops receiving objects at
   * once. A Mountpath: resilver must move its objects off, then `finishDD`; 'disabled': it was
   * already disabled (detach then drops it at once, disable has nothing to do: 'noop').
   */
  async beginDD(raw: string, action: DDAction): Promise<Mountpath | 'disabled' | 'noop'> {
    const clean = validateMpath(raw);
    return this.#mu.run(async () => {
      const mp = this.#find(clean);
      if (mp === undefined) {
        if (!this.#disabled.includes(clean)) throw new ErrNotFound(`mountpath ${raw} does not exist`);
        if (action === 'disable') return 'noop';
        this.#disabled = this.#disabled.filter((p) => p !== clean);
        await this.#persist();
        return 'disabled';
      }
      const others = this.#ctx.avail.filter((m) => m !== mp).length;
      // Shoal refuses where AIS would disable the whole target: a target keeps one mountpath.
      if (others === 0) throw new ErrInvalidArgument(`cannot ${action} ${clean}: it is the last available mountpath of target ${this.#env.nodeId}`);
      mp.dd = action;
      this.#publish(this.#ctx.mountpaths);
      return mp;
    });
  }

  /** Ends a detach/disable (AIS postDD): the mountpath leaves the read set; its index closes. */
  finishDD(mp: Mountpath): Promise<void> {
    return this.#mu.run(async () => {
      const action = mp.dd;
      if (action === undefined || !this.#ctx.mountpaths.includes(mp)) return; // enabled or attached again meanwhile
      this.#publish(this.#ctx.mountpaths.filter((m) => m !== mp));
      if (action === 'disable') this.#disabled = [...this.#disabled, mp.path];
      this.#ctx.atimes.dropMountpath(mp);
      await this.#persist();
      await this.drained(mp);
      await mp.index.flush();
      await mp.index.close();
      this.#env.log.info({ mountpath: mp.path, action }, 'mountpath left');
    });
  }

  /** A stopped resilver (user abort, AIS ClearDD): the waiting mountpaths are available again. */
  clearDD(): void {
    let changed = false;
    for (const mp of this.#ctx.mountpaths) {
      if (mp.dd === undefined) continue;
      mp.dd = undefined;
      changed = true;
    }
    if (changed) this.#publish(this.#ctx.mountpaths);
  }

  /** Waits (bounded) until no index mutation runs on `mp`; false if some still do. */
  async drained(mp: Mountpath): Promise<boolean> {
    for (let i = 0; i < MOUNTPATH_DRAIN_POLLS_MAX && mp.pins() > 0; i++) await this.#env.timers.sleep(MOUNTPATH_DRAIN_POLL_MS);
    if (mp.pins() > 0) this.#env.log.warn({ mountpath: mp.path, pins: mp.pins() }, 'mountpath still busy');
    return mp.pins() === 0;
  }

  #find(clean: string): Mountpath | undefined {
    return this.#ctx.mountpaths.find((m) => m.path === clean);
  }

  /** Copy-on-write: new arrays for readers and for HRW placement. */
  #publish(mps: readonly Mountpath[]): void {
    this.#ctx.mountpaths = [...mps];
    this.#ctx.avail = mps.filter((m) => m.dd === undefined);
  }

  async #persist(): Promise<void> {
    if (this.#vmdPath === undefined) return;
    const vmd: Vmd = { format: VMD_FORMAT_V1, available: this.#ctx.mountpaths.map((m) => m.path), disabled: this.#disabled };
    await this.#env.disk.writeFileAtomic(this.#vmdPath, Buffer.from(JSON.stringify(vmd)));
  }
}
