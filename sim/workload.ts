// A PRNG-driven object workload against a SimCluster, checking invariants as it goes:
// - a GET that answers 200 returns bytes some PUT of that name may have left (the acknowledged one
//   when the name's history is certain); a certain-present object never reads 404 (stable membership);
// - listings are sorted (UTF-8 byte order, strictly ascending) and never list an acknowledged delete;
// - at quiescence (quiescenceCheck): every acknowledged PUT reads back exactly, the listing is exact.
// Under faults a request may fail (no answer, 5xx): an unacknowledged PUT or DELETE makes the name
// uncertain (old or new state) until the next acknowledged write. Ops of one batch use distinct names.
// A name placed on a lost mountpath (InvariantChecker.isLost) is legitimately lost: its ops may fail,
// read 404 and it may be listed or not, even at quiescence; a 200 must still return a possible state.
import { cksumBuffer, isCksumType } from '../runtime/cksum/cksum.ts';
import { compareUtf8 } from './env/disk.ts';
import { payloadBytes } from './env/random.ts';
import type { SimCluster } from './cluster.ts';
import type { SimResult } from './client.ts';
import type { InvariantChecker } from './invariants.ts';
import type { JobTracker } from './jobs.ts';
import type { GetBatchTracker } from './get-batch.ts';

export { SimInvariantError } from './invariants.ts';

/** Names are drawn from this many (so PUTs overwrite and GETs hit). */
export const WORKLOAD_NAMES_MAX = 64;
export const WORKLOAD_OBJECT_BYTES_MAX = 4096;
export const WORKLOAD_BATCH_OPS_MAX = 4;
/** Virtual think time between batches, drawn in [0, max). */
export const WORKLOAD_PAUSE_MS_MAX = 50;
/** Virtual time one batch may take before the run is declared stuck. */
export const WORKLOAD_BATCH_VIRTUAL_MS_MAX = 120_000;
/** The client gives up on one exchange after this (well under the batch bound). */
export const WORKLOAD_REQUEST_TIMEOUT_MS = 30_000;
/** Invariant sample (every node's Smap/BMD) every this many batches. */
export const WORKLOAD_SAMPLE_EVERY_BATCHES = 8;

export interface WorkloadStats {
  puts: number;
  gets: number;
  deletes: number;
  lists: number;
  bytesPut: number;
  /** Requests that failed (no answer, 5xx) or listings that failed. */
  failed: number;
}

type Op = { kind: 'put'; name: string; bytes: Uint8Array } | { kind: 'get'; name: string } | { kind: 'delete'; name: string };

/** What a name may hold: each entry is possible (null: absent). One entry: certain. */
type Slot = (Uint8Array | null)[];

const PREFIXES = ['', 'a/', 'a/b/', 'z/', 'dir-'];
/** Status of an exchange that got no answer at all (reset, refused, timeout). */
const NO_ANSWER = 0;

function failedStatus(status: number): boolean {
  return status === NO_ANSWER || status >= 500;
}

export class Workload {
  readonly model = new Map<string, Slot>();
  /** Every value ever PUT per name: after a membership change a stale copy may surface (no rebalance yet). */
  readonly #history = new Map<string, Uint8Array[]>();
  /** 404s of names acknowledged present: a violation unless the membership changed (checked after the batch). */
  #suspects: string[] = [];
  readonly stats: WorkloadStats = { puts: 0, gets: 0, deletes: 0, lists: 0, bytesPut: 0, failed: 0 };
  /** Jobs started between batches (copy-bck), told about every write; none when undefined. */
  jobs: JobTracker | undefined;
  /** GetBatch requests between batches (`--get-batch`), none when undefined. */
  getBatch: GetBatchTracker | undefined;
  /**
   * A failed PUT may leave the name absent: when the index write fails after the new file was
   * renamed over the old one, the target drops the object (as AIS does when persisting the LOM
   * fails after RenameFinalize). Set when the fault plan injects index write errors.
   */
  failedPutMayDelete = false;
  /**
   * Names placed on the lost mountpath that still read back at quiescence: 0 unless the sim's
   * placement disagrees with the nodes' (or a mountpath disable re-placed them).
   */
  lostReadable = 0;

  constructor(readonly c: SimCluster, readonly inv: InvariantChecker, readonly bucket: string) {}

