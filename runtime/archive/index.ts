// Archives for GetBatch (AIS x-moss): writers of .tar/.tgz/.tar.gz/.tar.lz4/.zip output, and readers
// of one file inside a shard (the `archpath` of a batch item).
export type { ArchiveWriter, RandomAccess, ArchivedFile } from './types.ts';
export { type ArchiveMime, parseArchiveMime, mimeOfName } from './mime.ts';
export { createArchiveWriter } from './writer.ts';
export { findArchived } from './find.ts';
export { ShardCache, shardKey, SHARD_CACHE_BYTES_DEFAULT, type CachedFile, type ShardCacheStats } from './shard-cache.ts';
