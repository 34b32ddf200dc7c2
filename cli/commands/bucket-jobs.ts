// `shoal bucket summary B` and `shoal bucket cp SRC DST` (copy-bck with a progress bar on stderr).
import type { Command } from 'commander';
import { ErrInvalidArgument, ErrRemote, ErrTimeout } from '../../protocol/errors.ts';
import { bckString, parseBck, type BckRef } from '../args.ts';
import type { CliContext } from '../context.ts';
import { formatDuration } from '../duration.ts';
import { formatSize, renderTable } from '../format.ts';
import { copyBucket, hasEnded, jobStatus, pollSummary, queryJobs, startSummary, type BsummResult } from '../job-api.ts';
import { jobTotals } from '../job-table.ts';
import { pollUntil } from '../poll.ts';
import { formatProgress, formatProgressDone, ProgressLine, PROGRESS_REFRESH_MS, type Progress } from '../progress.ts';
import { checkEnded, timeoutMs, type WaitOpts } from './job.ts';

/** Runs summary-bck to the end and returns its results. */
export async function summarize(ctx: CliContext, bck: BckRef, prefix: string, ms: number): Promise<BsummResult[]> {
  const c = ctx.client();
  const xid = await startSummary(c, bck, prefix);
  return pollUntil(() => pollSummary(c, bck, xid), { timeoutMs: ms, what: `summary of ${bckString(bck)} (job ${xid})` });
}

export function summaryRows(res: readonly BsummResult[]): string[][] {
  return res.map((r) => [`${r.provider || 'ais'}://${r.name}`, r.ObjCount.obj_count_present, formatSize(r.TotalSize.size_all_present_objs)]);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface CpOpts extends WaitOpts {
  prefix?: string;
  dryRun?: boolean;
  progress?: boolean;
}

async function copyWithProgress(ctx: CliContext, src: BckRef, dst: BckRef, opts: CpOpts): Promise<void> {
  if (src.name === dst.name && src.provider === dst.provider) throw new ErrInvalidArgument(`cannot copy ${bckString(src)} onto itself`);
  const ms = timeoutMs(opts);
  const prefix = opts.prefix ?? '';
  const c = ctx.client();
  const showProgress = opts.progress !== false;
  // Totals for the ETA; a failed summary only costs the ETA, never the copy.
  let totalObjs = 0;
  let totalBytes = 0;
  if (showProgress) {
    try {
      const [s] = await summarize(ctx, src, prefix, ms);
      totalObjs = Number(s?.ObjCount.obj_count_present ?? 0);
      totalBytes = Number(s?.TotalSize.size_all_present_objs ?? 0);
    } catch (err) {
      if (err instanceof ErrRemote && err.status === 404) throw err; // missing SRC: the copy would fail too
    }
  }
  const started = Date.now();
  const xid = await copyBucket(c, src, dst, { prefix, dryRun: opts.dryRun === true });
  ctx.out(`Copying ${bckString(src)} => ${bckString(dst)}${opts.dryRun ? ' (dry run)' : ''}: job ${xid}\n`);
  const line = new ProgressLine(ctx.err, ctx.errIsTty());
  const progressNow = async (): Promise<Progress> => {
    const t = jobTotals(await queryJobs(c, { id: xid, onlyRunning: false }));
    return { objs: t.objs, bytes: t.bytes, totalObjs, totalBytes, elapsedMs: Date.now() - started };
  };
  for (;;) {
    const status = await jobStatus(c, xid);
    if (hasEnded(status)) {
      const p = showProgress ? await progressNow() : undefined;
      if (p !== undefined) line.done(formatProgressDone(opts.dryRun ? 'dry run: would copy' : 'copied', p) + (status.aborted ? ' (aborted)' : ''));
      checkEnded(status);
      return;
    }
    if (showProgress) line.update(formatProgress(await progressNow()), Date.now());
    if (ms > 0 && Date.now() - started >= ms) {
      if (showProgress) line.done('');
      throw new ErrTimeout(`timed out waiting for copy-bck[${xid}] after ${formatDuration(ms)} (the job keeps running: shoal job stop ${xid})`);
    }
    await sleep(PROGRESS_REFRESH_MS);
  }
}

export function registerBucketJobs(bucket: Command, ctx: CliContext): void {
  bucket
    .command('summary')
    .description('count objects and bytes of a bucket (a summary-bck job)')
    .argument('<bucket>', 'ais://B')
    .option('--prefix <prefix>', 'only objects whose names start with PREFIX')
    .option('--timeout <duration>', 'give up after this long (e.g. 30s, 2m)')
    .action(async (name: string, opts: WaitOpts & { prefix?: string }) => {
      const res = await summarize(ctx, parseBck(name), opts.prefix ?? '', timeoutMs(opts));
      ctx.out(renderTable(['NAME', 'OBJECTS', 'SIZE'], summaryRows(res)));
    });

  bucket
    .command('cp')
    .description('copy a bucket into another (a copy-bck job), showing progress')
    .argument('<src>', 'ais://SRC')
    .argument('<dst>', 'ais://DST (created if missing)')
    .option('--prefix <prefix>', 'copy only objects whose names start with PREFIX')
    .option('--dry-run', 'count what would be copied, copy nothing')
    .option('--no-progress', 'no progress bar')
    .option('--timeout <duration>', 'give up waiting after this long (the job keeps running)')
    .action(async (src: string, dst: string, opts: CpOpts) => {
      await copyWithProgress(ctx, parseBck(src), parseBck(dst), opts);
    });
}
