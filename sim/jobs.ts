// Jobs (xactions) in the seeded workload: now and then a copy-bck of the workload bucket (or of one
// prefix) into a fresh bucket, started through the client; the workload keeps going (or, drawn from
// the seed, waits for the job so that it can be verified). Invariants:
// - every started job reaches a terminal state (status end_time > 0) within a virtual-time budget
//   once the cluster is healed and converged — aborted or with `err` is allowed under faults,
//   never ending is not;
// - a copy that ended clean (no err, not aborted), whose source names were all certain at its start
//   and saw no PUT/DELETE under its prefix while it ran, holds exactly the source as of its start.
import { compareUtf8 } from './env/disk.ts';
import { SimRandom } from './env/random.ts';
import type { SimCluster } from './cluster.ts';
import type { InvariantChecker } from './invariants.ts';

/** Copies started per run at most. */
export const JOBS_PER_RUN_MAX = 3;
/** Mean workload steps between two job starts. */
export const JOBS_MEAN_STEPS = 100;
/** Virtual ms the workload waits for a job it chose to wait for (then it goes on). */
export const JOB_WAIT_VIRTUAL_MS_MAX = 10_000;
/** Between two status polls. */
export const JOB_POLL_MS = 50;
/** Virtual ms every job gets to end after the healed cluster converged. */
export const JOBS_END_VIRTUAL_MS_MAX = 60_000;
/** Between two status polls at quiescence. */
export const JOBS_END_POLL_MS = 500;
/** Bound of one client exchange driven here. */
export const JOB_REQUEST_VIRTUAL_MS_MAX = 120_000;

/** Prefixes a copy may be restricted to ('' is the whole bucket); they match workload names. */
const COPY_PREFIXES = ['', '', 'a/', 'z/', 'dir-'];

export interface JobStats {
  started: number;
  /** Start requests that failed (no answer, 5xx): no job id to follow. */
  startFailed: number;
  ended: number;
  /** Ended aborted or with err (allowed under faults). */
  endedErr: number;
  verified: number;
  /** Clean copies not verifiable (a write under the prefix while running, uncertain source, membership change). */
  unverifiable: number;
}

export interface Job {
  id: string;
  src: string;
  dst: string;
  prefix: string;
  /** Source state at start (names certain): name → bytes; undefined: not verifiable. */
  snapshot: Map<string, Uint8Array> | undefined;
  /** A write under the prefix happened while the job was (maybe) running. */
  dirty: boolean;
  endTime: number;
  err: string;
  aborted: boolean;
  startedAtMs: number;
}

interface TargetSnap {
  err?: string;
  aborted?: boolean;
  stats?: Record<string, unknown>;
}

function snapsText(all: Record<string, TargetSnap[]> | undefined): string {
  if (all === undefined) return 'qryxstats unavailable';
  return Object.entries(all)
    .map(([node, snaps]) => `${node}: ${snaps.map((s) => `err "${s.err ?? ''}" aborted ${s.aborted ?? false} stats ${JSON.stringify(s.stats ?? {})}`).join(', ') || 'no snap'}`)
    .join('; ');
}

interface StatusJson {
  end_time?: number;
  err?: string;
  aborted?: boolean;
}

/** The workload's view of what each name holds (one entry: certain; null: absent). */
export type ModelView = ReadonlyMap<string, readonly (Uint8Array | null)[]>;

export class JobTracker {
  readonly jobs: Job[] = [];
  readonly stats: JobStats = { started: 0, startFailed: 0, ended: 0, endedErr: 0, verified: 0, unverifiable: 0 };
  /** Own stream: job choices do not shift the workload's draws. */
  readonly #rnd: SimRandom;
  #attempts = 0;

  constructor(readonly c: SimCluster, readonly inv: InvariantChecker, readonly bucket: string) {
    this.#rnd = SimRandom.stream(c.seed, 'jobs');
  }

