// Archive formats of GetBatch output and of shards, named by extension as AIS does (cmn/archive/mime.go).
import { ErrInvalidArgument } from '../../protocol/errors.ts';

export type ArchiveMime = '.tar' | '.tgz' | '.tar.gz' | '.tar.lz4' | '.zip';

/** Order matters: AIS tries these in order, so 'tar.gz' and 'tar.lz4' are matched before plain 'tar'. */
const MIMES_BY_PRIORITY: readonly ArchiveMime[] = ['.tar.gz', '.tar.lz4', '.tar', '.tgz', '.zip'];
const EXTS_BY_LENGTH: readonly ArchiveMime[] = ['.tar.lz4', '.tar.gz', '.tgz', '.zip', '.tar'];

/**
 * The archive format a client asked for: '' means '.tar'; like AIS, a MIME type that contains the
 * extension also names it ('application/x-tar', 'zip', 'tar.gz').
 */
export function parseArchiveMime(s: string): ArchiveMime {
  if (s === '') return '.tar';
  for (const m of MIMES_BY_PRIORITY) if (s.includes(m.slice(1))) return m;
  throw new ErrInvalidArgument(`unknown mime type "${s}" (expecting one of .tar, .tgz, .tar.gz, .tar.lz4, .zip)`);
}

/** The format of a shard from its object name; undefined when the name has no archive extension. */
export function mimeOfName(name: string): ArchiveMime | undefined {
  return EXTS_BY_LENGTH.find((ext) => name.endsWith(ext));
}
