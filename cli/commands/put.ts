// `shoal put FILE B[/OBJ]` and `put -r DIR B[/PREFIX]`: streams files, never reads one whole.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { Hdr } from '../../protocol/apc.ts';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { bckString, parseBckObj, type ObjRef } from '../args.ts';
import { cksumFile } from '../cksum.ts';
import type { CliContext } from '../context.ts';
import { formatSize } from '../format.ts';

/** Bound on files one `put -r` uploads, so a wrong DIR (e.g. /) fails fast instead of walking forever. */
export const PUT_FILES_MAX = 1_000_000;

export interface PutOptions {
  recursive?: boolean;
  computeChecksum?: boolean;
  dryRun?: boolean;
}

/**
 * Object name for one file, as `ais put`: `B` or `B/` → basename; `B/dir/` → `dir/basename`;
 * `B/name` → `name`.
 */
export function putObjName(dstObj: string, file: string): string {
  if (dstObj === '') return basename(file);
  if (dstObj.endsWith('/')) return dstObj + basename(file);
  return dstObj;
}

/** Object name for a file found under DIR by `put -r`: PREFIX joined with the relative path by `/`. */
export function putTreeObjName(prefix: string, dir: string, file: string): string {
  const rel = relative(dir, file).split(sep).join('/');
  if (prefix === '') return rel;
  return prefix.endsWith('/') ? prefix + rel : `${prefix}/${rel}`;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
    if (out.length > PUT_FILES_MAX) throw new ErrInvalidArgument(`"${dir}" holds more than ${PUT_FILES_MAX} files`);
  }
}

export function registerPut(parent: Command, ctx: CliContext): void {
  parent
    .command('put')
    .description('upload a file as an object, or a directory tree with -r')
    .argument('<src>', 'FILE, or DIR with -r')
    .argument('<dst>', 'B[/OBJ] (OBJ defaults to the file name), or B[/PREFIX] with -r')
    .option('-r, --recursive', 'upload the whole directory tree')
    .option('--compute-checksum', "compute the checksum (bucket's type) and let the target verify it")
    .option('--dry-run', 'print what would be uploaded')
    .action(async (src: string, dst: string, opts: PutOptions) => {
      const { bck, objName } = parseBckObj(dst);
      const st = await stat(src);
      const jobs: { file: string; obj: ObjRef; size: number }[] = [];
      if (st.isDirectory()) {
        if (!opts.recursive) throw new ErrInvalidArgument(`"${src}" is a directory: use -r to upload a directory tree`);
        const files: string[] = [];
        await walk(src, files);
        for (const f of files) jobs.push({ file: f, obj: { bck, objName: putTreeObjName(objName, src, f) }, size: (await stat(f)).size });
      } else if (st.isFile()) {
        jobs.push({ file: src, obj: { bck, objName: putObjName(objName, src) }, size: st.size });
      } else {
        throw new ErrInvalidArgument(`"${src}" is neither a file nor a directory`);
      }

      let cksumType: string | undefined;
      if (opts.computeChecksum) {
        cksumType = (await ctx.client().bucketProps(bck)).checksum.type;
        if (cksumType === 'none') cksumType = undefined;
      }
      let total = 0;
      for (const job of jobs) {
        const line = `PUT "${job.file}" => ${bckString(bck)}/${job.obj.objName}`;
        if (opts.dryRun) {
          ctx.out(`[DRY RUN] ${line}\n`);
          continue;
        }
        const headers: Record<string, string> = {};
        if (cksumType !== undefined) {
          headers[Hdr.cksumType] = cksumType;
          headers[Hdr.cksumValue] = await cksumFile(job.file, cksumType);
        }
        await ctx.client().putObject(job.obj, { size: job.size, open: () => createReadStream(job.file) }, { headers });
        total += job.size;
        if (jobs.length === 1) ctx.out(`${line}\n`);
      }
      if (jobs.length > 1 && !opts.dryRun) ctx.out(`PUT ${jobs.length} objects (${formatSize(total)}) => ${bckString(bck)}/${objName}\n`);
    });
}
