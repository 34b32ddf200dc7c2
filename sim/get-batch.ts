// GetBatch (AIS `x-moss`, issue 7) in the seeded workload: now and then, between workload batches,
// a `GET /v1/ml/moss` through the real proxy for a shuffled list of names from two buckets (the
// workload's and a small fixed one), some of them missing, as `.tar`, streamed or multipart, with or
// without `coer` — while the membership driver and the fault plan rebalance, isolate and crash
// targets. The checker parses the archive itself (a tiny tar reader, not the code under test):
// - a 200 holds exactly the asked items, in request order, each with bytes some PUT of that name may
//   have left, or (with coer) a zero-size `__404__/<name>` only where the name may be absent — or,
//   under faults/unplanned removals/lost mountpaths, where its only copy may be unreachable;
// - a streamed 200 may be cut short (the DT aborts it): what arrived must be a correct prefix;
// - anything else is a clean refusal: 404 (a missing item without coer), 429 (DT overloaded), or,
//   with faults or membership changes, 5xx / no answer; never another 4xx, never a hang (the DT
//   gives up on silent senders after `get_batch.max_wait`: a request not done within
//   GB_REQUEST_VIRTUAL_MS_MAX while its DT kept running is a violation).
// Own PRNG stream (`get-batch`): turning it on does not shift the workload's draws.
import { parseMultipart } from '../nodes/target/moss/multipart.ts';
import { SimRandom, payloadBytes } from './env/random.ts';
import type { SimCluster } from './cluster.ts';
import type { InvariantChecker } from './invariants.ts';
import type { Workload } from './workload.ts';

/** The second bucket: names put once at setup, never written again. */
export const GB_BUCKET = 'simgb';
export const GB_FIXED_OBJECTS = 12;
export const GB_OBJECT_BYTES_MAX = 3000;
/** Requests per run at most, and the mean workload steps between two. */
export const GB_PER_RUN_MAX = 16;
export const GB_MEAN_STEPS = 20;
export const GB_ITEMS_MAX = 16;
/** One request, redirect and whole body included (well over the DT's max_wait of 20 s). */
export const GB_REQUEST_VIRTUAL_MS_MAX = 90_000;
/** AIS get_batch.max_soft_errs default: with coer, more missing items than this fail the request (AIS counts each as a soft error). */
export const GB_MAX_SOFT_ERRS = 8;
/** Virtual time after the final batch before the work-file check (the DT removes its spool file asynchronously). */
export const GB_SETTLE_MS = 2_000;
/** After a membership change or crash was seen, requests come more often for this long (the rebalance it started runs on). */
export const GB_HOT_MS = 3_000;
/** Probability of a request after a batch while hot (else steps ÷ GB_MEAN_STEPS). */
export const GB_HOT_P = 0.5;
/** Names that were never put (missing items). */
const MISSING_PREFIX = 'gb-nope-';
const TAR_BLOCK = 512;

export interface GetBatchStats {
  requests: number;
  /** 200 with every item (streamed or multipart). */
  ok: number;
  /** Items checked byte for byte. */
  itemsChecked: number;
  /** `__404__` entries (coer): of names that may be absent / of names only unreachable (relaxed). */
  missingEntries: number;
  missingRelaxed: number;
  /** Streams cut short after a correct prefix. */
  cut: number;
  /** Clean refusals by status, and requests with no (complete) answer. */
  status404: number;
  status429: number;
  status5xx: number;
  noAnswer: number;
  /** Requests issued while a membership change ran / while a target was crashed or isolated. */
  duringMembership: number;
  duringOutage: number;
  /** … or within GB_HOT_MS after one (its rebalance, the node's restart). */
  afterChange: number;
  /** Quiescence: a final batch of every certain name read back exactly. */
  finalItems: number;
}

export interface TarEntry {
  name: string;
  data: Buffer;
}

