// Membership changes in the simulated workload: targets join, go into maintenance and come back,
// shut down in maintenance and restart, get decommissioned — through the AIS API an admin uses, at
// seed-drawn times, while the workload and the fault plan run. Planned changes must lose nothing:
// the checker stays strict for them (only an unplanned keepalive removal relaxes it).
import type { SimCluster } from './cluster.ts';
import { SimRandom } from './env/random.ts';
import type { SimEvent } from './env/scheduler.ts';

/** Membership operations per run (at most), one at a time. */
export const MEMBERSHIP_OPS_MAX = 4;
/** Virtual time between the end of one operation and the start of the next, drawn in [min, max). */
export const MEMBERSHIP_GAP_MS_MIN = 1_000;
export const MEMBERSHIP_GAP_MS_MAX = 6_000;
/** How long a target stays in maintenance (or shut down) before it comes back, drawn in [min, max). */
export const MEMBERSHIP_AWAY_MS_MIN = 1_000;
export const MEMBERSHIP_AWAY_MS_MAX = 5_000;
/** Active targets that must remain after an operation. */
export const MEMBERSHIP_ACTIVE_MIN = 2;
/** Targets a run may add. */
export const MEMBERSHIP_ADDED_MAX = 2;
/** An admin call that got no answer or a 5xx (primary down, partition) is retried. */
export const MEMBERSHIP_RETRY_MS = 500;
export const MEMBERSHIP_RETRIES_MAX = 60;
/** Bound on waiting for a node to be shut down by the primary (after its rebalance). */
export const MEMBERSHIP_DEPART_WAIT_MS_MAX = 120_000;
export const MEMBERSHIP_POLL_MS = 200;

export type MembershipOp = 'join' | 'maintenance' | 'shutdown' | 'decommission';

export interface MembershipStats {
  joins: number;
  maintenances: number;
  shutdowns: number;
  decommissions: number;
  /** Admin calls refused (4xx) or never answered after the retries. */
  failed: number;
}

export class MembershipDriver {
  readonly random: SimRandom;
  readonly stats: MembershipStats = { joins: 0, maintenances: 0, shutdowns: 0, decommissions: 0, failed: 0 };
  /** Targets the driver put in maintenance (running or shut down): heal brings them back. */
  readonly maint = new Set<string>();
  readonly #log;
  #active = false;
  #ops = 0;
  #added = 0;
  #event: SimEvent | undefined;
  #task: Promise<void> | undefined;
  /** First unexpected error of an operation (a finding). */
  error: Error | undefined;

  constructor(readonly c: SimCluster) {
    this.random = SimRandom.stream(c.seed, 'membership');
    this.#log = c.world.logs.logger({ node: 'world', actor: 'membership' });
  }

  /** An operation (and the rebalance it triggers, as far as the driver waits for it) is running. */
  get busy(): boolean {
    return this.#task !== undefined;
  }

  start(): void {
    this.#active = true;
    this.#next();
  }

