// GetBatch output read back by the system tools only (tar, tar -z, tar -I lz4, unzip): entry names in
// archive order, and the extracted bytes of each entry. Never our own readers: the proof is that
// standard tools accept what Shoal writes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Listings of big batches are long. */
const TOOL_OUTPUT_BYTES_MAX = 64 * 1024 * 1024;

export type OutMime = '.tar' | '.tgz' | '.tar.gz' | '.tar.lz4' | '.zip';
export const OUT_MIMES: readonly OutMime[] = ['.tar', '.tgz', '.tar.gz', '.tar.lz4', '.zip'];

function tarFlags(mime: OutMime): string[] {
  if (mime === '.tgz' || mime === '.tar.gz') return ['-z'];
  if (mime === '.tar.lz4') return ['-I', 'lz4'];
  return [];
}

/** Entry names in archive order (`tar -tf` / `unzip -Z1`), directories excluded. */
export async function listArchive(file: string, mime: OutMime): Promise<string[]> {
  const { stdout } = mime === '.zip'
    ? await run('unzip', ['-Z1', file], { maxBuffer: TOOL_OUTPUT_BYTES_MAX })
    : await run('tar', [...tarFlags(mime), '-tf', file], { maxBuffer: TOOL_OUTPUT_BYTES_MAX });
  return stdout.split('\n').filter((l) => l !== '' && !l.endsWith('/'));
}

/** Extracts into a new directory (returned); the caller removes it. */
export async function extractArchive(file: string, mime: OutMime, parent: string): Promise<string> {
  const to = await mkdtemp(join(parent, 'x-'));
  if (mime === '.zip') await run('unzip', ['-q', file, '-d', to], { maxBuffer: TOOL_OUTPUT_BYTES_MAX });
  else await run('tar', [...tarFlags(mime), '-xf', file, '-C', to], { maxBuffer: TOOL_OUTPUT_BYTES_MAX });
  return to;
}

export interface ExpectedEntry {
  name: string;
  data: Uint8Array;
}

/**
 * The archive holds exactly `expected`, in that order, with those bytes — as the system tools see
 * it. `archive` is the bytes (written to a temp file) or the path of a file.
 */
export async function assertArchive(archive: Uint8Array | string, mime: OutMime, expected: readonly ExpectedEntry[], what: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-arch-check-'));
  try {
    const file = typeof archive === 'string' ? archive : join(dir, `out${mime}`);
    if (typeof archive !== 'string') await writeFile(file, archive);
    const names = await listArchive(file, mime);
    assert.deepEqual(names, expected.map((e) => e.name), `${what}: entries in request order`);
    await mkdir(join(dir, 'x'));
    const to = await extractArchive(file, mime, join(dir, 'x'));
    for (const e of expected) {
      const got = await readFile(join(to, e.name));
      assert.equal(got.length, e.data.length, `${what}: size of ${e.name}`);
      assert.ok(got.equals(e.data), `${what}: bytes of ${e.name}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