  /** After a batch of `steps` ops: maybe start a copy (and maybe wait for it). */
  async maybeStart(steps: number, model: ModelView, faulty: boolean): Promise<void> {
    if (this.#attempts >= JOBS_PER_RUN_MAX) return;
    if (this.#rnd.float() >= steps / JOBS_MEAN_STEPS) return;
    const prefix = COPY_PREFIXES[this.#rnd.int(COPY_PREFIXES.length)]!;
    const wait = this.#rnd.int(2) === 0;
    await this.startCopy(prefix, model, faulty, wait);
  }

  /** Starts a copy-bck of `prefix` into `simcp-N`; `wait`: poll until it ends (bounded). */
  async startCopy(prefix: string, model: ModelView, faultyRun: boolean, wait: boolean): Promise<Job | undefined> {
    // With a lost mountpath, creating the destination fails on its target (EIO making the bucket's
    // directories there) until mountpath disable exists: a failed start is allowed then.
    const faulty = (): boolean => faultyRun || this.inv.lost !== undefined;
    this.#attempts++;
    const dst = `simcp-${this.#attempts}`;
    const snapshot = this.#snapshot(model, prefix);
    let r;
    try {
      r = await this.c.drive(
        this.c.client.json('POST', `/v1/buckets/${encodeURIComponent(this.bucket)}?bck_to=${encodeURIComponent(`ais/@#/${dst}/`)}`, { action: 'copy-bck', value: { prefix } }),
        JOB_REQUEST_VIRTUAL_MS_MAX,
      );
    } catch (e) {
      if (!faulty()) this.inv.fail(`copy-bck ${this.bucket} → ${dst}: ${(e as Error).message.slice(0, 300)}`);
      this.stats.startFailed++;
      return undefined;
    }
    if (r.status !== 200) {
      // a copy is refused while a rebalance runs (AIS limited coexistence): expected with membership changes
      const rebalancing = r.status === 409 && r.text().includes('rebalancing');
      if (!rebalancing && (!faulty() || (r.status !== 0 && r.status < 500))) this.inv.fail(`copy-bck ${this.bucket} → ${dst}: status ${r.status} ${r.text().slice(0, 300)}`);
      this.stats.startFailed++;
      return undefined;
    }
    const id = r.text().trim();
    if (id === '') this.inv.fail(`copy-bck ${this.bucket} → ${dst}: empty job id`);
    this.stats.started++;
    const job: Job = { id, src: this.bucket, dst, prefix, snapshot, dirty: false, endTime: 0, err: '', aborted: false, startedAtMs: this.c.nowMs };
    this.jobs.push(job);
    if (!wait) return job;
    const deadline = this.c.nowMs + JOB_WAIT_VIRTUAL_MS_MAX;
    while (job.endTime === 0 && this.c.nowMs < deadline) {
      await this.c.runFor(JOB_POLL_MS);
      await this.#poll(job);
    }
    return job;
  }

  /** The workload wrote (or maybe wrote) `name`: every job not known ended whose prefix covers it is dirty. */
  noteWrite(name: string): void {
    for (const j of this.jobs) if (j.endTime === 0 && name.startsWith(j.prefix)) j.dirty = true;
  }

  /** Polls every job not known ended (after a batch; failures ignored: the next poll retries). */
  async pollOpen(): Promise<void> {
    for (const j of this.jobs) if (j.endTime === 0) await this.#poll(j);
  }

  /** Quiescence (healed, converged): every job ends within the budget; clean copies are verified. */
  async quiescenceCheck(): Promise<void> {
    const deadline = this.c.nowMs + JOBS_END_VIRTUAL_MS_MAX;
    for (;;) {
      await this.pollOpen();
      const open = this.jobs.filter((j) => j.endTime === 0);
      if (open.length === 0) break;
      if (this.c.nowMs >= deadline) {
        this.inv.fail(`${open.length} job(s) never ended within ${JOBS_END_VIRTUAL_MS_MAX} virtual ms after quiescence: ${open.map((j) => `copy-bck ${j.id} ${j.src}/${j.prefix} → ${j.dst} (started at ${j.startedAtMs.toFixed(3)} ms)`).join('; ')}`);
      }
      await this.c.runFor(JOBS_END_POLL_MS);
    }
    for (const j of this.jobs) {
      if (j.err !== '' || j.aborted) continue;
      if (j.snapshot === undefined || j.dirty || this.inv.membershipChanged) {
        this.stats.unverifiable++;
        continue;
      }
      // the status said clean: no target may hold an error for it (KNOWN-BUGS.md #2 when one does)
      const snaps = await this.#targetSnaps(j);
      const errs = Object.entries(snaps ?? {}).filter(([, ss]) => ss.some((x) => (x.err ?? '') !== '' || x.aborted === true));
      if (errs.length > 0) this.inv.fail(`copy-bck ${j.id} ${j.src}/${j.prefix} → ${j.dst}: status says ended clean (err "", not aborted) but target(s) ${errs.map(([n]) => n).join(', ')} report an error; per target: ${snapsText(snaps)}`);
      await this.#verify(j, j.snapshot);
      this.stats.verified++;
    }
  }

  async #poll(j: Job): Promise<void> {
    let st: StatusJson;
    try {
      const r = await this.c.drive(this.c.client.json('GET', '/v1/cluster?what=status', { id: j.id }), JOB_REQUEST_VIRTUAL_MS_MAX);
      if (r.status === 404 && this.c.restartedSince(this.c.primaryId, j.startedAtMs)) {
        // The primary (which tracked the job in memory) restarted and no target knows it any more:
        // its outcome is unknown, which is allowed; count it as ended with an error.
        st = { end_time: 1, err: 'unknown: the primary restarted and no target has the job' };
      } else {
        if (r.status !== 200) return;
        st = JSON.parse(r.text()) as StatusJson;
      }
    } catch {
      return;
    }
    const end = typeof st.end_time === 'number' ? st.end_time : 0;
    if (end <= 0) return;
    j.endTime = end;
    j.err = st.err ?? '';
    j.aborted = st.aborted ?? false;
    this.stats.ended++;
    if (j.err !== '' || j.aborted) this.stats.endedErr++;
  }

  #snapshot(model: ModelView, prefix: string): Map<string, Uint8Array> | undefined {
    if (this.inv.membershipChanged) return undefined;
    const out = new Map<string, Uint8Array>();
    for (const [name, slot] of model) {
      if (!name.startsWith(prefix)) continue;
      if (slot.length !== 1) return undefined; // in doubt: the copy may see either state
      const v = slot[0];
      if (v !== null && v !== undefined) out.set(name, v);
    }
    return out;
  }

  /** Each target's snapshot of the job (`qryxstats`): node → err/aborted/counters; undefined if unreachable. */
  async #targetSnaps(j: Job): Promise<Record<string, TargetSnap[]> | undefined> {
    try {
      const r = await this.c.drive(this.c.client.json('GET', '/v1/cluster?what=qryxstats', { id: j.id }), JOB_REQUEST_VIRTUAL_MS_MAX);
      return r.status === 200 ? (JSON.parse(r.text()) as Record<string, TargetSnap[]>) : undefined;
    } catch {
      return undefined;
    }
  }

  async #verify(j: Job, snapshot: Map<string, Uint8Array>): Promise<void> {
    const what = `copy-bck ${j.id} ${j.src}/${j.prefix} → ${j.dst}`;
    let names: string[];
    try {
      names = (await this.c.drive(this.c.client.list(j.dst), JOB_REQUEST_VIRTUAL_MS_MAX)).map((e) => e.name);
    } catch (e) {
      return this.inv.fail(`${what}: listing the destination failed: ${(e as Error).message.slice(0, 300)}`);
    }
    // names on a lost mountpath (in the source or the destination) are legitimately lost
    const lost = (n: string): boolean => this.inv.lost !== undefined && (this.inv.isLost(j.src, n) || this.inv.isLost(j.dst, n));
    const want = [...snapshot.keys()].filter((n) => !lost(n)).sort(compareUtf8);
    const missing = want.filter((n) => !names.includes(n));
    const extra = names.filter((n) => !snapshot.has(n) && !lost(n));
    if (missing.length + extra.length > 0) this.inv.fail(`${what}: ended clean but the destination listing differs from the source at copy start: missing [${missing.join(', ')}], extra [${extra.join(', ')}]; per target: ${snapsText(await this.#targetSnaps(j))}`);
    for (const name of want) {
      const r = await this.c.drive(this.c.client.get(j.dst, name), JOB_REQUEST_VIRTUAL_MS_MAX);
      if (r.status !== 200) this.inv.fail(`${what}: GET ${j.dst}/${name}: status ${r.status} ${r.text().slice(0, 300)}`);
      if (Buffer.compare(r.body, snapshot.get(name)!) !== 0) this.inv.fail(`${what}: ${j.dst}/${name} holds ${r.body.byteLength} bytes, not the ${snapshot.get(name)!.byteLength} bytes the source held at copy start`);
    }
  }
}
