// x-amz-checksum-* calculators: base64 of the big-endian digest, check values from the CRC
// catalogue ("123456789") and AWS examples ("hello world").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checksumAlgOfHeader,
  checksumMismatch,
  createS3Checksummer,
  parseChecksumAlg,
  s3ChecksumOf,
  validateChecksumValue,
} from '../../../../protocol/s3/checksum.ts';
import { ErrS3 } from '../../../../protocol/s3/errors.ts';

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

describe('S3 checksums', () => {
  it('check values', async () => {
    assert.equal(await s3ChecksumOf('crc32', '123456789'), b64('cbf43926'));
    assert.equal(await s3ChecksumOf('crc32c', '123456789'), b64('e3069283'));
    assert.equal(await s3ChecksumOf('crc64nvme', '123456789'), b64('ae8b14860a799888'));
    assert.equal(await s3ChecksumOf('crc32', 'hello world'), 'DUoRhQ==');
    assert.equal(await s3ChecksumOf('crc32c', 'hello world'), 'yZRlqg==');
    assert.equal(await s3ChecksumOf('sha1', 'hello world'), 'Kq5sNclPz7QV2+lfQIuc6R7oRu0=');
    assert.equal(await s3ChecksumOf('sha256', 'hello world'), 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=');
    assert.equal(await s3ChecksumOf('crc32', ''), 'AAAAAA==');
  });

  it('is incremental', async () => {
    const c = await createS3Checksummer('crc32c');
    c.update(Buffer.from('hello '));
    c.update(Buffer.from('world'));
    assert.equal(c.digest(), 'yZRlqg==');
  });

  it('maps header names to algorithms', () => {
    assert.equal(checksumAlgOfHeader('x-amz-checksum-crc32'), 'crc32');
    assert.equal(checksumAlgOfHeader('X-Amz-Checksum-SHA256'), 'sha256');
    assert.equal(checksumAlgOfHeader('x-amz-checksum-algorithm'), undefined);
    assert.equal(checksumAlgOfHeader('x-amz-checksum-type'), undefined);
    assert.equal(checksumAlgOfHeader('content-md5'), undefined);
    assert.equal(parseChecksumAlg('CRC64NVME'), 'crc64nvme');
  });

  it('refuses unknown algorithms and bad values with InvalidRequest 400', () => {
    const invalid = (fn: () => unknown): void =>
      assert.throws(fn, (e: unknown) => e instanceof ErrS3 && e.s3Code === 'InvalidRequest' && e.status === 400);
    invalid(() => checksumAlgOfHeader('x-amz-checksum-md5'));
    invalid(() => parseChecksumAlg('MD5'));
    invalid(() => validateChecksumValue('crc32', 'not base64!'));
    invalid(() => validateChecksumValue('crc32', 'AAAAAAAA')); // 6 bytes, not 4
    invalid(() => validateChecksumValue('sha256', 'DUoRhQ=='));
    validateChecksumValue('crc32', 'DUoRhQ==');
  });

  it('mismatch is BadDigest with S3 message', () => {
    const e = checksumMismatch('crc32c');
    assert.ok(e instanceof ErrS3);
    assert.equal(e.s3Code, 'BadDigest');
    assert.equal(e.status, 400);
    assert.equal(e.message, 'The CRC32C you specified did not match the calculated checksum.');
  });
});
