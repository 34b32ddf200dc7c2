// The GetBatch request as `shoal ml get-batch` builds it: spec parsing (JSON, YAML, strict keys),
// names from the command line, the format from the destination, the default bucket.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import {
  buildMossReq,
  commandLineNames,
  GET_BATCH_NAMES_MAX,
  isInlineSpec,
  loadSpecText,
  mimeFromOutName,
  moutName,
  parseSpec,
  SPEC_BYTES_MAX,
  splitArchivePath,
} from '../../../cli/commands/ml-spec.ts';
import { retryDelayMs, RETRY_AFTER_MS_MAX } from '../../../cli/commands/ml.ts';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';

const BCK = { name: 'data', provider: 'ais' };

test('spec: JSON and YAML give the same MossReq', () => {
  const json = parseSpec('{"mime":".tgz","coer":true,"in":[{"objname":"a","bucket":"b"},{"objname":"s.tar","archpath":"x/y","start":2,"length":-1,"opaque":"aGk="}]}');
  const yaml = parseSpec(['mime: .tgz', 'coer: true', 'in:', '  - objname: a', '    bucket: b', '  - objname: s.tar', '    archpath: x/y', '    start: 2', '    length: -1', '    opaque: aGk='].join('\n'));
  assert.deepEqual(yaml, json);
  assert.equal(json.in[1]!.length, -1);
});

test('spec: .json files are JSON even when they do not start with "{"; YAML errors name the format', () => {
  assert.throws(() => parseSpec('in: []', '.json'), (e: Error) => e instanceof ErrInvalidArgument && /cannot parse JSON/.test(e.message));
  assert.throws(() => parseSpec('in: [a, b', '.yaml'), (e: Error) => e instanceof ErrInvalidArgument && /cannot parse YAML/.test(e.message));
  assert.throws(() => parseSpec('{"in": [', ''), /cannot parse JSON/);
});

test('spec: unknown fields and wrong types are usage errors (AIS DisallowUnknownFields)', () => {
  const bad = (text: string, re: RegExp): void => assert.throws(() => parseSpec(text), (e: Error) => e instanceof ErrInvalidArgument && re.test(e.message), text);
  bad('{"in":[],"output_format":"tar"}', /unknown field "output_format"/);
  bad('{"in":[{"objname":"a","archive":"x"}]}', /in\[0\]: unknown field "archive"/);
  bad('{"in":[{"bucket":"b"}]}', /in\[0\] has no "objname"/);
  bad('{"in":[{"objname":""}]}', /in\[0\] has no "objname"/);
  bad('{"in":[{"objname":"a","start":"1"}]}', /in\[0\]\.start must be an integer/);
  bad('{"in":[{"objname":"a","length":1.5}]}', /in\[0\]\.length must be an integer/);
  bad('{"in":"a"}', /"in" must be a array/);
  bad('{"in":[],"strm":"yes"}', /"strm" must be a boolean/);
  bad('{"in":[],"coloc":"1"}', /"coloc" must be an integer/);
  bad('[1,2]', /expected a MossReq object/);
  bad('{"in":[3]}', /in\[0\] must be an object/);
});

