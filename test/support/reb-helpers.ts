// Helpers for the rebalance / membership integration tests: object I/O through the proxy (the 307
// followed by hand, the answering target remembered as the owner), a model of what was acknowledged,
// a bounded background PUT/GET load that checks every read against that model, and waits on
// rebalance (latest `g<N>` finished everywhere) and resilver.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Agent, request } from 'undici';
import type { Snap, XactStatus } from '../../protocol/xact.ts';
import type { Smap } from '../../protocol/smap.ts';
import { http, sleep, waitFor } from './cluster-helpers.ts';

export const REB_WAIT_MS_DEFAULT = 120_000;
/** One object request may not hang the test: a target that neither answers nor closes fails it. */
export const OBJ_REQUEST_TIMEOUT_MS = 30_000;
/** A PUT that fails (target killed, not yet dropped from the Smap) is re-sent, as an SDK would. */
export const PUT_RETRIES_MAX = 60;
export const PUT_RETRY_DELAY_MS = 200;
/** Failures kept with details per load phase and op (all are counted). */
export const FAILURES_KEPT_PER_PHASE_MAX = 10;

/** Keep-alive connections for the many small object requests; closed by the test's `after`. */
export function newAgent(): Agent {
  return new Agent({ connections: 32, headersTimeout: OBJ_REQUEST_TIMEOUT_MS, bodyTimeout: OBJ_REQUEST_TIMEOUT_MS, keepAliveTimeout: 4_000 });
}

export interface ObjReply {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  /** Origin that answered: the target the proxy redirected to (the HRW owner), or the proxy itself. */
  origin: string;
}

export function objPath(bck: string, name: string): string {
  return `/v1/objects/${bck}/${name.split('/').map(encodeURIComponent).join('/')}`;
}

async function once(agent: Agent, url: string, method: string, body?: Buffer): Promise<ObjReply> {
  const res = await request(url, { dispatcher: agent, method: method as 'GET', body });
  const buf = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, body: buf, headers: res.headers, origin: new URL(url).origin };
}

/** An object request through the proxy; a 307 is followed once with the same body. Throws on a network error. */
export async function objRequest(agent: Agent, proxyUrl: string, method: string, bck: string, name: string, body?: Buffer): Promise<ObjReply> {
  const first = await once(agent, `${proxyUrl}${objPath(bck, name)}`, method, body);
  const loc = first.headers.location;
  if (first.status !== 307 || typeof loc !== 'string') return first;
  return once(agent, loc, method, body);
}

/** HEAD straight at one target: 200 only if it holds the object itself (non-owners do not fetch). */
export async function headOn(agent: Agent, targetUrl: string, bck: string, name: string): Promise<number> {
  const r = await once(agent, `${targetUrl}${objPath(bck, name)}`, 'HEAD');
  return r.status;
}

export function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

/** Random bytes of a random size in [min, max]. */
export function randomObj(sizeMin: number, sizeMax: number): Buffer {
  return randomBytes(randomInt(sizeMin, sizeMax + 1));
}

interface Entry {
  /** md5 of the last acknowledged content (undefined: never acknowledged). */
  acked: string | undefined;
  /** md5s of PUTs sent after it that were never acknowledged: they may or may not have landed. */
  maybe: Set<string>;
}

/** What the cluster must hold: the last acknowledged content of every name. */
export class Expected {
  readonly #m = new Map<string, Entry>();

  ack(name: string, hash: string): void {
    this.#m.set(name, { acked: hash, maybe: new Set() });
  }

  unsure(name: string, hash: string): void {
    const e = this.#m.get(name) ?? { acked: undefined, maybe: new Set<string>() };
    e.maybe.add(hash);
    this.#m.set(name, e);
  }