/** The entries of a tar (ustar, pax `path`, GNU long names); `complete`: the end-of-archive block was seen. */
export function readTar(buf: Buffer): { entries: TarEntry[]; complete: boolean } {
  const entries: TarEntry[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + TAR_BLOCK <= buf.length) {
    const h = buf.subarray(at, at + TAR_BLOCK);
    if (h.every((b) => b === 0)) return { entries, complete: true };
    const field = (off: number, len: number): string => {
      const s = h.subarray(off, off + len);
      const z = s.indexOf(0);
      return s.subarray(0, z < 0 ? len : z).toString('utf8');
    };
    const sizeText = field(124, 12).trim();
    const size = sizeText === '' ? 0 : parseInt(sizeText, 8);
    if (!Number.isFinite(size)) throw new Error(`tar: bad size field "${sizeText}" at ${at}`);
    const sum = [...h].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 32 : b), 0);
    if (sum !== parseInt(field(148, 8).trim(), 8)) throw new Error(`tar: header checksum mismatch at ${at}`);
    const type = String.fromCharCode(h[156]!);
    const dataAt = at + TAR_BLOCK;
    if (dataAt + size > buf.length) break; // cut inside this entry
    const data = buf.subarray(dataAt, dataAt + size);
    at = dataAt + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) longName = m[1]!;
      continue;
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'g' || type === '5') continue;
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    entries.push({ name, data });
  }
  return { entries, complete: false };
}

interface Item {
  bucket: string;
  name: string;
}

/** What an item may be: any of `values`, or absent when `mayBeAbsent`. */
interface Possible {
  values: Uint8Array[];
  mayBeAbsent: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body did not end (read error, reset, or the bound hit). */
  broken: string | undefined;
  dt: string | undefined;
  /** The DT's incarnation when the proxy redirected to it. */
  dtInc: number | undefined;
}

export class GetBatchTracker {
  readonly stats: GetBatchStats = {
    requests: 0, ok: 0, itemsChecked: 0, missingEntries: 0, missingRelaxed: 0, cut: 0,
    status404: 0, status429: 0, status5xx: 0, noAnswer: 0, duringMembership: 0, duringOutage: 0, afterChange: 0, finalItems: 0,
  };
  /** Fixed bucket: name → what it may hold (a failed setup PUT leaves it in doubt). */
  readonly fixed = new Map<string, Possible>();
  readonly #rnd: SimRandom;
  #hotUntilMs = -1;
  /** Set by the run: is a membership change running now? */
  membershipBusy: () => boolean = () => false;
  /** Set by the run: is a target crashed or isolated now? */
  outage: () => boolean = () => false;

  constructor(readonly c: SimCluster, readonly inv: InvariantChecker, readonly w: Workload) {
    this.#rnd = SimRandom.stream(c.seed, 'get-batch');
  }

  /** Creates the second bucket and puts its objects (before faults start). */
  async setup(): Promise<void> {
    const r = await this.c.drive(this.c.client.createBucket(GB_BUCKET));
    if (r.status !== 200) throw new Error(`create bucket ${GB_BUCKET}: ${r.status} ${r.text()}`);
    for (let i = 0; i < GB_FIXED_OBJECTS; i++) {
      const name = `shard-${String(i).padStart(2, '0')}/sample.bin`;
      const bytes = payloadBytes(this.#rnd, this.#rnd.int(GB_OBJECT_BYTES_MAX + 1));
      const p = await this.c.drive(this.c.client.put(GB_BUCKET, name, bytes));
      this.fixed.set(name, p.status === 200 ? { values: [bytes], mayBeAbsent: false } : { values: [bytes], mayBeAbsent: true });
    }
  }

  /** After a workload batch of `steps` ops: maybe one GetBatch. */
  async maybeRun(steps: number, faulty: boolean): Promise<void> {
    if (this.stats.requests >= GB_PER_RUN_MAX) return;
    // aim at the interesting windows: while a membership change (and its rebalance) or a target loss runs
    if (this.membershipBusy() || this.outage()) this.#hotUntilMs = this.c.nowMs + GB_HOT_MS;
    const p = this.c.nowMs < this.#hotUntilMs ? GB_HOT_P : steps / GB_MEAN_STEPS;
    if (this.#rnd.float() >= p) return;
    const items = this.#drawItems();
    const coer = this.#rnd.float() < 0.6;
    const strm = this.#rnd.float() < 0.5;
    const onob = this.#rnd.float() < 0.2;
    await this.request(items, { coer, strm, onob }, faulty);
  }

  #drawItems(): Item[] {
    const rnd = this.#rnd;
    const pool: Item[] = [
      ...[...this.w.model.keys()].map((name) => ({ bucket: this.w.bucket, name })),
      ...[...this.fixed.keys()].map((name) => ({ bucket: GB_BUCKET, name })),
    ];
    const n = 1 + rnd.int(GB_ITEMS_MAX);
    const out: Item[] = [];
    for (let i = 0; i < n; i++) {
      if (pool.length === 0 || rnd.float() < 0.08) out.push({ bucket: rnd.int(2) === 0 ? this.w.bucket : GB_BUCKET, name: `${MISSING_PREFIX}${rnd.int(1000)}` });
      else out.push(pool[rnd.int(pool.length)]!); // repeats allowed: the DT must emit each occurrence
    }
    return out;
  }

  #possible(it: Item): Possible {
    if (it.name.startsWith(MISSING_PREFIX)) return { values: [], mayBeAbsent: true };
    if (it.bucket === GB_BUCKET) return this.fixed.get(it.name)!;
    return this.w.possibleStates(it.name);
  }

