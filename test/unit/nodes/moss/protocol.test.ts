// GetBatch wire rules (protocol/moss.ts): MossReq validation, the AIS range forms and bounds, names
// in the output archive, bucket resolution per item, and the get_batch config knobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrInvalidArgument, ErrRangeNotSatisfiable } from '../../../../protocol/errors.ts';
import {
  checkRange, checkRangeForm, defaultGetBatchConf, durationMs, missingName, mossOut, nameInArch, parseMossReqJson, planOf, setGetBatchConf, type MossReq,
} from '../../../../protocol/moss.ts';

const provider = (p: string) => ({ '': 'ais', ais: 'ais', s3: 'aws', aws: 'aws' })[p] ?? assert.fail(`bad provider ${p}`);
const noCheck = () => {};

function plan(req: MossReq, dflt?: { provider: string; name: string }) {
  return planOf(req, dflt, provider, noCheck);
}

test('bad JSON, wrong types and a missing objname are 400 with the reason', () => {
  assert.throws(() => parseMossReqJson('{"in": ['), (e) => e instanceof ErrInvalidArgument && /failed to parse request body as JSON/.test(e.message));
  assert.throws(() => parseMossReqJson('{}'), (e) => e instanceof ErrInvalidArgument && /must have required property 'in'/.test(e.message));
  assert.throws(() => parseMossReqJson('{"in":[{"bucket":"b"}]}'), (e) => e instanceof ErrInvalidArgument && /objname/.test(e.message));
  assert.throws(() => parseMossReqJson('{"in":[{"objname":"o","start":"1"}]}'), (e) => e instanceof ErrInvalidArgument && /start/.test(e.message));
  assert.throws(() => parseMossReqJson('{"in":[],"strm":"yes"}'), (e) => e instanceof ErrInvalidArgument && /strm/.test(e.message));
  assert.deepEqual(parseMossReqJson('{"in":[{"objname":"o"}],"mime":".tgz"}'), { in: [{ objname: 'o' }], mime: '.tgz' });
});

test('an empty "in", an item without a bucket, coloc out of range: 400', () => {
  assert.throws(() => plan({ in: [] }), /"in" must name at least one object/);
  assert.throws(() => plan({ in: [{ objname: 'x' }] }), /missing bucket for "x"/);
  assert.throws(() => plan({ in: [{ objname: 'x', bucket: 'b' }], coloc: 3 }), /invalid coloc=3/);
});

test('bucket per item: URL bucket default, bucket+provider (aliases), uname', () => {
  const p = plan({ in: [{ objname: 'a' }, { objname: 'b', bucket: 'b2', provider: 's3' }, { objname: 'c', uname: 'ais://b3' }] }, { provider: 'ais', name: 'b1' });
  assert.deepEqual(p.items.map((i) => `${i.bck.provider}://${i.bck.name}/${i.objname}`), ['ais://b1/a', 'aws://b2/b', 'ais://b3/c']);
  assert.deepEqual({ mime: p.mime, coer: p.coer, onob: p.onob, strm: p.strm, coloc: p.coloc }, { mime: '', coer: false, onob: false, strm: false, coloc: 0 });
  assert.throws(() => plan({ in: [{ objname: 'c', uname: 'nonsense' }] }), /invalid uname "nonsense"/);
});

