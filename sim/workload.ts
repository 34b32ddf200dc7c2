// A PRNG-driven object workload against a SimCluster, checking invariants as it goes:
// - every acknowledged PUT reads back the same bytes until deleted; nothing deleted reads back;
// - listings are sorted (UTF-8 byte order, strictly ascending) and, at quiescence, complete and exact.
// Ops run in small concurrent batches on distinct names, so the model is exact without faults.
import { compareUtf8 } from './env/disk.ts';
import type { SimCluster } from './cluster.ts';
import type { SimResult } from './client.ts';

/** Names are drawn from this many (so PUTs overwrite and GETs hit). */
export const WORKLOAD_NAMES_MAX = 64;
export const WORKLOAD_OBJECT_BYTES_MAX = 4096;
export const WORKLOAD_BATCH_OPS_MAX = 4;
/** Virtual think time between batches, drawn in [0, max). */
export const WORKLOAD_PAUSE_MS_MAX = 50;
/** Virtual time one batch may take before the run is declared stuck. */
export const WORKLOAD_BATCH_VIRTUAL_MS_MAX = 120_000;

export class SimInvariantError extends Error {}

export interface WorkloadStats {
  puts: number;
  gets: number;
  deletes: number;
  lists: number;
  bytesPut: number;
}

type Op = { kind: 'put'; name: string; bytes: Uint8Array } | { kind: 'get'; name: string } | { kind: 'delete'; name: string } | { kind: 'list' };

const PREFIXES = ['', 'a/', 'a/b/', 'z/', 'dir-'];

export async function runWorkload(c: SimCluster, opts: { steps: number; bucket: string; pauseMsMax?: number }): Promise<WorkloadStats> {
  const pauseMsMax = opts.pauseMsMax ?? WORKLOAD_PAUSE_MS_MAX;
  const rnd = c.world.random;
  const model = new Map<string, Uint8Array>();
  const stats: WorkloadStats = { puts: 0, gets: 0, deletes: 0, lists: 0, bytesPut: 0 };
  const nameOf = (i: number): string => `${PREFIXES[i % PREFIXES.length]}obj-${String(i).padStart(3, '0')}`;
  const fail = (msg: string): never => {
    throw new SimInvariantError(`seed ${c.seed} at ${c.nowMs.toFixed(3)} virtual ms: ${msg}`);
  };
  const expectStatus = (r: SimResult, ok: number[], what: string): void => {
    if (!ok.includes(r.status)) fail(`${what}: status ${r.status} ${r.text().slice(0, 300)}`);
  };

  let step = 0;
  while (step < opts.steps) {
    const roll = rnd.float();
    if (roll < 0.1) {
      // a listing alone: at quiescence it must be exactly the model
      step++;
      stats.lists++;
      const entries = await c.drive(c.client.list(opts.bucket, { pageSize: rnd.int(2) === 0 ? undefined : 1 + rnd.int(20) }), WORKLOAD_BATCH_VIRTUAL_MS_MAX);
      const names = entries.map((e) => e.name);
      for (let i = 1; i < names.length; i++) {
        if (compareUtf8(names[i - 1]!, names[i]!) >= 0) fail(`listing not sorted: "${names[i - 1]}" then "${names[i]}"`);
      }
      const want = [...model.keys()].sort(compareUtf8);
      if (names.join('\n') !== want.join('\n')) {
        const missing = want.filter((n) => !names.includes(n));
        const extra = names.filter((n) => !model.has(n));
        fail(`listing differs from acknowledged state: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`);
      }
    } else {
      const n = Math.min(opts.steps - step, 1 + rnd.int(WORKLOAD_BATCH_OPS_MAX));
      const used = new Set<string>();
      const ops: Op[] = [];
      while (ops.length < n) {
        const name = nameOf(rnd.int(WORKLOAD_NAMES_MAX));
        if (used.has(name)) continue;
        used.add(name);
        const r = rnd.float();
        if (r < 0.45) ops.push({ kind: 'put', name, bytes: rnd.bytes(rnd.int(WORKLOAD_OBJECT_BYTES_MAX + 1)) });
        else if (r < 0.8) ops.push({ kind: 'get', name });
        else ops.push({ kind: 'delete', name });
      }
      step += ops.length;
      const results = await c.drive(Promise.all(ops.map((op) => runOp(c, opts.bucket, op))), WORKLOAD_BATCH_VIRTUAL_MS_MAX);
      ops.forEach((op, i) => {
        const r = results[i]!;
        if (op.kind === 'put') {
          stats.puts++;
          stats.bytesPut += op.bytes.byteLength;
          expectStatus(r, [200], `PUT ${op.name}`);
          model.set(op.name, op.bytes);
        } else if (op.kind === 'get') {
          stats.gets++;
          const want = model.get(op.name);
          if (want === undefined) expectStatus(r, [404], `GET of absent ${op.name}`);
          else {
            expectStatus(r, [200], `GET ${op.name}`);
            if (Buffer.compare(r.body, want) !== 0) fail(`GET ${op.name}: ${r.body.byteLength} bytes differ from the ${want.byteLength} acknowledged`);
          }
        } else if (op.kind === 'delete') {
          stats.deletes++;
          expectStatus(r, model.has(op.name) ? [200] : [200, 404], `DELETE ${op.name}`);
          model.delete(op.name);
        }
      });
    }
    const pause = rnd.float() * pauseMsMax;
    if (pause > 0) await c.runFor(pause);
  }
  return stats;
}

function runOp(c: SimCluster, bck: string, op: Op): Promise<SimResult> {
  switch (op.kind) {
    case 'put':
      return c.client.put(bck, op.name, op.bytes);
    case 'get':
      return c.client.get(bck, op.name);
    case 'delete':
      return c.client.delete(bck, op.name);
    case 'list':
      throw new Error('list runs alone');
  }
}
