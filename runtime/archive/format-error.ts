// A shard that is not what its name says (truncated, corrupt, unsupported variant): a 400, never an
// assert, since shards are user data. Also what a file's stream fails with when the corruption shows
// only while it is extracted (after findArchived).
import { ErrInvalidArgument } from '../../protocol/errors.ts';

export class ArchiveFormatError extends ErrInvalidArgument {
  override name = 'ArchiveFormatError';
}
