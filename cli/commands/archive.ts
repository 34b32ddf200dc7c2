// `shoal archive put SRC... ais://B/SHARD.tar|.tgz|.tar.gz|.tar.lz4|.zip`, as `ais archive put`: files
// and directories packed into one shard (format from the shard's extension) and PUT as one object.
// The shard is built in a temporary file first: the PUT needs its size up front, and a 307 to the
// target must be able to send it again.
import type { Command } from 'commander';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { mimeOfName, type ArchiveMime } from '../../runtime/archive/mime.ts';
import { bckString, parseObj, type ObjRef } from '../args.ts';
import type { CliContext } from '../context.ts';
import { formatSize } from '../format.ts';

/** Bound on files in one shard, so a wrong SRC (e.g. /) fails fast instead of walking forever. */
export const ARCHIVE_FILES_MAX = 100_000;

export interface ShardEntry {
  /** Name inside the shard. */
  name: string;
  file: string;
  size: number;
  mtimeMs: number;
}

export interface CollectOptions {
  recursive?: boolean;
  /** Prefix of every name inside the shard; for a single file not ending in "/", its exact name. */
  archpath?: string;
  includeSrcDir?: boolean;
}

/** `"a, b"` → `[a, b]`: `ais archive put` takes a comma-separated list as one argument too. */
export function splitSources(args: readonly string[]): string[] {
  return args.flatMap((a) => a.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

/** Name inside the shard for a file found under a source directory (always `/`-separated). */
export function entryName(prefix: string, rel: string): string {
  const r = rel.split(sep).join('/');
  if (prefix === '') return r;
  return prefix.endsWith('/') ? prefix + r : `${prefix}/${r}`;
}

async function walk(dir: string, recursive: boolean, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) await walk(p, recursive, out);
    } else if (e.isFile()) out.push(p);
    if (out.length > ARCHIVE_FILES_MAX) throw new ErrInvalidArgument(`more than ${ARCHIVE_FILES_MAX} files to archive`);
  }
}

/** The shard's entries in a stable order (sources as given, each directory sorted by name). */
export async function collectEntries(sources: readonly string[], opts: CollectOptions): Promise<ShardEntry[]> {
  if (sources.length === 0) throw new ErrInvalidArgument('nothing to archive: name at least one file or directory');
  const prefix = opts.archpath ?? '';
  const out: ShardEntry[] = [];
  for (const src of sources) {
    let st;
    try {
      st = await stat(src);
    } catch {
      throw new ErrInvalidArgument(`"${src}" does not exist`);
    }
    if (st.isFile()) {
      const single = sources.length === 1 && prefix !== '' && !prefix.endsWith('/');
      out.push({ name: single ? prefix : entryName(prefix, basename(src)), file: src, size: st.size, mtimeMs: st.mtimeMs });
    } else if (st.isDirectory()) {
      const files: string[] = [];
      await walk(src, opts.recursive === true, files);
      const dirPrefix = opts.includeSrcDir ? entryName(prefix, basename(src.replace(/[/\\]+$/, ''))) : prefix;
      for (const f of files) {
        const fst = await stat(f);
        out.push({ name: entryName(dirPrefix, relative(src, f)), file: f, size: fst.size, mtimeMs: fst.mtimeMs });
      }
    } else {
      throw new ErrInvalidArgument(`"${src}" is neither a file nor a directory`);
    }
    if (out.length > ARCHIVE_FILES_MAX) throw new ErrInvalidArgument(`more than ${ARCHIVE_FILES_MAX} files to archive`);
  }
  if (out.length === 0) throw new ErrInvalidArgument(`no files in ${sources.join(', ')}${opts.recursive ? '' : ' (use -r for subdirectories)'}`);
  const seen = new Set<string>();
  for (const e of out) {
    if (seen.has(e.name)) throw new ErrInvalidArgument(`two files would be named "${e.name}" inside the shard`);
    seen.add(e.name);
  }
  return out;
}

/** The shard's format, from the destination object's name. */
export function shardMime(obj: ObjRef): ArchiveMime {
  const mime = mimeOfName(obj.objName.toLowerCase());
  if (mime === undefined) throw new ErrInvalidArgument(`"${obj.objName}": a shard name must end with .tar, .tgz, .tar.gz, .tar.lz4 or .zip`);
  return mime;
}

/** Writes the shard to `file`; entries in order, each streamed from disk. Returns its size. */
export async function writeShard(entries: readonly ShardEntry[], mime: ArchiveMime, file: string): Promise<number> {
  // Loaded on use: the writers (tar-stream, yazl, the worker pool module) cost every other command ~0.3 s of start-up.
  const { createArchiveWriter } = await import('../../runtime/archive/index.ts');
  const { inlineWorkers } = await import('../../runtime/env/real/workers.ts');
  const workers = inlineWorkers();
  const writer = createArchiveWriter(workers, mime);
  const written = pipeline(writer.output, createWriteStream(file));
  try {
    for (const e of entries) await writer.add(e.name, createReadStream(e.file), e.size, e.mtimeMs);
    await writer.finish();
    await written;
  } catch (err) {
    writer.abort(err as Error);
    await written.catch(() => undefined);
    throw err;
  } finally {
    await workers.close();
  }
  return (await stat(file)).size;
}

interface PutOpts {
  recursive?: boolean;
  archpath?: string;
  includeSrcDir?: boolean;
  dryRun?: boolean;
}

async function archivePut(ctx: CliContext, args: string[], opts: PutOpts): Promise<void> {
  if (args.length < 2) throw new ErrInvalidArgument('expected SRC... DST: files or directories, then ais://BUCKET/SHARD.tar');
  const dst = parseObj(args[args.length - 1]!);
  const mime = shardMime(dst);
  const entries = await collectEntries(splitSources(args.slice(0, -1)), opts);
  const total = entries.reduce((n, e) => n + e.size, 0);
  const where = `${bckString(dst.bck)}/${dst.objName}`;
  if (opts.dryRun) {
    for (const e of entries) ctx.out(`[DRY RUN] ${e.file} => ${where}/${e.name}\n`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'shoal-archive-'));
  try {
    const file = join(dir, `shard${mime}`);
    const size = await writeShard(entries, mime, file);
    await ctx.client().putObject(dst, { size, open: () => createReadStream(file) });
    ctx.out(`Archived ${entries.length} file${entries.length === 1 ? '' : 's'} (${formatSize(total)}) => ${where} (${formatSize(size)})\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function registerArchive(parent: Command, ctx: CliContext): void {
  const archive = parent.command('archive').description('create shards: .tar, .tgz, .tar.gz, .tar.lz4 and .zip objects');
  archive
    .command('put')
    .description(
      'archive files and/or directories as one shard and PUT it (format from the shard name), e.g.:\n' +
        '  shoal archive put a.jpg b.jpg ais://data/shard-000.tar\n' +
        '  shoal archive put -r src-dir ais://data/shard-001.tar.lz4 --archpath train/',
    )
    .argument('<paths...>', 'FILE|DIR ... then ais://BUCKET/SHARD (.tar, .tgz, .tar.gz, .tar.lz4, .zip)')
    .option('-r, --recursive', 'include subdirectories')
    .option('--archpath <path>', 'name prefix inside the shard (a single file: its name, unless it ends with "/")')
    .option('--include-src-dir', 'prefix names with the source directory\'s base name')
    .option('--dry-run', 'print what would be archived')
    .action((paths: string[], opts: PutOpts) => archivePut(ctx, paths, opts));
}