  /** Debug aid (SIM_DEBUG_HOLDERS=1): which disks hold a name's file. */
  #holders(name: string): string {
    if (!process.env.SIM_DEBUG_HOLDERS) return '';
    const held = this.c.specs.filter((s) => this.c.world.disk(s.id).filePaths().some((p) => p.endsWith(`/${this.bucket}/%ob/${name}`))).map((s) => s.id);
    return ` [held by: ${held.join(', ') || 'none'}]`;
  }

  fail(msg: string): never {
    return this.inv.fail(msg);
  }

  nameOf(i: number): string {
    return `${PREFIXES[i % PREFIXES.length]}obj-${String(i).padStart(3, '0')}`;
  }

  /** Runs `steps` ops; `faulty` allows failed requests (else any failure is a violation). */
  async run(steps: number, opts: { faulty: boolean; pauseMsMax?: number }): Promise<void> {
    const pauseMsMax = opts.pauseMsMax ?? WORKLOAD_PAUSE_MS_MAX;
    const rnd = this.c.world.random;
    let step = 0;
    let batches = 0;
    while (step < steps) {
      if (rnd.float() < 0.1) {
        step++;
        await this.list(opts.faulty, false, rnd.int(2) === 0 ? undefined : 1 + rnd.int(20));
        await this.jobs?.maybeStart(1, this.model, opts.faulty);
      } else {
        const n = Math.min(steps - step, 1 + rnd.int(WORKLOAD_BATCH_OPS_MAX));
        const used = new Set<string>();
        const ops: Op[] = [];
        while (ops.length < n) {
          const name = this.nameOf(rnd.int(WORKLOAD_NAMES_MAX));
          if (used.has(name)) continue;
          used.add(name);
          const r = rnd.float();
          if (r < 0.45) ops.push({ kind: 'put', name, bytes: payloadBytes(rnd, rnd.int(WORKLOAD_OBJECT_BYTES_MAX + 1)) });
          else if (r < 0.8) ops.push({ kind: 'get', name });
          else ops.push({ kind: 'delete', name });
        }
        step += ops.length;
        for (const op of ops) if (op.kind !== 'get') this.jobs?.noteWrite(op.name);
        const results = await this.c.drive(Promise.all(ops.map((op) => this.#runOp(op))), WORKLOAD_BATCH_VIRTUAL_MS_MAX);
        ops.forEach((op, i) => this.#check(op, results[i]!, opts.faulty));
        await this.#settleSuspects();
        await this.jobs?.pollOpen();
        await this.jobs?.maybeStart(ops.length, this.model, opts.faulty);
        await this.getBatch?.maybeRun(ops.length, opts.faulty);
      }
      if (++batches % WORKLOAD_SAMPLE_EVERY_BATCHES === 0) await this.c.drive(this.inv.sample(), WORKLOAD_BATCH_VIRTUAL_MS_MAX);
      const pause = rnd.float() * pauseMsMax;
      if (pause > 0) await this.c.runFor(pause);
    }
  }

  /** A listing: sorted, no certain-absent name; `exact` (quiescence): every certain-present name too. */
  async list(faulty: boolean, exact: boolean, pageSize?: number): Promise<void> {
    this.stats.lists++;
    let names: string[];
    try {
      const entries = await this.c.drive(this.c.client.list(this.bucket, pageSize === undefined ? {} : { pageSize }), WORKLOAD_BATCH_VIRTUAL_MS_MAX);
      names = entries.map((e) => e.name);
    } catch (e) {
      if (!faulty) this.fail(`list: ${(e as Error).message.slice(0, 300)}`);
      this.stats.failed++;
      return;
    }
    if (this.inv.membershipChanged) return; // without rebalance, copies may be stranded or resurrected
    for (let i = 1; i < names.length; i++) {
      if (compareUtf8(names[i - 1]!, names[i]!) >= 0) this.fail(`listing not sorted: "${names[i - 1]}" then "${names[i]}"`);
    }
    const listed = new Set(names);
    const missing: string[] = [];
    const extra: string[] = [];
    for (const n of names) {
      const slot = this.model.get(n);
      if ((slot === undefined || slot.every((v) => v === null)) && !this.#lost(n)) extra.push(n);
    }
    if (exact && !faulty) {
      for (const [n, slot] of this.model) if (slot.every((v) => v !== null) && !listed.has(n) && !this.#lost(n)) missing.push(n);
    }
    if (missing.length + extra.length > 0) this.fail(`listing differs from acknowledged state: missing [${missing.join(', ')}], listed though deleted/never put [${extra.join(', ')}]`);
  }

  /** What a GET of `name` may return now: any of `values` (stale copies too after an unplanned removal), or 404 when `mayBeAbsent`. */
  possibleStates(name: string): { values: Uint8Array[]; mayBeAbsent: boolean } {
    const slot: Slot = this.model.get(name) ?? [null];
    const stale = this.inv.membershipChanged ? (this.#history.get(name) ?? []) : [];
    return { values: [...slot.filter((v): v is Uint8Array => v !== null), ...stale], mayBeAbsent: slot.includes(null) };
  }

  /** Names of the model placed on the lost mountpath (exempt from the data checks). */
  lostNames(): string[] {
    return [...this.model.keys()].filter((n) => this.#lost(n)).sort(compareUtf8);
  }

  #lost(name: string): boolean {
    return this.inv.lost !== undefined && this.inv.isLost(this.bucket, name);
  }

  /** Quiescence: every name reads back its acknowledged state; the listing is exact. */
  async quiescenceCheck(): Promise<void> {
    const names = [...this.model.keys()].sort(compareUtf8);
    for (const name of names) {
      const r = await this.c.drive(this.#runOp({ kind: 'get', name }), WORKLOAD_BATCH_VIRTUAL_MS_MAX);
      this.#check({ kind: 'get', name }, r, false);
      if (r.status === 200) await this.#checkCksum(name, r);
      if (r.status === 200 && this.#lost(name)) this.lostReadable++;
    }
    await this.#settleSuspects();
    await this.list(false, true);
  }

  /** The checksum the target answers with is the checksum of the bytes it returned. */
  async #checkCksum(name: string, r: SimResult): Promise<void> {
    const type = r.headers['ais-checksum-type'];
    const value = r.headers['ais-checksum-value'];
    if (typeof type !== 'string' || typeof value !== 'string' || type === 'none' || !isCksumType(type)) return;
    const got = await cksumBuffer(type, r.body);
    if (got !== value) this.fail(`GET ${name}: ${type} checksum header ${value} but the bytes hash to ${got}`);
  }

  /** A fresh sample tells whether a node left the Smap (then a 404 may be a stranded copy). */
  async #settleSuspects(): Promise<void> {
    if (this.#suspects.length === 0) return;
    const suspects = this.#suspects;
    this.#suspects = [];
    if (!this.inv.membershipChanged) await this.c.drive(this.inv.sample(), WORKLOAD_BATCH_VIRTUAL_MS_MAX);
    if (!this.inv.membershipChanged) this.fail(suspects.join('; '));
  }

  async #runOp(op: Op): Promise<SimResult> {
    const cl = this.c.client;
    try {
      switch (op.kind) {
        case 'put':
          return await cl.put(this.bucket, op.name, op.bytes);
        case 'get':
          return await cl.get(this.bucket, op.name);
        case 'delete':
          return await cl.delete(this.bucket, op.name);
      }
    } catch (e) {
      const text = (e as Error).message;
      return { status: NO_ANSWER, headers: {}, body: Buffer.alloc(0), text: () => text };
    }
  }

  #check(op: Op, r: SimResult, faultyRun: boolean): void {
    const slot: Slot = this.model.get(op.name) ?? [null];
    const failed = failedStatus(r.status);
    const lost = this.#lost(op.name);
    const faulty = faultyRun || lost; // a lost name's requests may fail even at quiescence
    if (failed) {
      this.stats.failed++;
      if (!faulty) this.fail(`${op.kind.toUpperCase()} ${op.name}: status ${r.status} ${r.text().slice(0, 300)}`);
    }
    switch (op.kind) {
      case 'put':
        this.stats.puts++;
        this.stats.bytesPut += op.bytes.byteLength;
        if (r.status === 200 || failed) {
          const h = this.#history.get(op.name) ?? [];
          h.push(op.bytes);
          this.#history.set(op.name, h);
        }
        if (r.status === 200) this.model.set(op.name, [op.bytes]);
        else if (failed) this.model.set(op.name, this.failedPutMayDelete && !slot.includes(null) ? [...slot, op.bytes, null] : [...slot, op.bytes]);
        else this.fail(`PUT ${op.name}: status ${r.status} ${r.text().slice(0, 300)}`);
        return;
      case 'delete':
        this.stats.deletes++;
        if (r.status === 200 || r.status === 404) {
          if (r.status === 404 && !slot.includes(null) && !this.inv.membershipChanged && !lost) this.#suspects.push(`DELETE ${op.name}: 404 though acknowledged present: ${r.text().slice(-80)}${this.#holders(op.name)}`);
          this.model.set(op.name, [null]);
        } else if (failed) this.model.set(op.name, [...slot, null]);
        else this.fail(`DELETE ${op.name}: status ${r.status} ${r.text().slice(0, 300)}`);
        return;
      case 'get': {
        this.stats.gets++;
        if (failed) return;
        if (r.status === 404) {
          if (!slot.includes(null) && !this.inv.membershipChanged && !lost) this.#suspects.push(`GET ${op.name}: 404 though acknowledged present (${slot.length} possible states): ${r.text().slice(0, 200)}`);
          return;
        }
        if (r.status !== 200) this.fail(`GET ${op.name}: status ${r.status} ${r.text().slice(0, 300)}`);
        const stale = this.inv.membershipChanged ? (this.#history.get(op.name) ?? []) : [];
        if (![...slot, ...stale].some((v) => v !== null && Buffer.compare(r.body, v) === 0)) {
          const want = slot.find((v) => v !== null);
          this.fail(`GET ${op.name}: ${r.body.byteLength} bytes match no acknowledged or in-doubt PUT (${want ? `acknowledged ${want.byteLength} bytes` : 'acknowledged absent'})`);
        }
        return;
      }
    }
  }
}
