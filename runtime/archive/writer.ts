// createArchiveWriter: one writer per output format.
import type { Workers } from '../env/types.ts';
import type { ArchiveMime } from './mime.ts';
import { TarWriter } from './tar-writer.ts';
import type { ArchiveWriter } from './types.ts';
import { ZipWriter } from './zip-writer.ts';

export function createArchiveWriter(workers: Workers, mime: ArchiveMime): ArchiveWriter {
  switch (mime) {
    case '.tar':
      return new TarWriter(workers, undefined);
    case '.tgz':
    case '.tar.gz':
      return new TarWriter(workers, 'gzip');
    case '.tar.lz4':
      return new TarWriter(workers, 'lz4');
    case '.zip':
      return new ZipWriter(); // stored entries: nothing for the pool
  }
}
