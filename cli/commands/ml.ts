// `shoal ml get-batch [BUCKET[/NAME]] OUT --spec FILE|INLINE [--streaming] [--cont-on-err] [--omit-src-bck]`,
// as `ais ml get-batch` (cmd/cli/cli/ml.go, api/ml.go): one GET /v1/ml/moss with a MossReq body, the
// proxy's 307 followed to the designated target, 429 retried with back-off (AIS DoWithRetry), and
// the archive written to OUT (or stdout with "-") as it arrives.
import { Command, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { ErrInvalidArgument, ErrRemote } from '../../protocol/errors.ts';
import { parseBckObj, type BckRef } from '../args.ts';
import { errorFromBody, header, HTTP_REQUEST_TIMEOUT_MS, REDIRECTS_MAX, type AisClient } from '../client.ts';
import type { CliContext } from '../context.ts';
import { formatSize } from '../format.ts';
import { readMossMultipart } from '../multipart.ts';
import { buildMossReq, commandLineNames, loadSpecText, mimeFromOutName, moutName, parseSpec, type MossReq, type MossResp } from './ml-spec.ts';

/** Retries of a 429 (the designated target is over its buffer budget or work-item limit). */
export const GET_BATCH_RETRIES_MAX = 6;
/** First back-off; each next one is 1.5× longer (AIS httpRetryRateSleep, `sleep += sleep / 2`). */
export const GET_BATCH_RETRY_SLEEP_MS = 250;
/** A server's `Retry-After` is honoured up to this. */
export const RETRY_AFTER_MS_MAX = 10_000;
/** Error lines the summary prints before "... and N more". */
const SUMMARY_ERRORS_MAX = 20;
const ERROR_BODY_BYTES_MAX = 64 * 1024;

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Back-off before retry `attempt` (0-based): 250, 375, 562, ... ms, or the server's Retry-After. */
export function retryDelayMs(attempt: number, retryAfter?: string): number {
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) return Math.min(Number(retryAfter.trim()) * 1000, RETRY_AFTER_MS_MAX);
  let d = GET_BATCH_RETRY_SLEEP_MS;
  for (let i = 0; i < attempt; i++) d += Math.floor(d / 2);
  return d;
}

async function readText(body: Readable): Promise<string> {
  let out = '';
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (out.length < ERROR_BODY_BYTES_MAX) out += chunk.toString('utf8');
  }
  return out.slice(0, ERROR_BODY_BYTES_MAX);
}

/**
 * `/v1/ml/moss[/<bucket>]?provider=&coloc=` (AIS api._makeMossReq: the default bucket rides in the
 * path, a colocation hint also in the query).
 */
export function mossUrl(client: AisClient, bck: BckRef | undefined, coloc = 0): URL {
  const query: Record<string, string> = bck === undefined ? {} : { provider: bck.provider };
  if (coloc > 0) query['coloc'] = String(coloc);
  return bck === undefined ? client.url(['ml', 'moss'], query) : client.url(['ml', 'moss', encodeURIComponent(bck.name)], query);
}

export interface SendOptions {
  /** Told before each back-off (for a message on stderr). */
  onRetry?: (attempt: number, delayMs: number, status: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Sends the GetBatch and returns the 2xx answer (the caller reads its body). Redirects are followed
 * with the same body, as Go's client replays it on a 307; a 429 at any hop starts over at the proxy,
 * since the rejected work item is gone.
 */
export async function sendGetBatch(dispatcher: Dispatcher, first: URL, req: MossReq, opts: SendOptions = {}): Promise<Dispatcher.ResponseData> {
  const body = JSON.stringify(req);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    let url = first;
    let res: Dispatcher.ResponseData | undefined;
    for (let hop = 0; hop <= REDIRECTS_MAX; hop++) {
      res = await request(url, { method: 'GET', body, headers: { 'content-type': 'application/json' }, dispatcher });
      const location = header(res.headers, 'location');
      if (!REDIRECTS.has(res.statusCode) || location === undefined) break;
      await res.body.dump();
      url = new URL(location, url);
      res = undefined;
    }
    if (res === undefined) throw new ErrRemote('ErrHTTP', 508, `GET ${first.pathname}: more than ${REDIRECTS_MAX} redirects`);
    if (res.statusCode === 429 && attempt < GET_BATCH_RETRIES_MAX) {
      await res.body.dump();
      const delay = retryDelayMs(attempt, header(res.headers, 'retry-after'));
      opts.onRetry?.(attempt + 1, delay, res.statusCode);
      await sleep(delay);
      continue;
    }
    if (res.statusCode >= 400) throw errorFromBody('GET', url, res.statusCode, await readText(res.body));
    return res;
  }
}

interface GetBatchOpts {
  spec?: string;
  list?: string;
  template?: string;
  streaming?: boolean;
  contOnErr?: boolean;
  continueOnError?: boolean;
  coer?: boolean;
  omitSrcBck?: boolean;
  omitSrcBucket?: boolean;
  onob?: boolean;
  nonVerbose?: boolean;
  nv?: boolean;
}

/** Ends a file sink and waits until its bytes are flushed (errors surface here). */
async function endSink(sink: Writable): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    sink.once('error', reject);
    sink.end(() => resolve());
  });
}