test('range forms (AIS MossIn.UnmarshalJSON): start≠0 with length 0, negative start, length < -1 are refused', () => {
  for (const [s, l] of [[0, 0], [5, 10], [5, -1], [0, -1]] as const) checkRangeForm(s, l, 'o');
  assert.throws(() => checkRangeForm(5, 0, 'o'), (e) => e instanceof ErrInvalidArgument && e.message === 'x-moss: invalid range start=5,length=0 (oname: "o"): length 0 with a non-zero start is not allowed (use -1 to read to the end)');
  assert.throws(() => checkRangeForm(-1, 5, 'o'), ErrInvalidArgument);
  assert.throws(() => checkRangeForm(0, -2, 'o'), ErrInvalidArgument);
  assert.throws(() => checkRangeForm(-3, -1, 'o'), /invalid range start=-3 \(oname/);
});

test('range bounds (AIS MossIn.CheckRange): whole, exact, open-ended; out of bounds is 416 with the size', () => {
  assert.deepEqual(checkRange(0, 0, 100), { off: 0, len: 100 });
  assert.deepEqual(checkRange(0, 0, 0), { off: 0, len: 0 });
  assert.deepEqual(checkRange(10, 20, 100), { off: 10, len: 20 });
  assert.deepEqual(checkRange(10, 90, 100), { off: 10, len: 90 });
  assert.deepEqual(checkRange(10, -1, 100), { off: 10, len: 90 });
  assert.deepEqual(checkRange(0, -1, 100), { off: 0, len: 100 });
  const is416 = (msg: string) => (e: unknown) => e instanceof ErrRangeNotSatisfiable && e.status === 416 && e.size === 100 && e.message === msg;
  assert.throws(() => checkRange(100, 1, 100), is416('size=100: not satisfiable range [start=100,length=1]'));
  assert.throws(() => checkRange(10, 91, 100), is416('size=100: not satisfiable range [start=10,length=91]'));
  assert.throws(() => checkRange(100, -1, 100), is416('size=100: not satisfiable range [start=100]'));
  assert.throws(() => checkRange(0, -1, 0), ErrRangeNotSatisfiable); // nothing to read from an empty object
});

test('names in the archive: <bucket>/<obj>[/<archpath>], onob <obj>[/<archpath>], __404__/ for missing', () => {
  const it = { bck: { provider: 'ais', name: 'b' }, objname: 'd/o.tar', archpath: '', start: 0, length: 0 };
  const ap = { ...it, archpath: 'x/y.jpg' };
  assert.equal(nameInArch(it, false), 'b/d/o.tar');
  assert.equal(nameInArch(it, true), 'd/o.tar');
  assert.equal(nameInArch(ap, false), 'b/d/o.tar/x/y.jpg');
  assert.equal(nameInArch(ap, true), 'd/o.tar/x/y.jpg');
  assert.equal(missingName(it, false), '__404__/b/d/o.tar');
  assert.equal(missingName(ap, true), '__404__/d/o.tar/x/y.jpg');
  assert.deepEqual(mossOut({ ...ap, opaque: 'AQI=' }, 7), { objname: 'd/o.tar', bucket: 'b', provider: 'ais', size: 7, archpath: 'x/y.jpg', opaque: 'AQI=' });
  assert.deepEqual(mossOut(it, 0, 'gone'), { objname: 'd/o.tar', bucket: 'b', provider: 'ais', size: 0, err_msg: 'gone' });
});

test('get_batch config: AIS defaults, set-config keys and their bounds', () => {
  const d = defaultGetBatchConf();
  assert.deepEqual({ max_wait: d.max_wait, max_soft_errs: d.max_soft_errs, warmup_workers: d.warmup_workers }, { max_wait: '20s', max_soft_errs: 8, warmup_workers: -1 });
  assert.equal(durationMs('20s'), 20_000);
  assert.equal(durationMs('1500ms'), 1_500);
  assert.equal(durationMs('1m'), 60_000);
  assert.throws(() => durationMs('soon'), /invalid duration "soon"/);
  assert.equal(setGetBatchConf(d, 'max_wait', '5s').max_wait, '5s');
  assert.throws(() => setGetBatchConf(d, 'max_wait', '500ms'), /out of range \[1s, 1m\]/);
  assert.throws(() => setGetBatchConf(d, 'max_wait', '2m'), /out of range/);
  assert.equal(setGetBatchConf(d, 'max_soft_errs', '0').max_soft_errs, 0);
  assert.throws(() => setGetBatchConf(d, 'warmup_workers', '11'), /expecting an integer in \[-1, 10\]/);
  assert.equal(setGetBatchConf(d, 'buffer_budget', '1').buffer_budget, 1);
  assert.throws(() => setGetBatchConf(d, 'nope', '1'), /"get_batch.nope" is not a get_batch knob/);
});
