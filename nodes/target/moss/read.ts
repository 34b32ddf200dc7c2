// Reading one GetBatch item: an object (or a byte range of it), or a file inside a shard (archpath,
// range over the extracted file), from local storage or from a neighbour target (get-from-neighbor
// over the rebalance GFN messages). Both go through a RandomAccess, so the archive readers and the
// range rules are the same wherever the bytes are.
import { Readable } from 'node:stream';
import { ErrNotFound, ErrObjNotFound } from '../../../protocol/errors.ts';
import { checkRange, type MossItem } from '../../../protocol/moss.ts';
import { RebMsg, type GfnGetReply, type GfnGetReq, type GfnHeadReply, type GfnMeta, type GfnReq } from '../../../protocol/reb.ts';
import { rebTargets, type Snode } from '../../../protocol/smap.ts';
import type { Workers } from '../../../runtime/env/types.ts';
import { findArchived, shardKey, type CachedFile, type RandomAccess, type ShardCache } from '../../../runtime/archive/index.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { Storage } from '../storage/storage.ts';

/** Items (or ranges) up to this size are read into one buffer; bigger ones are streamed. */
export const MOSS_SMALL_READ_BYTES = 1024 * 1024;
/** Bytes per neighbour read request (one message each way). */
export const MOSS_GFN_CHUNK_BYTES = 4 * 1024 * 1024;
export const MOSS_GFN_TIMEOUT_MS = 10_000;

/** An item ready to be archived: its size and its bytes (in memory or streamed). */
export interface ItemSource {
  size: number;
  mtimeMs: number;
  data?: Uint8Array;
  stream?: Readable;
}

function notFound(it: MossItem): ErrObjNotFound {
  return new ErrObjNotFound(`${it.bck.provider}://${it.bck.name}`, it.objname);
}

async function concat(r: Readable): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A local object as a RandomAccess over `Storage.get` ranges; undefined when not here. */
export function localAccess(storage: Storage, it: MossItem): { ra: RandomAccess; mtimeMs: number } | undefined {
  const meta = storage.head(it.bck, it.objname);
  if (meta === undefined) return undefined;
  const get = async (start: number, end: number): Promise<Readable | Uint8Array> => {
    if (end <= start) return new Uint8Array(0);
    const got = await storage.get(it.bck, it.objname, { start, end: end - 1 });
    return got.data ?? got.stream!;
  };
  const ra: RandomAccess = {
    size: meta.size,
    async read(start, length) {
      const r = await get(start, start + length);
      return r instanceof Uint8Array ? r : concat(r);
    },
    stream(start = 0, end = meta.size) {
      return Readable.from(
        (async function* () {
          const r = await get(start, end);
          if (r instanceof Uint8Array) yield r;
          else yield* r;
        })(),
        { objectMode: false },
      );
    },
  };
  return { ra, mtimeMs: meta.mtimeMs };
}

/** The item out of its object's bytes: the range rules, and the archived file when `archpath` is set. */
export async function itemFrom(workers: Workers, it: MossItem, ra: RandomAccess, mtimeMs: number, shards?: ShardCache): Promise<ItemSource> {
  if (it.archpath !== '') {
    const bucket = `${it.bck.provider}://${it.bck.name}`;
    // coloc 2: the shard (this version of it) is opened once per work item, not once per member.
    const f: CachedFile | undefined = shards
      ? await shards.find(workers, shardKey(bucket, it.objname, ra.size, mtimeMs), it.objname, ra, it.archpath)
      : await findArchived(workers, it.objname, ra, it.archpath);
    if (f === undefined) throw new ErrNotFound(`archived file "${it.archpath}" does not exist in ${bucket}/${it.objname}`);
    const { off, len } = checkRange(it.start, it.length, f.size);
    if (f.read && len <= MOSS_SMALL_READ_BYTES) return { size: len, mtimeMs, data: await f.read(off, off + len) };
    return { size: len, mtimeMs, stream: f.open(off, off + len) };
  }
  const { off, len } = checkRange(it.start, it.length, ra.size);
  if (len <= MOSS_SMALL_READ_BYTES) return { size: len, mtimeMs, data: len === 0 ? new Uint8Array(0) : await ra.read(off, len) };
  return { size: len, mtimeMs, stream: ra.stream(off, off + len) };
}