/** Writes the answer to `sink`; returns the MossResp of a multipart answer, undefined when streamed. */
async function writeAnswer(res: Dispatcher.ResponseData, req: MossReq, sink: Writable, isStdout: boolean): Promise<{ resp?: MossResp; bytes: number }> {
  const ct = header(res.headers, 'content-type') ?? '';
  if (req.strm) {
    // AIS _checkMossResp: a streamed archive is application/x-tar, application/gzip, ...
    if (!ct.startsWith('application/')) {
      await res.body.dump();
      throw new ErrRemote('ErrHTTP', res.statusCode, `unexpected Content-Type "${ct}" for a streamed archive`);
    }
    let bytes = 0;
    res.body.on('data', (c: Buffer) => (bytes += c.length));
    await pipeline(res.body, sink, { end: !isStdout });
    return { bytes };
  }
  const { meta, archiveBytes } = await readMossMultipart<MossResp>(res.body, ct, sink);
  if (!isStdout) await endSink(sink);
  if (!Array.isArray(meta.out) || meta.out.length !== req.in.length) {
    // AIS guarantees one MossOut per item, in order; anything else is a broken answer.
    throw new ErrRemote('ErrHTTP', res.statusCode, `metadata lists ${Array.isArray(meta.out) ? meta.out.length : 'no'} entries for ${req.in.length} requested`);
  }
  return { resp: meta, bytes: archiveBytes };
}

export function summaryLines(out: string, req: MossReq, resp: MossResp | undefined, bytes: number): string[] {
  if (resp === undefined) return [`Streamed ${req.in.length} objects to ${out === '-' ? 'standard output' : out} (${formatSize(bytes)})`];
  const errs = resp.out.filter((o) => o.err_msg !== undefined && o.err_msg !== '');
  const errNote = errs.length === 0 ? '' : `, ${errs.length} missing`;
  const lines = [`Created ML batch archive ${out === '-' ? '(standard output)' : out} with ${resp.out.length} objects (${formatSize(bytes)}${errNote})`];
  for (const o of errs.slice(0, SUMMARY_ERRORS_MAX)) lines.push(`  ${moutName(o)}: ${o.err_msg}`);
  if (errs.length > SUMMARY_ERRORS_MAX) lines.push(`  ... and ${errs.length - SUMMARY_ERRORS_MAX} more`);
  return lines;
}

