// `--op copy`: fill a bucket with N objects of --size (not measured), time a copy-bck of it to a new
// bucket (start → IC status end_time > 0), and time `cp -r` of the same bytes (one file per object,
// written to a temp dir during the fill) to another temp dir on the same box.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from './http-client.ts';
import { jsonBody, mustSend } from './http-client.ts';
import { preloadObjects } from './preload.ts';
import { bucketPath } from './objects.ts';
import { table } from './report.ts';

export const COPY_POLL_MS = 20;
export const COPY_WAIT_MS_MAX = 3_600_000;

export interface CopyResult {
  what: string;
  objects: number;
  bytes: number;
  elapsedMs: number;
  mbPerSec: number;
}

async function run(cmd: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'inherit' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

export async function copyBench(opts: { client: HttpClient; baseUrl: string; bucket: string; objects: number; sizeBytes: number; tmp: string }): Promise<CopyResult[]> {
  const { client, baseUrl, bucket } = opts;
  const base = path.join(opts.tmp, 'cp-src');
  await preloadObjects({ client, baseUrl, bucket, count: opts.objects, sizeBytes: opts.sizeBytes, baselineRoot: base });
  const bytes = opts.objects * opts.sizeBytes;
  const result = (what: string, elapsedMs: number): CopyResult => ({ what, objects: opts.objects, bytes, elapsedMs, mbPerSec: bytes / 1e6 / (elapsedMs / 1000) });

  const dst = `${bucket}-copy`;
  const t0 = performance.now();
  const started = await mustSend(client, 'POST', `${baseUrl}${bucketPath(bucket)}?bck_to=${encodeURIComponent(`ais/@#/${dst}/`)}`, jsonBody({ action: 'copy-bck', value: {} }));
  const xid = started.body.toString('utf8');
  for (;;) {
    const r = await mustSend(client, 'GET', `${baseUrl}/v1/cluster?what=status`, jsonBody({ id: xid }));
    const s = JSON.parse(r.body.toString('utf8')) as { end_time: number; aborted: boolean; err: string };
    if (s.end_time > 0) {
      if (s.aborted || s.err) throw new Error(`copy-bck ${xid} failed: ${s.err}`);
      break;
    }
    if (performance.now() - t0 > COPY_WAIT_MS_MAX) throw new Error(`copy-bck ${xid} did not end in time`);
    await sleep(COPY_POLL_MS);
  }
  const shoal = result('shoal copy-bck', performance.now() - t0);

  const t1 = performance.now();
  await run('cp', ['-r', base, path.join(opts.tmp, 'cp-dst')]);
  const cp = result('cp -r', performance.now() - t1);
  return [shoal, cp];
}

export function copyTable(rs: readonly CopyResult[]): string {
  const cp = rs.find((r) => r.what === 'cp -r');
  return table(
    ['what', 'objects', 'MB', 'seconds', 'MB/s', 'vs cp -r'],
    rs.map((r) => [
      r.what, String(r.objects), (r.bytes / 1e6).toFixed(1), (r.elapsedMs / 1000).toFixed(2), r.mbPerSec.toFixed(1),
      cp ? `${(r.mbPerSec / cp.mbPerSec).toFixed(2)}x` : '-',
    ]),
  );
}