test('spec argument: inline JSON, inline YAML list, "-" is stdin, otherwise a file', async () => {
  assert.equal(isInlineSpec('{"in":[]}'), true);
  assert.equal(isInlineSpec('  {"in":[]}'), true);
  assert.equal(isInlineSpec('- objname: a'), true);
  assert.equal(isInlineSpec('in:\n  - objname: a'), true);
  assert.equal(isInlineSpec('-'), false);
  assert.equal(isInlineSpec('batch.yaml'), false);
  const dir = await mkdtemp(join(tmpdir(), 'shoal-spec-'));
  try {
    await writeFile(join(dir, 'b.yaml'), 'in:\n  - objname: a\n');
    assert.deepEqual(await loadSpecText(join(dir, 'b.yaml'), Readable.from([])), { text: 'in:\n  - objname: a\n', ext: '.yaml' });
    assert.deepEqual(await loadSpecText('-', Readable.from([Buffer.from('{"in":'), Buffer.from('[]}')])), { text: '{"in":[]}', ext: '' });
    await assert.rejects(loadSpecText(join(dir, 'nope.json'), Readable.from([])), (e: Error) => e instanceof ErrInvalidArgument && /does not exist/.test(e.message));
    await assert.rejects(loadSpecText('-', Readable.from([Buffer.alloc(SPEC_BYTES_MAX + 1)])), /too big/);
    await writeFile(join(dir, 'big.json'), Buffer.alloc(SPEC_BYTES_MAX + 1, 0x20));
    await assert.rejects(loadSpecText(join(dir, 'big.json'), Readable.from([])), /too big/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('destination extension picks the format; "-" leaves it to the spec; unknown is a usage error', () => {
  assert.equal(mimeFromOutName('a.tar'), '.tar');
  assert.equal(mimeFromOutName('a.tgz'), '.tgz');
  assert.equal(mimeFromOutName('/x/a.tar.gz'), '.tar.gz');
  assert.equal(mimeFromOutName('a.TAR.LZ4'), '.tar.lz4');
  assert.equal(mimeFromOutName('a.zip'), '.zip');
  assert.equal(mimeFromOutName('-'), undefined);
  assert.throws(() => mimeFromOutName('a.gz'), (e: Error) => e instanceof ErrInvalidArgument && /unknown archive extension/.test(e.message));
  assert.throws(() => mimeFromOutName('out'), ErrInvalidArgument);
});

test('archive paths split at the first shard extension followed by "/"', () => {
  assert.deepEqual(splitArchivePath('a.wav'), { objname: 'a.wav' });
  assert.deepEqual(splitArchivePath('s.tar/x/y.jpg'), { objname: 's.tar', archpath: 'x/y.jpg' });
  assert.deepEqual(splitArchivePath('d/s.tar.gz/f'), { objname: 'd/s.tar.gz', archpath: 'f' });
  assert.deepEqual(splitArchivePath('s.tar.lz4/f.tar/g'), { objname: 's.tar.lz4', archpath: 'f.tar/g' });
  assert.deepEqual(splitArchivePath('s.zip/'), { objname: 's.zip' });
  assert.deepEqual(splitArchivePath('s.tarx/f'), { objname: 's.tarx/f' });
});

test('command-line names: --list, --template (also in the BUCKET/NAME argument), a single name', () => {
  assert.deepEqual(commandLineNames({ list: 'a, b ,c,' }), ['a', 'b', 'c']);
  assert.throws(() => commandLineNames({ list: ' , ' }), /no names/);
  assert.deepEqual(commandLineNames({ template: 'shard-{00..02}.tar' }), ['shard-00.tar', 'shard-01.tar', 'shard-02.tar']);
  assert.deepEqual(commandLineNames({ objName: 'x-{1..3..2}' }), ['x-1', 'x-3']);
  assert.deepEqual(commandLineNames({ objName: 's.tar/f' }), ['s.tar/f']);
  assert.deepEqual(commandLineNames({}), []);
  assert.throws(() => commandLineNames({ template: `a-{0..${GET_BATCH_NAMES_MAX}}` }), /more than/);
  assert.throws(() => commandLineNames({ template: 'a-{5..1}' }), ErrInvalidArgument);
});

test('request: default bucket filled in, names appended, flags only turn options on', () => {
  const spec = parseSpec('{"mime":"tar","onob":true,"in":[{"objname":"a"},{"objname":"b","bucket":"other","provider":"ais"},{"objname":"c","uname":"ais://u/c"}]}');
  const { req, warnings } = buildMossReq({ spec, bck: BCK, names: ['s.tar/f.txt'], outMime: '.tar', coer: true, streaming: true });
  assert.deepEqual(req, {
    mime: '.tar',
    onob: true,
    coer: true,
    strm: true,
    in: [
      { objname: 'a', bucket: 'data', provider: 'ais' },
      { objname: 'b', bucket: 'other', provider: 'ais' },
      { objname: 'c', uname: 'ais://u/c' },
      { objname: 's.tar', archpath: 'f.txt', bucket: 'data', provider: 'ais' },
    ],
  });
  assert.deepEqual(warnings, ['adding 1 command-line name to the 3 of the spec']);
  assert.equal(spec.in[0]!.bucket, undefined, 'the parsed spec is not mutated');
});

test('request: the destination format wins over the spec with a warning; same format spelled twice does not warn', () => {
  const spec = parseSpec('{"mime":".zip","in":[{"objname":"a","bucket":"b"}]}');
  const r = buildMossReq({ spec, names: [], outMime: '.tar.lz4' });
  assert.equal(r.req.mime, '.tar.lz4');
  assert.match(r.warnings[0]!, /\.tar\.lz4 in the command line takes precedence/);
  assert.deepEqual(buildMossReq({ spec: parseSpec('{"mime":"tgz","in":[{"objname":"a","bucket":"b"}]}'), names: [], outMime: '.tar.gz' }).warnings, []);
  assert.equal(buildMossReq({ spec: parseSpec('{"mime":".tgz","in":[{"objname":"a","bucket":"b"}]}'), names: [] }).req.mime, '.tgz', 'stdout keeps the spec format');
});

test('request: errors before anything is sent', () => {
  assert.throws(() => buildMossReq({ names: [] }), (e: Error) => e instanceof ErrInvalidArgument && /empty get-batch request/.test(e.message));
  assert.throws(() => buildMossReq({ spec: parseSpec('{"in":[{"objname":"a"}]}'), names: [] }), /missing bucket for in\[0\] "a"/);
  assert.throws(() => buildMossReq({ names: ['a'], bck: BCK, outMime: '.zip', streaming: true }), /\.zip cannot be streamed/);
  assert.throws(() => buildMossReq({ spec: parseSpec('{"strm":true,"mime":".zip","in":[{"objname":"a","bucket":"b"}]}'), names: [] }), /\.zip cannot be streamed/);
});

test('429 back-off grows 1.5x (AIS DoWithRetry); Retry-After wins, capped', () => {
  assert.deepEqual([0, 1, 2, 3].map((a) => retryDelayMs(a)), [250, 375, 562, 843]);
  assert.equal(retryDelayMs(0, '2'), 2000);
  assert.equal(retryDelayMs(0, '3600'), RETRY_AFTER_MS_MAX);
  assert.equal(retryDelayMs(1, 'soon'), 375);
});

test('summary names: provider scheme, bucket, object, archpath', () => {
  assert.equal(moutName({ objname: 'o', bucket: 'b', provider: 'ais', size: 0 }), 'ais://b/o');
  assert.equal(moutName({ objname: 's.tar', archpath: 'f', bucket: 'b', provider: '', size: 0 }), 'ais://b/s.tar/f');
});