async function getBatchAction(ctx: CliContext, first: string, second: string | undefined, opts: GetBatchOpts): Promise<void> {
  const exclusive = [opts.spec, opts.list, opts.template].filter((x) => x !== undefined).length;
  if (exclusive > 1) throw new ErrInvalidArgument('--spec, --list and --template are mutually exclusive');
  const out = second ?? first;
  let bck: BckRef | undefined;
  let objName: string | undefined;
  if (second !== undefined) ({ bck, objName } = parseBckObj(first));
  else if (opts.list !== undefined || opts.template !== undefined) throw new ErrInvalidArgument(`${opts.list !== undefined ? '--list' : '--template'} needs a BUCKET argument before ${out}`);
  const names = commandLineNames({ list: opts.list, template: opts.template, objName });
  const spec = opts.spec === undefined ? undefined : await (async () => {
    const { text, ext } = await loadSpecText(opts.spec!, process.stdin);
    return parseSpec(text, ext);
  })();
  const quiet = opts.nonVerbose === true || opts.nv === true;
  const { req, warnings } = buildMossReq({
    spec,
    bck,
    names,
    outMime: mimeFromOutName(out),
    coer: opts.contOnErr || opts.continueOnError || opts.coer,
    onob: opts.omitSrcBck || opts.omitSrcBucket || opts.onob,
    streaming: opts.streaming,
  });
  if (!quiet) for (const w of warnings) ctx.err(`Warning: ${w}\n`);

  const client = ctx.client();
  const dispatcher = new Agent({ headersTimeout: HTTP_REQUEST_TIMEOUT_MS, bodyTimeout: HTTP_REQUEST_TIMEOUT_MS });
  const isStdout = out === '-';
  let sink: Writable | undefined;
  try {
    const res = await sendGetBatch(dispatcher, mossUrl(client, bck, req.coloc), req, {
      onRetry: (attempt, ms, status) => {
        if (!quiet) ctx.err(`GetBatch: ${status} (cluster busy), retry ${attempt}/${GET_BATCH_RETRIES_MAX} in ${ms} ms\n`);
      },
    });
    // The file is created only once the cluster said yes: a refused request leaves nothing behind.
    sink = isStdout ? process.stdout : createWriteStream(out);
    const { resp, bytes } = await writeAnswer(res, req, sink, isStdout);
    if (!quiet) {
      const text = summaryLines(out, req, resp, bytes).join('\n') + '\n';
      if (isStdout) ctx.err(text);
      else ctx.out(text);
    }
  } catch (err) {
    if (sink !== undefined && !isStdout) {
      sink.destroy();
      await rm(out, { force: true });
    }
    // `... - | head`: the reader went away, which is not a failure.
    if (isStdout && (err as { code?: unknown }).code === 'EPIPE') return;
    throw err;
  } finally {
    await dispatcher.close();
  }
}

export function registerMl(parent: Command, ctx: CliContext): void {
  const ml = parent.command('ml').description('machine learning operations: batch retrieval of objects and archived files (GetBatch)');
  ml.command('get-batch')
    .description(
      'get objects, files inside shards (.tar, .tgz, .tar.gz, .tar.lz4, .zip) and byte ranges of either, from any buckets,\n' +
        'as one archive in request order; the destination extension picks the format (.tar, .tgz, .tar.gz, .tar.lz4, .zip)\n' +
        'examples:\n' +
        '  shoal ml get-batch training.tar --spec batch.yaml\n' +
        '  shoal ml get-batch dataset.tar.lz4 --spec batch.json --streaming\n' +
        '  shoal ml get-batch ais://data --list "a.wav, b.wav" out.tgz\n' +
        '  shoal ml get-batch ais://data --template "shard-{000..009}.tar" out.zip\n' +
        '  shoal ml get-batch ais://data/shard.tar/file.wav out.tar',
    )
    .argument('<first>', '[BUCKET[/NAME_or_TEMPLATE]] then DST_ARCHIVE ("-" for stdout)')
    .argument('[second]', 'DST_ARCHIVE when a BUCKET is given')
    .option('-f, --spec <spec>', 'MossReq in JSON or YAML: a file, "-" for stdin, or inline (starting with "{")')
    .option('--list <names>', 'comma-separated object names (or shard.tar/archived/file) in BUCKET')
    .option('--template <template>', 'object names in BUCKET by a template, e.g. "shard-{000..009}.tar"')
    .option('--streaming', 'stream the archive as it is assembled (not for .zip)')
    .option('--cont-on-err', 'keep going past missing items: zero-size __404__/ entries instead of failing')
    .addOption(new Option('--continue-on-error').hideHelp())
    .addOption(new Option('--coer').hideHelp())
    .option('--omit-src-bck', 'name entries <object>[/<archpath>], without the source bucket')
    .addOption(new Option('--omit-src-bucket').hideHelp())
    .addOption(new Option('--onob').hideHelp())
    .option('--non-verbose', 'print nothing on success')
    .addOption(new Option('--nv').hideHelp())
    .action((first: string, second: string | undefined, opts: GetBatchOpts) => getBatchAction(ctx, first, second, opts));
}