/** The item from this target's storage; ErrObjNotFound when the object is not here. */
export async function readLocal(storage: Storage, workers: Workers, it: MossItem, shards?: ShardCache): Promise<ItemSource> {
  if (it.archpath === '') return readObject(storage, it);
  const loc = localAccess(storage, it);
  if (loc === undefined) throw notFound(it);
  return itemFrom(workers, it, loc.ra, loc.mtimeMs, shards);
}

/**
 * A whole object or a range of it with one metadata lookup (the per-item cost of a batch of small
 * objects is mostly lookups: head, then get, each HRW + index read + LOM decode).
 */
async function readObject(storage: Storage, it: MossItem): Promise<ItemSource> {
  let len = 0;
  let got;
  try {
    got = await storage.read(it.bck, it.objname, (meta) => {
      const r = checkRange(it.start, it.length, meta.size);
      len = r.len;
      if (r.len === 0) return null;
      return r.off === 0 && r.len === meta.size ? undefined : { start: r.off, end: r.off + r.len - 1 };
    });
  } catch (e) {
    if ((e as { tcode?: string }).tcode === 'ErrObjNotFound') throw notFound(it);
    throw e;
  }
  const { mtimeMs } = got.meta;
  if (got.data) return { size: len, mtimeMs, data: len === 0 ? new Uint8Array(0) : got.data };
  if (len <= MOSS_SMALL_READ_BYTES) return { size: len, mtimeMs, data: await concat(got.stream!) };
  return { size: len, mtimeMs, stream: got.stream! };
}

/** A neighbour's copy as a RandomAccess over `reb.gfn.get` requests. */
function neighbourAccess(core: NodeCore, t: Snode, it: MossItem, meta: GfnMeta): RandomAccess {
  const url = t.intra_data_net.direct_url;
  const req = (off: number, len: number) =>
    core.data
      .request<GfnGetReply>(url, RebMsg.gfnGet, { bck: it.bck, name: it.objname, off, len, mtimeMs: meta.mtimeMs } satisfies GfnGetReq, { timeoutMs: MOSS_GFN_TIMEOUT_MS })
      .then((r) => r.data);
  async function* chunks(start: number, end: number): AsyncGenerator<Uint8Array> {
    for (let off = start; off < end; off += MOSS_GFN_CHUNK_BYTES) yield await req(off, Math.min(MOSS_GFN_CHUNK_BYTES, end - off));
  }
  return {
    size: meta.size,
    async read(start, length) {
      const parts: Uint8Array[] = [];
      for await (const c of chunks(start, start + length)) parts.push(c);
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
    stream(start = 0, end = meta.size) {
      return Readable.from(chunks(start, end), { objectMode: false });
    },
  };
}

/**
 * Get-from-neighbor for GetBatch: the newest copy among the other targets, the item's owner included
 * (not `skip`: targets that did not answer before). Undefined when no one has it; `unreachable` hears
 * of each target that could not be asked.
 */
export async function readNeighbour(
  core: NodeCore,
  workers: Workers,
  it: MossItem,
  skip: ReadonlySet<string>,
  unreachable: (id: string) => void = () => {},
  shards?: ShardCache,
): Promise<ItemSource | undefined> {
  const smap = core.owner.smap;
  if (smap === undefined) return undefined;
  const peers = rebTargets(smap).filter((t) => t.daemon_id !== core.id && !skip.has(t.daemon_id));
  const found = await Promise.all(
    peers.map((t) =>
      core.ctrl
        .request<GfnHeadReply>(t.intra_control_net.direct_url, RebMsg.gfnHead, { bck: it.bck, name: it.objname } satisfies GfnReq, { timeoutMs: MOSS_GFN_TIMEOUT_MS })
        .then(
          (r) => (r.meta ? { t, meta: r.meta } : undefined),
          () => void unreachable(t.daemon_id),
        ),
    ),
  );
  let best: { t: Snode; meta: GfnMeta } | undefined;
  for (const f of found) if (f && (!best || f.meta.mtimeMs > best.meta.mtimeMs)) best = f;
  if (best === undefined) return undefined;
  return itemFrom(workers, it, neighbourAccess(core, best.t, it, best.meta), best.meta.mtimeMs, shards);
}
