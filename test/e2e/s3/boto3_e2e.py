#!/usr/bin/python3
"""boto3 against a Shoal proxy's S3 API, driven by test/e2e/s3-clients.test.ts.

usage: boto3_e2e.py ENDPOINT BUCKET WORKDIR
WORKDIR holds small.bin and big.bin (written by the test). Keys: SHOAL_E2E_ACCESS_KEY and
SHOAL_E2E_SECRET_KEY (any value while S3 auth is off). Runs the steps in order, stops at the
first failure, and prints one JSON document: {"steps": [{"name", "ok", "error"}]} (steps after a
failure are reported as not run). Set SHOAL_E2E_BOTO3_DEBUG=1 for botocore's wire log on stderr.
"""
import datetime
import hashlib
import json
import os
import sys
import traceback
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

MIB = 1024 * 1024
PART_SIZE = 5 * MIB
PRESIGN_EXPIRES_S = 300


def md5(b):
    return hashlib.md5(b).hexdigest()


def multipart_etag(body, part_size):
    digests = [hashlib.md5(body[i:i + part_size]).digest() for i in range(0, len(body), part_size)]
    return '%s-%d' % (hashlib.md5(b''.join(digests)).hexdigest(), len(digests))


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def error_code(fn):
    """Runs fn, which must fail with a ClientError; returns (code, http status)."""
    try:
        fn()
    except ClientError as e:
        return e.response.get('Error', {}).get('Code'), e.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
    raise AssertionError('expected a ClientError, the call succeeded')


