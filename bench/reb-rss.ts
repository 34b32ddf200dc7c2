// Peak RSS of each target over one window (a rebalance), not over its whole life: the fill before it
// also grows the heap. Two measures, the larger wins: VmHWM after resetting it at the window's start
// (`echo 5 > /proc/PID/clear_refs`, Linux ≥ 4.0), and VmRSS sampled every RSS_SAMPLE_MS (a fallback
// where the reset is not allowed; it can miss a short spike). Also the CPU time each target used in
// the window (all threads), a figure that other work on a shared box does not inflate as it does time.
import fsp from 'node:fs/promises';

export const REB_RSS_BUDGET_MIB = 384;
export const RSS_SAMPLE_MS = 100;

/** A `Vm*:  1234 kB` field of /proc/PID/status, in bytes; undefined when absent. */
export function procStatusBytes(status: string, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** CLK_TCK: the unit of utime/stime in /proc/PID/stat (100 on every Linux the bench runs on). */
export const CLOCK_TICKS_PER_SEC = 100;

/** utime + stime of /proc/PID/stat in seconds (fields 14 and 15; the name in parentheses may hold spaces). */
export function procStatCpuSec(stat: string): number | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime 15
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) && rest.length > 12 ? (utime + stime) / CLOCK_TICKS_PER_SEC : undefined;
}

async function readProc(pid: number, file: 'status' | 'stat'): Promise<string | undefined> {
  try {
    return await fsp.readFile(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // exited (a decommissioned target) or not ours
  }
}

async function resetPeak(pid: number): Promise<boolean> {
  try {
    await fsp.writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssPeak {
  id: string;
  pid: number;
  peakMiB: number | undefined;
  /** VmHWM was reset at the window's start, so the peak is exact. */
  hwmReset: boolean;
  /** CPU seconds (user + system, all threads) used in the window, up to the last sample if it exited. */
  cpuSec: number | undefined;
}

export class RssWindow {
  readonly #nodes: { id: string; pid: number }[];
  readonly #sampled = new Map<number, number>();
  readonly #reset = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  /** Last VmHWM read while the process lived (a node may exit before the window closes). */
  readonly #hwm = new Map<number, number>();
  readonly #cpu0 = new Map<number, number>();
  readonly #cpu = new Map<number, number>();

  private constructor(nodes: readonly { id: string; pid: number }[]) {
    this.#nodes = nodes.map((n) => ({ id: n.id, pid: n.pid }));
  }

  static async open(nodes: readonly { id: string; pid: number }[]): Promise<RssWindow> {
    const w = new RssWindow(nodes);
    for (const n of w.#nodes) if (await resetPeak(n.pid)) w.#reset.add(n.pid);
    await w.#sample();
    for (const [pid, sec] of w.#cpu) w.#cpu0.set(pid, sec);
    w.#timer = setInterval(() => void w.#sample(), RSS_SAMPLE_MS);
    return w;
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const n of this.#nodes) {
        const stat = await readProc(n.pid, 'stat');
        const cpu = stat === undefined ? undefined : procStatCpuSec(stat);
        if (cpu !== undefined) this.#cpu.set(n.pid, cpu);
        const st = await readProc(n.pid, 'status');
        if (st === undefined) continue;
        const rss = procStatusBytes(st, 'VmRSS');
        if (rss !== undefined) this.#sampled.set(n.pid, Math.max(this.#sampled.get(n.pid) ?? 0, rss));
        const hwm = procStatusBytes(st, 'VmHWM');
        if (hwm !== undefined) this.#hwm.set(n.pid, hwm);
      }
    } finally {
      this.#busy = false;
    }
  }

  async close(): Promise<RssPeak[]> {
    clearInterval(this.#timer);
    while (this.#busy) await new Promise((r) => setTimeout(r, 5));
    await this.#sample();
    return this.#nodes.map((n) => {
      const sampled = this.#sampled.get(n.pid);
      const hwm = this.#reset.has(n.pid) ? this.#hwm.get(n.pid) : undefined;
      const peak = sampled === undefined && hwm === undefined ? undefined : Math.max(sampled ?? 0, hwm ?? 0);
      const c0 = this.#cpu0.get(n.pid);
      const c1 = this.#cpu.get(n.pid);
      const cpuSec = c0 === undefined || c1 === undefined ? undefined : c1 - c0;
      return { id: n.id, pid: n.pid, peakMiB: peak === undefined ? undefined : peak / 1024 ** 2, hwmReset: this.#reset.has(n.pid), cpuSec };
    });
  }
}