  /** Names whose last write was acknowledged (they must exist). */
  ackedNames(): string[] {
    return [...this.#m].filter(([, e]) => e.acked !== undefined).map(([n]) => n);
  }

  /** Names never acknowledged but possibly written (they may exist). */
  maybeNames(): string[] {
    return [...this.#m].filter(([, e]) => e.acked === undefined).map(([n]) => n);
  }

  /** Names whose content is not certain (an unacknowledged PUT after the last ack). */
  unsureCount(): number {
    return [...this.#m.values()].filter((e) => e.maybe.size > 0).length;
  }

  allNames(): string[] {
    return [...this.#m.keys()];
  }

  /** Does content `hash` (undefined: 404) agree with what was written to `name`? */
  accepts(name: string, hash: string | undefined): boolean {
    const e = this.#m.get(name);
    if (!e) return hash === undefined;
    if (hash === undefined) return e.acked === undefined;
    return hash === e.acked || e.maybe.has(hash);
  }

  size(): number {
    return this.#m.size;
  }
}

/** PUT with retries until acknowledged; records the outcome in `exp`. Returns false if never acknowledged. */
export async function putTracked(agent: Agent, proxyUrl: string, bck: string, name: string, data: Buffer, exp: Expected, onRetry?: (why: string) => void): Promise<boolean> {
  const hash = md5(data);
  for (let i = 0; i <= PUT_RETRIES_MAX; i++) {
    let why: string;
    try {
      const r = await objRequest(agent, proxyUrl, 'PUT', bck, name, data);
      if (r.status === 200) {
        exp.ack(name, hash);
        return true;
      }
      why = `${r.status} ${r.body.toString('utf8').slice(0, 200)}`;
    } catch (e) {
      why = (e as Error).message;
    }
    // it may have landed without the reply reaching us
    exp.unsure(name, hash);
    onRetry?.(why);
    await sleep(PUT_RETRY_DELAY_MS);
  }
  return false;
}

/** PUTs `count` new objects `<prefix><i>` with bounded concurrency; each must be acknowledged. */
export async function putMany(agent: Agent, proxyUrl: string, bck: string, names: readonly string[], exp: Expected, sizeMin: number, sizeMax: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= names.length) return;
      const ok = await putTracked(agent, proxyUrl, bck, names[i]!, randomObj(sizeMin, sizeMax), exp);
      assert.ok(ok, `PUT ${bck}/${names[i]} never acknowledged`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
}

export interface Failure {
  op: 'GET' | 'PUT';
  name: string;
  what: string;
  phase: string;
}

export interface LoadStats {
  puts: number;
  putsNew: number;
  putsAcked: number;
  putRetries: number;
  /** PUTs never acknowledged after every retry. */
  putsGaveUp: number;
  gets: number;
  getsOk: number;
  /** GET answered 200 with content that was never written to that name: always a bug. */
  wrongContent: number;
  /** GET not 200 (or a network error), by phase. */
  getErrorsByPhase: Record<string, number>;
  failures: Failure[];
}

export interface LoadOpts {
  agent: Agent;
  proxyUrl: string;
  bck: string;
  exp: Expected;
  workers: number;
  /** Probability that an op is a PUT (overwrite or new name); the rest are GETs of acknowledged names. */
  putRatio: number;
  /** Of the PUTs, the share that creates a new name. */
  newRatio: number;
  newPrefix: string;
  sizeMin: number;
  sizeMax: number;
  /** Pause between one worker's ops: leaves CPU to the cluster on a small box. */
  pauseMs: number;
  opsMax: number;
  durationMsMax: number;
}

/**
 * Background load: workers pick a name nobody else is using (so a GET never races a PUT of the same
 * name), PUT new bytes (retried until acknowledged) or GET and compare with the model. Bounded by
 * `opsMax` and `durationMsMax`; `stop()` ends it and returns the counts.
 */
export class Load {
  readonly stats: LoadStats = { puts: 0, putsNew: 0, putsAcked: 0, putRetries: 0, putsGaveUp: 0, gets: 0, getsOk: 0, wrongContent: 0, getErrorsByPhase: {}, failures: [] };
  /** Label of the current test step; GET errors are counted per phase. */
  phase = 'initial';
  readonly #o: LoadOpts;
  readonly #busy = new Set<string>();
  readonly #kept = new Map<string, number>();
  #names: string[];
  #newSeq = 0;
  #stopped = false;
  #ops = 0;
  #done: Promise<void> | undefined;

  constructor(opts: LoadOpts) {
    this.#o = opts;
    this.#names = opts.exp.ackedNames();
  }

  start(): void {
    const deadline = Date.now() + this.#o.durationMsMax;
    const worker = async (): Promise<void> => {
      while (!this.#stopped && this.#ops < this.#o.opsMax && Date.now() < deadline) {
        this.#ops++;
        await this.#one();
        if (this.#o.pauseMs > 0) await sleep(this.#o.pauseMs);
      }
    };
    this.#done = Promise.all(Array.from({ length: this.#o.workers }, worker)).then(() => undefined);
  }

  async stop(): Promise<LoadStats> {
    this.#stopped = true;
    await this.#done;
    return this.stats;
  }

  #fail(f: Failure): void {
    const key = `${f.phase}/${f.op}`;
    const n = this.#kept.get(key) ?? 0;
    if (n >= FAILURES_KEPT_PER_PHASE_MAX) return;
    this.#kept.set(key, n + 1);
    this.stats.failures.push(f);
  }

  #pick(): string | undefined {
    for (let i = 0; i < 16; i++) {
      const n = this.#names[randomInt(this.#names.length)]!;
      if (!this.#busy.has(n)) return n;
    }
    return undefined;
  }

  async #one(): Promise<void> {
    const { agent, proxyUrl, bck, exp } = this.#o;
    const isPut = Math.random() < this.#o.putRatio;
    const isNew = isPut && Math.random() < this.#o.newRatio;
    const name = isNew ? `${this.#o.newPrefix}${String(this.#newSeq++).padStart(6, '0')}` : this.#pick();
    if (name === undefined) return;
    this.#busy.add(name);
    try {
      if (isPut) {
        this.stats.puts++;
        if (isNew) this.stats.putsNew++;
        const phase = this.phase;
        const ok = await putTracked(agent, proxyUrl, bck, name, randomObj(this.#o.sizeMin, this.#o.sizeMax), exp, (why) => {
          this.stats.putRetries++;
          this.#fail({ op: 'PUT', name, what: `retried: ${why}`, phase });
        });
        if (ok) {
          this.stats.putsAcked++;
          if (isNew) this.#names.push(name);
        } else {
          this.stats.putsGaveUp++;
          this.#fail({ op: 'PUT', name, what: 'never acknowledged', phase });
        }
        return;
      }
      this.stats.gets++;
      const phase = this.phase;
      let what: string;
      try {
        const r = await objRequest(agent, proxyUrl, 'GET', bck, name);
        if (r.status === 200) {
          if (exp.accepts(name, md5(r.body))) {
            this.stats.getsOk++;
            return;
          }
          this.stats.wrongContent++;
          this.#fail({ op: 'GET', name, what: `wrong content (${r.body.length} bytes) from ${r.origin}`, phase });
          return;
        }
        what = `${r.status} from ${r.origin}: ${r.body.toString('utf8').slice(0, 200)}`;
      } catch (e) {
        what = (e as Error).message;
      }
      // a GET in flight when the step changed belongs to both (e.g. one cut by a kill -9)
      const label = this.phase === phase ? phase : `${phase}>${this.phase}`;
      this.stats.getErrorsByPhase[label] = (this.stats.getErrorsByPhase[label] ?? 0) + 1;
      this.#fail({ op: 'GET', name, what, phase: label });
    } finally {
      this.#busy.delete(name);
    }
  }
}

/** `{"<tid>": [Snap]}` of every target in the Smap, for a kind or an id. */
export async function qryxstats(proxyUrl: string, q: { kind?: string; id?: string; node?: string }): Promise<Record<string, Snap[]>> {
  const r = await http(`${proxyUrl}/v1/cluster?what=qryxstats`, { body: q });
  assert.equal(r.status, 200, `qryxstats ${JSON.stringify(q)}: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as Record<string, Snap[]>;
}

export async function xactStatus(proxyUrl: string, id: string): Promise<XactStatus> {
  const r = await http(`${proxyUrl}/v1/cluster?what=status`, { body: { id } });
  assert.equal(r.status, 200, `status ${id}: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as XactStatus;
}

export async function getSmap(proxyUrl: string): Promise<Smap> {
  const r = await http(`${proxyUrl}/v1/cluster?what=smap`);
  assert.equal(r.status, 200, `smap: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as Smap;
}

const rebVersion = (id: string): number => Number(/^g(\d+)$/.exec(id)?.[1] ?? 0);

/** The highest rebalance version any target knows (0: none yet). */
export function latestReb(all: Record<string, Snap[]>): number {
  let v = 0;
  for (const snaps of Object.values(all)) for (const s of snaps) v = Math.max(v, rebVersion(s.id));
  return v;
}

export function isRunning(s: Snap): boolean {
  return s['end-time'].startsWith('0001-');
}

export interface RebSettled {
  id: string;
  status: XactStatus;
  snaps: Record<string, Snap>;
}

/**
 * Waits until a rebalance with version >= `minVersion` is the newest one, no target runs any
 * rebalance, its cluster status has ended, and two polls in a row agree (no newer Smap meanwhile).
 */
export async function waitRebSettled(proxyUrl: string, minVersion: number, timeoutMs = REB_WAIT_MS_DEFAULT): Promise<RebSettled> {
  let prev = '';
  return waitFor(
    `rebalance >= g${minVersion} settled`,
    async () => {
      const smap = await getSmap(proxyUrl);
      const all = await qryxstats(proxyUrl, { kind: 'rebalance' });
      const v = latestReb(all);
      if (v < minVersion) return undefined;
      for (const snaps of Object.values(all)) if (snaps.some(isRunning)) return undefined;
      const id = `g${v}`;
      const status = await xactStatus(proxyUrl, id);
      if (status.end_time === 0) return undefined;
      const key = `${smap.version}/${id}`;
      if (key !== prev) {
        prev = key;
        return undefined;
      }
      const snaps: Record<string, Snap> = {};
      for (const [tid, ss] of Object.entries(all)) {
        const s = ss.find((x) => x.id === id);
        if (s) snaps[tid] = s;
      }
      return { id, status, snaps };
    },
    timeoutMs,
  );
}

/** One line per target: state and counters of a rebalance (for diagnostics). */
export function describeSnaps(snaps: Record<string, Snap>): string {
  return Object.entries(snaps)
    .map(([tid, s]) => `${tid}:${s.state} loc=${s.stats['loc-objs']} out=${s.stats['out-objs']} in=${s.stats['in-objs']}${s.err ? ` err=${s.err}` : ''}${s['abort-err'] ? ` abort=${s['abort-err']}` : ''}`)
    .join('; ');
}

/** Waits until one target has a resilver not in `seen` and runs none; returns the new snaps. */
export async function waitResilver(proxyUrl: string, tid: string, seen: Set<string>, timeoutMs = REB_WAIT_MS_DEFAULT): Promise<Snap[]> {
  return waitFor(
    `resilver on ${tid} ends`,
    async () => {
      const snaps = (await qryxstats(proxyUrl, { kind: 'resilver', node: tid }))[tid] ?? [];
      const fresh = snaps.filter((s) => !seen.has(s.id));
      return fresh.length > 0 && !snaps.some(isRunning) ? fresh : undefined;
    },
    timeoutMs,
  );
}

/** Every name of the bucket through the proxy (paged), in listing order; `target` pins one target. */
export async function listNames(proxyUrl: string, bck: string, target?: string): Promise<string[]> {
  const out: string[] = [];
  let token = '';
  for (let page = 0; page < 10_000; page++) {
    const value: Record<string, unknown> = { props: 'name', pagesize: 5_000, continuation_token: token };
    if (target !== undefined) value.target = target;
    const r = await http(`${proxyUrl}/v1/buckets/${bck}`, { method: 'GET', body: { action: 'list', value } });
    assert.equal(r.status, 200, `list ${bck}: ${r.status} ${r.text}`);
    const res = JSON.parse(r.text) as { entries: { name: string }[] | null; continuation_token: string };
    for (const e of res.entries ?? []) out.push(e.name);
    if (res.continuation_token === '') return out;
    token = res.continuation_token;
  }
  throw new Error(`listing of ${bck} did not end`);
}

/** Runs `fn` over `items` with bounded concurrency. */
export async function forEachLimit<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        await fn(items[i]!);
      }
    }),
  );
}
