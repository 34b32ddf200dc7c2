// `shoal job start|stop|wait|show`, and `shoal show job` (AIS spelling), over the xaction API (§5).
import type { Command } from 'commander';
import { ErrInvalidArgument, ErrRemote } from '../../protocol/errors.ts';
import { jobKindOf, type XactStatus } from '../../protocol/xact.ts';
import { parseBck } from '../args.ts';
import type { CliContext } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { jobStatus, queryJobs, startJob, stopJob, waitJob, waitKind, waitSnaps, WAIT_CONDITIONS, type WaitCondition } from '../job-api.ts';
import { renderJobs } from '../job-table.ts';
import { parseTargetArg, startResilver } from './storage.ts';

export interface WaitOpts {
  timeout?: string;
  /** AIS wait condition: finished (default), not-running, started, idle. */
  until?: string;
}

/** `--timeout` → ms; absent or 0 means no limit (AIS CLI waits until the job ends). */
export function timeoutMs(opts: WaitOpts): number {
  return opts.timeout === undefined ? 0 : parseDuration(opts.timeout, '--timeout');
}

/** A finished job is fine; an aborted one is an error carrying its abort message. */
export function checkEnded(s: XactStatus): void {
  if (s.aborted) throw new ErrRemote('ErrAborted', 500, `${s.kind || 'job'}[${s.uuid}] aborted: ${s.err || 'aborted'}`);
  // ended, but some of its work failed (e.g. objects that could not be copied): still an error exit
  if (s.err !== '') throw new ErrRemote('ErrJobErrors', 500, `${s.kind || 'job'}[${s.uuid}] finished with errors: ${s.err}`);
}

/** KIND (or display name) vs job id: a known kind wins, as `ais wait KIND|ID`. */
export function isKindArg(arg: string): boolean {
  return jobKindOf(arg) !== undefined;
}

export async function waitAndReport(ctx: CliContext, arg: string, opts: WaitOpts): Promise<void> {
  const ms = timeoutMs(opts);
  const until = (opts.until ?? 'finished') as WaitCondition;
  if (!(WAIT_CONDITIONS as readonly string[]).includes(until)) {
    throw new ErrInvalidArgument(`--until must be one of ${WAIT_CONDITIONS.join(', ')}`);
  }
  if (until === 'started' || until === 'idle') {
    const q = isKindArg(arg) ? { kind: arg } : { id: arg };
    const smap = await ctx.client().smap();
    await waitSnaps(ctx.client(), q, until, ms, Object.keys(smap.tmap).length);
    ctx.out(`${arg}: ${until}\n`);
    return;
  }
  if (isKindArg(arg)) {
    const ended = await waitKind(ctx.client(), arg, ms);
    for (const s of ended) checkEnded(s);
    ctx.out(`${arg}: no jobs running\n`);
    return;
  }
  const s = await waitJob(ctx.client(), arg, ms);
  checkEnded(s);
  ctx.out(`${s.kind || 'job'}[${arg}] finished\n`);
}

function addShow(parent: Command, ctx: CliContext, name: string): void {
  parent
    .command(name)
    .description('show jobs (xactions): running ones, or all recent ones with --all')
    .argument('[kind-or-id]', 'job kind (e.g. summary-bck) or job id')
    .option('-a, --all', 'include finished and aborted jobs')
    .option('--json', 'print the snapshots as JSON (per target)')
    .action(async (arg: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      const onlyRunning = opts.all !== true;
      const q = arg === undefined ? { onlyRunning } : isKindArg(arg) ? { kind: arg, onlyRunning } : { id: arg, onlyRunning: false };
      const multi = await queryJobs(ctx.client(), q);
      if (opts.json) {
        ctx.out(JSON.stringify(multi, null, 2) + '\n');
        return;
      }
      if (Object.values(multi).every((s) => (s ?? []).length === 0)) {
        ctx.out(onlyRunning && q.id === undefined ? 'No running jobs. Use --all to show all.\n' : 'No jobs.\n');
        return;
      }
      ctx.out(renderJobs(multi));
    });
}

/** `shoal show job [KIND|ID] [--all]`. */
export function registerShowJob(show: Command, ctx: CliContext): void {
  addShow(show, ctx, 'job');
}

export function registerJob(program: Command, ctx: CliContext): void {
  const job = program.command('job').description('start, stop, wait for, show jobs (xactions)');

  job
    .command('start')
    .description('start a job of KIND, optionally on a bucket; prints the job id')
    .argument('<kind>', 'job kind or display name')
    .argument('[bucket]', 'ais://B for bucket-scoped kinds; t[ID] for resilver (one target, as AIS)')
    .option('--wait', 'wait for the job to finish')
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 30s, 2m)')
    .action(async (kind: string, bucket: string | undefined, opts: WaitOpts & { wait?: boolean }) => {
      const node = jobKindOf(kind) === 'resilver' && bucket !== undefined ? parseTargetArg(bucket) : undefined;
      const bck = bucket === undefined || node !== undefined ? undefined : parseBck(bucket);
      const ms = timeoutMs(opts); // validated before anything starts
      const xid = node !== undefined ? await startResilver(ctx.client(), node) : await startJob(ctx.client(), kind, bck);
      ctx.out(`${xid}\n`);
      if (opts.wait) {
        const s = await waitJob(ctx.client(), xid, ms);
        checkEnded(s);
      }
    });

  job
    .command('stop')
    .description('stop a job by id, or every running job of a kind')
    .argument('<kind-or-id>')
    .action(async (arg: string) => {
      if (isKindArg(arg)) {
        await stopJob(ctx.client(), { kind: arg });
        ctx.out(`stopped all running "${arg}" jobs\n`);
        return;
      }
      await stopJob(ctx.client(), { id: arg });
      ctx.out(`stopped job ${arg}\n`);
    });

  job
    .command('wait')
    .description('wait for a job (by id) or for all jobs of a kind to finish')
    .argument('<kind-or-id>')
    .option('--timeout <duration>', 'give up after this long (e.g. 30s, 2m); default: no limit')
    .option('--until <condition>', `AIS wait condition: ${WAIT_CONDITIONS.join(' | ')}`, 'finished')
    .action(async (arg: string, opts: WaitOpts) => {
      await waitAndReport(ctx, arg, opts);
    });

  job
    .command('status')
    .description('IC status of one job, as JSON')
    .argument('<id>')
    .action(async (id: string) => {
      ctx.out(JSON.stringify(await jobStatus(ctx.client(), id), null, 2) + '\n');
    });

  addShow(job, ctx, 'show');
}