  #next(): void {
    if (!this.#active || this.#ops >= MEMBERSHIP_OPS_MAX) return;
    const gap = this.random.range(MEMBERSHIP_GAP_MS_MIN, MEMBERSHIP_GAP_MS_MAX);
    this.#event = this.c.world.sched.after(gap, 'world', 'membership.op', () => {
      this.#event = undefined;
      if (!this.#active) return;
      this.#ops++;
      this.#task = this.#run(this.#pick())
        .catch((e: unknown) => void (this.error ??= e instanceof Error ? e : new Error(String(e))))
        .finally(() => {
          this.#task = undefined;
          this.#next();
        });
    });
  }

  /** Running targets that are HRW candidates (not in maintenance, not leaving). */
  #active_(): string[] {
    return this.c.members().filter((s) => s.role === 'target' && this.c.nodes.has(s.id) && !this.maint.has(s.id) && !this.#leaving.has(s.id)).map((s) => s.id);
  }
  readonly #leaving = new Set<string>();

  #pick(): MembershipOp {
    const canRemove = this.#active_().length > MEMBERSHIP_ACTIVE_MIN;
    const ops: MembershipOp[] = [];
    if (this.#added < MEMBERSHIP_ADDED_MAX) ops.push('join');
    if (canRemove) ops.push('maintenance', 'shutdown', 'decommission');
    if (ops.length === 0) return 'join';
    return ops[this.random.int(ops.length)]!;
  }

  async #run(op: MembershipOp): Promise<void> {
    if (op === 'join') {
      if (this.#added >= MEMBERSHIP_ADDED_MAX) return;
      this.#added++;
      const id = await this.c.addTargetInRun();
      this.stats.joins++;
      this.#log.info({ target: id }, 'membership: target added');
      return;
    }
    const candidates = this.#active_();
    if (candidates.length <= MEMBERSHIP_ACTIVE_MIN) return;
    const id = candidates[this.random.int(candidates.length)]!;
    if (op === 'decommission') {
      this.#leaving.add(id);
      if (await this.#admin('decommission-node', id)) this.stats.decommissions++;
      return;
    }
    this.maint.add(id);
    if (!(await this.#admin(op === 'shutdown' ? 'shutdown-node' : 'start-maintenance', id))) {
      this.maint.delete(id);
      return;
    }
    if (op === 'maintenance') this.stats.maintenances++;
    else this.stats.shutdowns++;
    if (op === 'shutdown') await this.#waitDeparted(id);
    await this.#sleep(this.random.range(MEMBERSHIP_AWAY_MS_MIN, MEMBERSHIP_AWAY_MS_MAX));
    if (this.#active) await this.#bringBack(id);
  }

  /** Restarts a target that was shut down (it re-joins in maintenance), then ends its maintenance. */
  async #bringBack(id: string): Promise<void> {
    if (this.c.departed.get(id) === 'shutdown') await this.c.restartDeparted(id);
    if (await this.#admin('stop-maintenance', id)) this.maint.delete(id);
  }

  async #waitDeparted(id: string): Promise<void> {
    const deadline = this.c.nowMs + MEMBERSHIP_DEPART_WAIT_MS_MAX;
    while (this.c.departed.get(id) !== 'shutdown' && this.c.nowMs < deadline) await this.#sleep(MEMBERSHIP_POLL_MS);
  }

  /** One admin call, retried while it gets no answer or a 5xx; false when refused or never answered. */
  async #admin(action: string, sid: string): Promise<boolean> {
    for (let i = 0; i < MEMBERSHIP_RETRIES_MAX; i++) {
      const r = await this.c.client.json('PUT', '/v1/cluster', { action, value: { sid } }).catch(() => undefined);
      if (r?.status === 200) {
        this.#log.info({ action, sid, reb: r.text() }, 'membership: done');
        return true;
      }
      if (r !== undefined && r.status > 0 && r.status < 500) {
        this.#log.warn({ action, sid, status: r.status, err: r.text() }, 'membership: refused');
        this.stats.failed++;
        return false;
      }
      await this.#sleep(MEMBERSHIP_RETRY_MS);
    }
    this.stats.failed++;
    return false;
  }

  /**
   * A mountpath was lost: the admin disables it (no resilver: its objects cannot be read), as AIS's
   * filesystem health checker would, so HRW stops placing names there while membership changes.
   */
  disableLost(target: string, mountpath: string): void {
    const body = Buffer.from(JSON.stringify({ action: 'disable-mp', value: mountpath }));
    const headers = { 'content-type': 'application/json', 'ais-node-id': target };
    const run = async (): Promise<void> => {
      for (let i = 0; i < MEMBERSHIP_RETRIES_MAX; i++) {
        const r = await this.c.client.request('POST', '/v1/reverse/daemon/mountpaths?dntres=true', { body, headers }).catch(() => undefined);
        if (r?.status === 200) {
          this.#log.info({ target, mountpath }, 'membership: lost mountpath disabled');
          return;
        }
        if (r !== undefined && r.status > 0 && r.status < 500) {
          this.#log.warn({ target, mountpath, status: r.status, err: r.text() }, 'membership: disabling the lost mountpath refused');
          return;
        }
        await this.#sleep(MEMBERSHIP_RETRY_MS);
      }
    };
    const p: Promise<void> = run().finally(() => this.#side.delete(p));
    this.#side.add(p);
  }

  /** Admin actions besides the planned operations (disabling a lost mountpath). */
  readonly #side = new Set<Promise<void>>();

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.c.world.sched.after(ms, 'world', 'membership.wait', resolve));
  }

  /**
   * Stops planning, lets the operation in flight finish, and brings every target the driver put in
   * maintenance back (restarting the ones that were shut down). Called from outside a run: drives.
   */
  async heal(): Promise<void> {
    this.#active = false;
    if (this.#event) this.c.world.sched.cancel(this.#event);
    this.#event = undefined;
    if (this.#task) await this.c.drive(this.#task);
    while (this.#side.size > 0) await this.c.drive(Promise.all([...this.#side]));
    for (const id of [...this.maint]) await this.c.drive(this.#bringBack(id));
    while (this.c.stopping.size > 0) await this.c.drive(Promise.all([...this.c.stopping]));
    if (this.error) throw this.error;
  }
}
