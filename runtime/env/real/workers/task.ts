// The piscina worker: one task = one whole buffer to checksum, compress or decompress. Results that
// are bytes travel back by transfer (no structured clone of a 64 MiB buffer).
import { move } from 'piscina';
import type { CksumType } from '../../../../protocol/apc.ts';
import { type Codec, cksumInline, compressInline, decompressInline } from './ops.ts';
import { type HashStepTask, hashStep } from './stream-hash.ts';

export type WorkerTask =
  | { op: 'cksum'; type: CksumType; data: Uint8Array }
  | { op: 'compress' | 'decompress'; codec: Codec; data: Uint8Array }
  | HashStepTask;

/** A view that owns its whole ArrayBuffer can be transferred; otherwise (zlib's pooled Buffers) copy it. */
function ownBuffer(u: Uint8Array): Uint8Array {
  if (u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer) return u;
  return new Uint8Array(u);
}

export default async function run(task: WorkerTask): Promise<string | Uint8Array> {
  if (task.op === 'cksum') return cksumInline(task.type, task.data);
  if (task.op === 'hash') return hashStep(task);
  const out = task.op === 'compress' ? await compressInline(task.codec, task.data) : await decompressInline(task.codec, task.data);
  return move(ownBuffer(out)) as Uint8Array;
}