def main():
    endpoint, bucket, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
    if os.environ.get('SHOAL_E2E_BOTO3_DEBUG') == '1':
        boto3.set_stream_logger('botocore', 10)
    s3 = boto3.client(
        's3',
        endpoint_url=endpoint,
        region_name='us-east-1',
        aws_access_key_id=os.environ.get('SHOAL_E2E_ACCESS_KEY', 'shoal-e2e-key'),
        aws_secret_access_key=os.environ.get('SHOAL_E2E_SECRET_KEY', 'shoal-e2e-secret'),
        # retries off: a 5xx must fail the test, not hide behind a retry
        config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4', retries={'max_attempts': 1, 'mode': 'standard'}),
    )
    with open(os.path.join(workdir, 'small.bin'), 'rb') as f:
        small = f.read()
    big_path = os.path.join(workdir, 'big.bin')
    with open(big_path, 'rb') as f:
        big = f.read()

    def create_bucket():
        s3.create_bucket(Bucket=bucket)
        names = [b['Name'] for b in s3.list_buckets()['Buckets']]
        expect(bucket in names, 'list_buckets has no %s: %s' % (bucket, names))
        s3.head_bucket(Bucket=bucket)

    def put_object():
        r = s3.put_object(Bucket=bucket, Key='dir/small.bin', Body=small, ContentType='application/x-test',
                          Metadata={'color': 'blue', 'Mixed-Case': 'Value'})
        expect(r['ETag'] == '"%s"' % md5(small), 'put ETag %s, want md5 %s' % (r['ETag'], md5(small)))
        s3.put_object(Bucket=bucket, Key='dir/other.txt', Body=b'other')
        s3.put_object(Bucket=bucket, Key='top.txt', Body=b'top')

    def head_object():
        h = s3.head_object(Bucket=bucket, Key='dir/small.bin')
        expect(h['ContentLength'] == len(small), 'ContentLength %s' % h['ContentLength'])
        expect(h['ETag'] == '"%s"' % md5(small), 'ETag %s' % h['ETag'])
        expect(h['ContentType'] == 'application/x-test', 'ContentType %s' % h['ContentType'])
        expect(h['Metadata'] == {'color': 'blue', 'mixed-case': 'Value'}, 'Metadata %s' % h['Metadata'])
        expect(h.get('LastModified') is not None, 'no LastModified')

    def list_objects():
        r = s3.list_objects_v2(Bucket=bucket)
        keys = [o['Key'] for o in r.get('Contents', [])]
        expect(keys == ['dir/other.txt', 'dir/small.bin', 'top.txt'], 'v2 keys %s' % keys)
        sizes = {o['Key']: o['Size'] for o in r['Contents']}
        expect(sizes['dir/small.bin'] == len(small), 'v2 size %s' % sizes)
        r = s3.list_objects_v2(Bucket=bucket, Delimiter='/')
        expect([p['Prefix'] for p in r.get('CommonPrefixes', [])] == ['dir/'], 'v2 common prefixes %s' % r.get('CommonPrefixes'))
        expect([o['Key'] for o in r.get('Contents', [])] == ['top.txt'], 'v2 delimited keys %s' % r.get('Contents'))
        pages = s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, PaginationConfig={'PageSize': 1})
        paged = [o['Key'] for p in pages for o in p.get('Contents', [])]
        expect(paged == keys, 'paged v2 keys %s' % paged)
        pages = s3.get_paginator('list_objects').paginate(Bucket=bucket, Prefix='dir/', PaginationConfig={'PageSize': 1})
        paged = [o['Key'] for p in pages for o in p.get('Contents', [])]
        expect(paged == ['dir/other.txt', 'dir/small.bin'], 'paged v1 keys %s' % paged)

    def get_object():
        got = s3.get_object(Bucket=bucket, Key='dir/small.bin')['Body'].read()
        expect(got == small, 'GET body differs (%d bytes, want %d)' % (len(got), len(small)))

    def range_get():
        r = s3.get_object(Bucket=bucket, Key='dir/small.bin', Range='bytes=1000-1999')
        got = r['Body'].read()
        expect(got == small[1000:2000], 'range body differs (%d bytes)' % len(got))
        expect(r['ContentRange'] == 'bytes 1000-1999/%d' % len(small), 'ContentRange %s' % r['ContentRange'])
        code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key='dir/small.bin', Range='bytes=%d-' % (len(small) + 10)))
        expect((code, status) == ('InvalidRange', 416), 'unsatisfiable range: %s %s' % (code, status))

    def multipart_upload():
        cfg = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=4)
        s3.upload_file(big_path, bucket, 'big.bin', Config=cfg)
        h = s3.head_object(Bucket=bucket, Key='big.bin')
        want = '"%s"' % multipart_etag(big, PART_SIZE)
        expect(h['ETag'] == want, 'multipart ETag %s, want %s' % (h['ETag'], want))
        expect(h['ContentLength'] == len(big), 'multipart ContentLength %s' % h['ContentLength'])

    def multipart_download():
        # download_file reads a big object as concurrent ranged GETs (across the part boundaries)
        cfg = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=3 * MIB, max_concurrency=4)
        out = os.path.join(workdir, 'big.boto3.out')
        s3.download_file(bucket, 'big.bin', out, Config=cfg)
        with open(out, 'rb') as f:
            got = f.read()
        expect(hashlib.sha256(got).digest() == hashlib.sha256(big).digest(), 'downloaded big.bin differs (%d bytes)' % len(got))

    def multipart_low_level():
        up = s3.create_multipart_upload(Bucket=bucket, Key='mpt/low.bin', ContentType='application/x-mpt')
        uid = up['UploadId']
        listed = s3.list_multipart_uploads(Bucket=bucket).get('Uploads', [])
        expect(any(u['UploadId'] == uid and u['Key'] == 'mpt/low.bin' for u in listed), 'upload not listed: %s' % listed)
        parts = []
        for n, off in enumerate(range(0, 2 * PART_SIZE + 123, PART_SIZE), start=1):
            r = s3.upload_part(Bucket=bucket, Key='mpt/low.bin', UploadId=uid, PartNumber=n, Body=big[off:min(off + PART_SIZE, 2 * PART_SIZE + 123)])
            parts.append({'PartNumber': n, 'ETag': r['ETag']})
        lp = s3.list_parts(Bucket=bucket, Key='mpt/low.bin', UploadId=uid)
        expect([p['PartNumber'] for p in lp['Parts']] == [1, 2, 3], 'list_parts %s' % lp['Parts'])
        r = s3.complete_multipart_upload(Bucket=bucket, Key='mpt/low.bin', UploadId=uid, MultipartUpload={'Parts': parts})
        body = big[:2 * PART_SIZE + 123]
        expect(r['ETag'] == '"%s"' % multipart_etag(body, PART_SIZE), 'complete ETag %s' % r['ETag'])
        got = s3.get_object(Bucket=bucket, Key='mpt/low.bin')['Body'].read()
        expect(got == body, 'low-level multipart body differs')
        # abort leaves nothing behind
        uid2 = s3.create_multipart_upload(Bucket=bucket, Key='mpt/aborted.bin')['UploadId']
        s3.upload_part(Bucket=bucket, Key='mpt/aborted.bin', UploadId=uid2, PartNumber=1, Body=b'x' * 1024)
        s3.abort_multipart_upload(Bucket=bucket, Key='mpt/aborted.bin', UploadId=uid2)
        code, status = error_code(lambda: s3.list_parts(Bucket=bucket, Key='mpt/aborted.bin', UploadId=uid2))
        expect((code, status) == ('NoSuchUpload', 404), 'list_parts after abort: %s %s' % (code, status))

    def presigned_get():
        url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'dir/small.bin'}, ExpiresIn=PRESIGN_EXPIRES_S)
        with urllib.request.urlopen(url) as resp:
            got = resp.read()
        expect(got == small, 'presigned GET body differs')

    def copy_object():
        s3.copy_object(Bucket=bucket, Key='copy/small.bin', CopySource={'Bucket': bucket, 'Key': 'dir/small.bin'})
        h = s3.head_object(Bucket=bucket, Key='copy/small.bin')
        expect(h['Metadata'] == {'color': 'blue', 'mixed-case': 'Value'}, 'copied Metadata %s' % h['Metadata'])
        s3.copy_object(Bucket=bucket, Key='copy/replaced.bin', CopySource={'Bucket': bucket, 'Key': 'dir/small.bin'},
                       MetadataDirective='REPLACE', Metadata={'shape': 'round'}, ContentType='text/plain')
        h = s3.head_object(Bucket=bucket, Key='copy/replaced.bin')
        expect(h['Metadata'] == {'shape': 'round'} and h['ContentType'] == 'text/plain', 'replaced %s %s' % (h['Metadata'], h['ContentType']))
        got = s3.get_object(Bucket=bucket, Key='copy/replaced.bin')['Body'].read()
        expect(got == small, 'copied body differs')

    def conditional_get():
        etag = '"%s"' % md5(small)
        got = s3.get_object(Bucket=bucket, Key='dir/small.bin', IfMatch=etag)['Body'].read()
        expect(got == small, 'If-Match (matching) body differs')
        code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key='dir/small.bin', IfNoneMatch=etag))
        expect(status == 304, 'If-None-Match (matching): %s %s' % (code, status))
        code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key='dir/small.bin', IfMatch='"0123456789abcdef0123456789abcdef"'))
        expect((code, status) == ('PreconditionFailed', 412), 'If-Match (other): %s %s' % (code, status))
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
        code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key='dir/small.bin', IfModifiedSince=future))
        expect(status == 304, 'If-Modified-Since (future): %s %s' % (code, status))
        code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key='dir/small.bin', IfUnmodifiedSince=past))
        expect((code, status) == ('PreconditionFailed', 412), 'If-Unmodified-Since (past): %s %s' % (code, status))
        h = s3.head_object(Bucket=bucket, Key='dir/small.bin', IfNoneMatch='"0123456789abcdef0123456789abcdef"')
        expect(h['ContentLength'] == len(small), 'HEAD If-None-Match (other)')

    def response_overrides():
        r = s3.get_object(Bucket=bucket, Key='dir/small.bin', ResponseContentType='text/plain',
                          ResponseContentDisposition='attachment; filename="x.bin"', ResponseCacheControl='no-cache')
        r['Body'].read()
        expect(r['ContentType'] == 'text/plain', 'response-content-type: %s' % r['ContentType'])
        expect(r['ContentDisposition'] == 'attachment; filename="x.bin"', 'response-content-disposition: %s' % r.get('ContentDisposition'))
        expect(r.get('CacheControl') == 'no-cache', 'response-cache-control: %s' % r.get('CacheControl'))

    def special_keys():
        keys = ['odd/sp ace/a+b=c.bin', 'odd/ünïcødé/日本.txt', 'odd/100%.txt', 'odd/q?uestion#hash&amp.txt',
                'odd/dir//double', 'odd/trailing/', "odd/quote'\"<tag>.txt", 'odd/tilde~star*paren().txt']
        for i, k in enumerate(keys):
            s3.put_object(Bucket=bucket, Key=k, Body=('body-%d' % i).encode())
        for i, k in enumerate(keys):
            got = s3.get_object(Bucket=bucket, Key=k)['Body'].read()
            expect(got == ('body-%d' % i).encode(), 'GET %r: %r' % (k, got))
            s3.head_object(Bucket=bucket, Key=k)
        listed = [o['Key'] for o in s3.list_objects_v2(Bucket=bucket, Prefix='odd/').get('Contents', [])]
        expect(listed == sorted(keys), 'v2 listed %r, want %r' % (listed, sorted(keys)))
        listed = [o['Key'] for o in s3.list_objects(Bucket=bucket, Prefix='odd/').get('Contents', [])]
        expect(listed == sorted(keys), 'v1 listed %r' % listed)
        r = s3.list_objects_v2(Bucket=bucket, Prefix='odd/', Delimiter='/')
        prefixes = [p['Prefix'] for p in r.get('CommonPrefixes', [])]
        expect(prefixes == ['odd/dir/', 'odd/sp ace/', 'odd/trailing/', 'odd/ünïcødé/'], 'common prefixes %r' % prefixes)
        r = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': k} for k in keys]})
        expect(sorted(d['Key'] for d in r.get('Deleted', [])) == sorted(keys), 'delete special keys: %s' % r)

    def list_object_versions():
        r = s3.list_object_versions(Bucket=bucket, Prefix='dir/')
        vs = [(v['Key'], v['VersionId'], v['IsLatest']) for v in r.get('Versions', [])]
        expect(vs == [('dir/other.txt', 'null', True), ('dir/small.bin', 'null', True)], 'versions %s' % vs)
        got = s3.get_object(Bucket=bucket, Key='dir/small.bin', VersionId='null')['Body'].read()
        expect(got == small, 'GET versionId=null body differs')

    def upload_part_copy():
        uid = s3.create_multipart_upload(Bucket=bucket, Key='mpt/copied.bin')['UploadId']
        p1 = s3.upload_part_copy(Bucket=bucket, Key='mpt/copied.bin', UploadId=uid, PartNumber=1,
                                 CopySource={'Bucket': bucket, 'Key': 'big.bin'}, CopySourceRange='bytes=0-%d' % (PART_SIZE - 1))
        p2 = s3.upload_part_copy(Bucket=bucket, Key='mpt/copied.bin', UploadId=uid, PartNumber=2,
                                 CopySource={'Bucket': bucket, 'Key': 'dir/small.bin'})
        parts = [{'PartNumber': 1, 'ETag': p1['CopyPartResult']['ETag']}, {'PartNumber': 2, 'ETag': p2['CopyPartResult']['ETag']}]
        s3.complete_multipart_upload(Bucket=bucket, Key='mpt/copied.bin', UploadId=uid, MultipartUpload={'Parts': parts})
        got = s3.get_object(Bucket=bucket, Key='mpt/copied.bin')['Body'].read()
        expect(got == big[:PART_SIZE] + small, 'UploadPartCopy result differs (%d bytes)' % len(got))

    def delete_objects():
        r = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'copy/small.bin'}, {'Key': 'copy/replaced.bin'}, {'Key': 'never-existed'}]})
        deleted = sorted(d['Key'] for d in r.get('Deleted', []))
        expect(deleted == ['copy/replaced.bin', 'copy/small.bin', 'never-existed'], 'Deleted %s, Errors %s' % (deleted, r.get('Errors')))
        r = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'top.txt'}], 'Quiet': True})
        expect(not r.get('Deleted') and not r.get('Errors'), 'quiet delete answered %s' % r)

    def delete_object():
        s3.delete_object(Bucket=bucket, Key='dir/small.bin')
        code, status = error_code(lambda: s3.head_object(Bucket=bucket, Key='dir/small.bin'))
        expect(status == 404, 'head after delete: %s %s' % (code, status))
        code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key='dir/small.bin'))
        expect((code, status) == ('NoSuchKey', 404), 'get after delete: %s %s' % (code, status))

    def delete_bucket():
        code, status = error_code(lambda: s3.delete_bucket(Bucket=bucket))
        expect((code, status) == ('BucketNotEmpty', 409), 'delete non-empty bucket: %s %s' % (code, status))
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket):
            keys = [{'Key': o['Key']} for o in page.get('Contents', [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={'Objects': keys, 'Quiet': True})
        s3.delete_bucket(Bucket=bucket)
        code, status = error_code(lambda: s3.head_bucket(Bucket=bucket))
        expect(status == 404, 'head_bucket after delete: %s %s' % (code, status))
        code, status = error_code(lambda: s3.list_objects_v2(Bucket=bucket))
        expect((code, status) == ('NoSuchBucket', 404), 'list after delete: %s %s' % (code, status))

    steps = [
        ('create_bucket', create_bucket),
        ('put_object', put_object),
        ('head_object', head_object),
        ('list_objects', list_objects),
        ('get_object', get_object),
        ('range_get', range_get),
        ('multipart_upload', multipart_upload),
        ('multipart_download', multipart_download),
        ('multipart_low_level', multipart_low_level),
        ('presigned_get', presigned_get),
        ('copy_object', copy_object),
        ('conditional_get', conditional_get),
        ('response_overrides', response_overrides),
        ('special_keys', special_keys),
        ('list_object_versions', list_object_versions),
        ('upload_part_copy', upload_part_copy),
        ('delete_objects', delete_objects),
        ('delete_object', delete_object),
        ('delete_bucket', delete_bucket),
    ]
    out = []
    failed = None
    for name, fn in steps:
        if failed is not None:
            out.append({'name': name, 'ok': False, 'error': 'not run: step %s failed' % failed})
            continue
        try:
            fn()
            out.append({'name': name, 'ok': True, 'error': ''})
        except Exception:  # every failure is reported, with botocore's view of the answer
            failed = name
            out.append({'name': name, 'ok': False, 'error': traceback.format_exc(limit=4)})
    json.dump({'steps': out}, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
