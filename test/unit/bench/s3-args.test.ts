// `--op s3` options: the multipart size flag, its default, its bounds, and refusal with other ops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgError, parseArgs, S3_MPT_BYTES_MAX } from '../../../bench/args.ts';
import { objectsFor, S3_BENCH_OBJECTS_MAX } from '../../../bench/s3.ts';

test('--op s3 defaults to a 1 GiB multipart upload', () => {
  assert.equal(parseArgs(['--op', 's3']).s3MptBytes, 1024 ** 3);
});

test('--s3-mpt-size takes a size; 0 skips the large transfers', () => {
  assert.equal(parseArgs(['--op', 's3', '--s3-mpt-size', '256MiB']).s3MptBytes, 256 * 1024 ** 2);
  assert.equal(parseArgs(['--op', 's3', '--s3-mpt-size', '0']).s3MptBytes, 0);
});

test('--s3-mpt-size is refused with another op, above the bound, and when malformed', () => {
  assert.throws(() => parseArgs(['--op', 'put', '--s3-mpt-size', '1GiB']), (e: unknown) => e instanceof ArgError && /applies to --op s3 only/.test(e.message));
  assert.throws(() => parseArgs(['--op', 's3', '--s3-mpt-size', `${S3_MPT_BYTES_MAX + 1}`]), (e: unknown) => e instanceof ArgError && /at most 16GiB/.test(e.message));
  assert.throws(() => parseArgs(['--op', 's3', '--s3-mpt-size', 'lots']), (e: unknown) => e instanceof ArgError && /bad size "lots"/.test(e.message));
});

test('other ops carry no s3MptBytes', () => {
  assert.equal(parseArgs(['--op', 'get']).s3MptBytes, undefined);
});

test('objects per size: bounded by count and by bytes on disk', () => {
  assert.equal(objectsFor(4096, 100_000), S3_BENCH_OBJECTS_MAX);
  assert.equal(objectsFor(4096, 10), 10);
  assert.equal(objectsFor(1024 ** 2, 100_000), 256);
  assert.equal(objectsFor(1024 ** 3, 100_000), 1);
});