  /** Its only copy may be out of reach: faults, an unplanned removal, or a lost mountpath. */
  #relaxed(it: Item, faulty: boolean): boolean {
    return faulty || this.inv.membershipChanged || (this.inv.lost !== undefined && this.inv.isLost(it.bucket, it.name));
  }

  async request(items: Item[], o: { coer: boolean; strm: boolean; onob: boolean }, faulty: boolean, final = false): Promise<void> {
    this.stats.requests++;
    if (!final && this.membershipBusy()) this.stats.duringMembership++;
    if (!final && this.outage()) this.stats.duringOutage++;
    if (!final && !this.membershipBusy() && !this.outage() && this.c.nowMs < this.#hotUntilMs) this.stats.afterChange++;
    const req = { mime: '.tar', coer: o.coer, strm: o.strm, onob: o.onob, in: items.map((it) => ({ objname: it.name, bucket: it.bucket })) };
    const what = `GetBatch #${this.stats.requests} (${items.length} items, strm ${o.strm}, coer ${o.coer}, onob ${o.onob})`;
    const a = await this.c.drive(this.#send(Buffer.from(JSON.stringify(req))), GB_REQUEST_VIRTUAL_MS_MAX + 10_000);
    const membershipOn = this.inv.plannedMembership;
    if (a.broken?.startsWith('hang') && a.dt !== undefined && this.#dtKeptRunning(a.dt, a.dtInc)) {
      this.inv.fail(`${what}: status ${a.status}, no complete answer within ${GB_REQUEST_VIRTUAL_MS_MAX} virtual ms though its DT ${a.dt} kept running (${a.body.length} bytes arrived)`);
    }
    if (a.broken !== undefined && a.status === 0) {
      this.stats.noAnswer++;
      if (!faulty && !membershipOn) this.inv.fail(`${what}: no answer (${a.broken})`);
      return;
    }
    const text = (): string => a.body.toString('utf8').slice(0, 300);
    // AIS counts every missing item (coer) as a soft error: past the limit the request fails
    const overSoft = o.coer && items.filter((it) => this.#possible(it).mayBeAbsent || this.#relaxed(it, faulty)).length > GB_MAX_SOFT_ERRS;
    if (a.status === 429) {
      this.stats.status429++;
      return;
    }
    if (a.status >= 500) {
      this.stats.status5xx++;
      if (!faulty && !membershipOn && !overSoft) this.inv.fail(`${what}: status ${a.status} without faults: ${text()}`);
      return;
    }
    if (a.status === 404) {
      this.stats.status404++;
      if (o.coer) {
        if (!items.some((it) => this.#relaxed(it, faulty))) this.inv.fail(`${what}: 404 with coer: ${text()}`);
        return;
      }
      if (!items.some((it) => this.#possible(it).mayBeAbsent || this.#relaxed(it, faulty))) this.inv.fail(`${what}: 404 though every item is acknowledged present: ${text()}`);
      return;
    }
    if (a.status !== 200) this.inv.fail(`${what}: status ${a.status}: ${text()}`);
    let archive = a.body;
    let meta: { uuid?: string; out?: { objname: string; bucket: string; size: number; err_msg?: string }[] } | undefined;
    if (!o.strm) {
      if (a.broken !== undefined) {
        // the multipart answer is spooled first: a body cut short is a connection lost on the way
        this.stats.noAnswer++;
        if (!faulty && !membershipOn) this.inv.fail(`${what}: multipart body broken: ${a.broken}`);
        return;
      }
      const ct = String(a.headers['content-type'] ?? '');
      const m = /boundary=("?)([^";]+)\1/.exec(ct);
      if (!ct.startsWith('multipart/mixed') || !m) this.inv.fail(`${what}: strm false answered content-type "${ct}"`);
      const parts = parseMultipart(a.body, m![2]!);
      const metaPart = parts.find((p) => /name="metadata"/.test(p.headers['content-disposition'] ?? ''));
      const dataPart = parts.find((p) => /name="archive"/.test(p.headers['content-disposition'] ?? ''));
      if (!metaPart || !dataPart || parts.indexOf(metaPart) !== 0) this.inv.fail(`${what}: multipart parts [${parts.map((p) => p.headers['content-disposition']).join(' | ')}]: expected metadata then archive`);
      meta = JSON.parse(metaPart!.data.toString('utf8')) as typeof meta;
      archive = dataPart!.data;
    }
    let tar: { entries: TarEntry[]; complete: boolean };
    try {
      tar = readTar(archive);
    } catch (e) {
      return this.inv.fail(`${what}: archive does not parse: ${(e as Error).message}`);
    }
    const cut = !tar.complete || a.broken !== undefined;
    if (cut && !o.strm) this.inv.fail(`${what}: multipart archive incomplete (${tar.entries.length} of ${items.length} entries)`);
    if (tar.entries.length > items.length || (!cut && tar.entries.length !== items.length)) {
      this.inv.fail(`${what}: ${tar.entries.length} entries for ${items.length} items: [${tar.entries.map((e) => e.name).slice(0, 20).join(', ')}]`);
    }
    if (meta !== undefined && (meta.out?.length ?? -1) !== items.length) this.inv.fail(`${what}: metadata has ${meta.out?.length} outputs for ${items.length} items`);
    tar.entries.forEach((e, i) => {
      const it = items[i]!;
      const want = o.onob ? it.name : `${it.bucket}/${it.name}`;
      const p = this.#possible(it);
      const mo = meta?.out?.[i];
      if (mo !== undefined && (mo.objname !== it.name || mo.bucket !== it.bucket || mo.size !== e.data.length)) {
        this.inv.fail(`${what}: metadata out[${i}] ${JSON.stringify(mo)} for item ${it.bucket}/${it.name} (entry ${e.data.length} bytes)`);
      }
      if (e.name === `__404__/${want}`) {
        if (!o.coer) this.inv.fail(`${what}: entry ${i} "${e.name}" without coer`);
        if (e.data.length !== 0) this.inv.fail(`${what}: missing entry ${i} "${e.name}" has ${e.data.length} bytes`);
        if (mo !== undefined && !mo.err_msg) this.inv.fail(`${what}: missing entry ${i} "${e.name}" has no err_msg in the metadata`);
        this.stats.missingEntries++;
        if (p.mayBeAbsent) return;
        if (!this.#relaxed(it, faulty)) this.inv.fail(`${what}: item ${i} ${it.bucket}/${it.name} is acknowledged present but came back as "${e.name}"`);
        this.stats.missingRelaxed++;
        return;
      }
      if (e.name !== want) this.inv.fail(`${what}: entry ${i} is "${e.name}", expected "${want}" (request order)`);
      if (mo?.err_msg) this.inv.fail(`${what}: entry ${i} "${e.name}" has data but err_msg "${mo.err_msg}"`);
      if (!p.values.some((v) => Buffer.compare(e.data, v) === 0)) {
        this.inv.fail(`${what}: entry ${i} "${e.name}": ${e.data.length} bytes match no acknowledged or in-doubt PUT (${p.values.map((v) => v.byteLength).join('/') || 'none'} possible)`);
      }
      this.stats.itemsChecked++;
    });
    if (cut && !faulty && !membershipOn) {
      // without faults a stream is cut only at an item that is missing (no coer)
      const rest = items.slice(tar.entries.length);
      if (o.coer ? !overSoft : !rest.some((it) => this.#possible(it).mayBeAbsent || this.#relaxed(it, faulty))) {
        this.inv.fail(`${what}: stream cut after ${tar.entries.length} entries without a missing item to explain it (${a.broken ?? 'no end-of-archive'})`);
      }
    }
    if (final) this.stats.finalItems += tar.entries.length;
    if (cut) this.stats.cut++;
    else this.stats.ok++;
  }

  /**
   * The DT neither crashed (same incarnation) nor left while the request ran. A crashed DT's body
   * stream just stops in the sim (a real client would see a reset): the bound ends it.
   */
  #dtKeptRunning(dt: string, inc: number | undefined): boolean {
    return this.c.nodes.has(dt) && !this.c.crashed.has(dt) && !this.c.departed.has(dt) && this.c.world.net.incarnationOf(dt) === inc;
  }

  /** The request through the proxy, the 307 followed (body sent again, as Go's client does), the body read within the bound. */
  async #send(body: Buffer): Promise<Answer> {
    const net = this.c.world.net;
    const sched = this.c.world.sched;
    const deadline = this.c.nowMs + GB_REQUEST_VIRTUAL_MS_MAX;
    let url = `${this.c.proxyUrl}/v1/ml/moss`;
    let dt: string | undefined;
    let dtInc: number | undefined;
    const headers = { 'content-type': 'application/json', 'content-length': String(body.byteLength) };
    for (let hop = 0; hop < 3; hop++) {
      const left = Math.max(1, deadline - this.c.nowMs);
      let res;
      try {
        res = await net.request('client', { method: 'GET', url, headers, body, timeoutMs: left });
      } catch (e) {
        return { status: 0, headers: {}, body: Buffer.alloc(0), broken: (e as Error).message, dt, dtInc };
      }
      const location = res.headers['location'];
      if (res.status === 307 && typeof location === 'string') {
        res.body.destroy();
        url = location;
        dt = /[?&]tid=([^&]+)/.exec(location)?.[1];
        if (dt !== undefined) dtInc = net.incarnationOf(dt);
        continue;
      }
      // read the body, bounded: a DT that crashed mid-stream never ends it (a real client sees a reset)
      const chunks: Buffer[] = [];
      // destroyed before it reached us (the DT aborted the stream in flight): a reset for a real client
      if (res.body.destroyed && !res.body.readableEnded) {
        return { status: res.status, headers: res.headers, body: Buffer.alloc(0), broken: `body destroyed before it was read: ${res.body.errored?.message ?? 'no error'}`, dt, dtInc };
      }
      const broken = await new Promise<string | undefined>((resolve) => {
        let done = false;
        const finish = (why: string | undefined): void => {
          if (done) return;
          done = true;
          sched.cancel(timer);
          resolve(why);
        };
        const timer = sched.after(Math.max(1, deadline - this.c.nowMs), 'client', 'gb.timeout', () => {
          finish(`hang: body not ended within ${GB_REQUEST_VIRTUAL_MS_MAX} virtual ms`);
          res.body.destroy();
        });
        res.body.on('data', (c: Buffer) => chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
        res.body.on('end', () => finish(undefined));
        res.body.on('error', (e: Error) => finish(`body error: ${e.message}`));
        res.body.on('close', () => finish('body closed before its end'));
      });
      const hung = broken?.startsWith('hang') ?? false;
      // a streamed 200 that never ended: report the status and what arrived (a cut stream)
      return { status: hung && res.status !== 200 ? 0 : res.status, headers: res.headers, body: Buffer.concat(chunks), broken, dt, dtInc };
    }
    return { status: 0, headers: {}, body: Buffer.alloc(0), broken: 'too many redirects', dt, dtInc };
  }

  /** Quiescence (healed, converged, settled): every certain-present name, shuffled, read back exactly in one batch. */
  async quiescenceCheck(): Promise<void> {
    const items: Item[] = [];
    for (const [name, slot] of this.w.model) if (slot.length === 1 && slot[0] !== null && !this.#relaxed({ bucket: this.w.bucket, name }, false)) items.push({ bucket: this.w.bucket, name });
    for (const [name, p] of this.fixed) if (!p.mayBeAbsent && !this.#relaxed({ bucket: GB_BUCKET, name }, false)) items.push({ bucket: GB_BUCKET, name });
    if (items.length === 0) return;
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.#rnd.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    const before = this.stats.ok;
    await this.request(items, { coer: false, strm: this.#rnd.int(2) === 0, onob: false }, false, true);
    if (this.stats.ok !== before + 1) this.inv.fail(`final GetBatch of ${items.length} acknowledged names did not succeed whole`);
    await this.c.runFor(GB_SETTLE_MS);
  }
}
