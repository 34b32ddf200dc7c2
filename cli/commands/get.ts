// `shoal get B/OBJ [DST|-]`: streams the object (or a range of it) to a file or stdout.
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { bckString, parseObj, parseSize } from '../args.ts';
import { header } from '../client.ts';
import type { CliContext } from '../context.ts';
import { formatSize } from '../format.ts';

/** `Range` header for `--offset/--length`; undefined when neither is given. */
export function rangeHeader(offset: number | undefined, length: number | undefined): string | undefined {
  if (offset === undefined && length === undefined) return undefined;
  const start = offset ?? 0;
  if (length === undefined) return `bytes=${start}-`;
  if (length === 0) throw new ErrInvalidArgument('--length must be greater than zero');
  return `bytes=${start}-${start + length - 1}`;
}

export function registerGet(parent: Command, ctx: CliContext): void {
  parent
    .command('get')
    .description('download an object to a file, or to stdout with "-"')
    .argument('<object>', 'B/OBJ')
    .argument('[dst]', 'file name or "-" for stdout (default: the object base name)')
    .option('--offset <n>', 'read from this byte offset (e.g. 1024 or 1KiB)')
    .option('--length <n>', 'read this many bytes')
    .action(async (arg: string, dst: string | undefined, opts: { offset?: string; length?: string }) => {
      const obj = parseObj(arg);
      const range = rangeHeader(
        opts.offset === undefined ? undefined : parseSize(opts.offset, '--offset'),
        opts.length === undefined ? undefined : parseSize(opts.length, '--length'),
      );
      const target = dst ?? basename(obj.objName);
      const reader = await ctx.client().getObject(obj, range === undefined ? {} : { range });
      if (target === '-') {
        // Leave stdout open: node cannot end it, and later output would be lost.
        try {
          await pipeline(reader.body, process.stdout, { end: false });
        } catch (err) {
          // `shoal get B/O - | head`: the reader went away, which is not a failure.
          if ((err as { code?: unknown }).code !== 'EPIPE') throw err;
        }
        return;
      }
      try {
        await pipeline(reader.body, createWriteStream(target));
      } catch (err) {
        await rm(target, { force: true });
        throw err;
      }
      const len = header(reader.headers, 'content-length');
      const size = len === undefined ? '' : ` (${formatSize(len)})`;
      ctx.out(`GET ${obj.objName} from ${bckString(obj.bck)} as "${target}"${size}\n`);
    });
}
