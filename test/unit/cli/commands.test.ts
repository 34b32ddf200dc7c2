import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rangeHeader } from '../../../cli/commands/get.ts';
import { entryCell, lsFlags, lsProps } from '../../../cli/commands/ls.ts';
import { objectRows } from '../../../cli/commands/object.ts';
import { putObjName, putTreeObjName } from '../../../cli/commands/put.ts';
import { nodeFlags, renderSmap } from '../../../cli/commands/show.ts';
import { objectPropsFromHeaders } from '../../../cli/client.ts';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import type { Smap, Snode } from '../../../protocol/smap.ts';

test('ls props: default name,size; all; unknown rejected; name-only', () => {
  assert.deepEqual(lsProps(undefined, false), ['name', 'size']);
  assert.deepEqual(lsProps('size,atime', false), ['name', 'size', 'atime']);
  assert.equal(lsProps('all', false).length, 14);
  assert.deepEqual(lsProps('all', true), ['name']);
  assert.throws(() => lsProps('size,bogus', false), ErrInvalidArgument);
});

test('ls flags travel as a decimal string; --nr is 2048', () => {
  assert.equal(lsFlags({}), '0');
  assert.equal(lsFlags({ nr: true }), '2048');
  assert.equal(lsFlags({ nr: true, noDirs: true, nameOnly: true }), String(2048 + 8192 + 16));
});

test('ls cells: directories get a trailing slash and no size', () => {
  assert.equal(entryCell({ name: 'a/b', flags: 256 }, 'name'), 'a/b/');
  assert.equal(entryCell({ name: 'a/b/', flags: 256 }, 'name'), 'a/b/');
  assert.equal(entryCell({ name: 'a/b', flags: 256, size: '0' }, 'size'), '');
  assert.equal(entryCell({ name: 'f', size: '2048' }, 'size'), '2.00KiB');
  assert.equal(entryCell({ name: 'f', flags: 64 }, 'cached'), 'yes');
  assert.equal(entryCell({ name: 'f' }, 'checksum'), '-');
  assert.equal(entryCell({ name: 'f', flags: 0 }, 'status'), 'ok');
});

test('put object names: basename by default, directory prefix, tree prefix', () => {
  assert.equal(putObjName('', '/tmp/x/file.bin'), 'file.bin');
  assert.equal(putObjName('dir/', '/tmp/x/file.bin'), 'dir/file.bin');
  assert.equal(putObjName('named', '/tmp/x/file.bin'), 'named');
  assert.equal(putTreeObjName('', '/tmp/x', '/tmp/x/a/b.txt'), 'a/b.txt');
  assert.equal(putTreeObjName('pre', '/tmp/x', '/tmp/x/a/b.txt'), 'pre/a/b.txt');
  assert.equal(putTreeObjName('pre/', '/tmp/x', '/tmp/x/b.txt'), 'pre/b.txt');
});

test('get --offset/--length map to an inclusive Range', () => {
  assert.equal(rangeHeader(undefined, undefined), undefined);
  assert.equal(rangeHeader(10, 5), 'bytes=10-14');
  assert.equal(rangeHeader(10, undefined), 'bytes=10-');
  assert.equal(rangeHeader(undefined, 4), 'bytes=0-3');
  assert.throws(() => rangeHeader(0, 0), ErrInvalidArgument);
});

test('object show rows from HEAD headers, custom metadata repeated', () => {
  const props = objectPropsFromHeaders({
    'content-length': '1536',
    'ais-checksum-type': 'xxhash2',
    'ais-checksum-value': '0123456789abcdef',
    'ais-atime': '1700000000000000000',
    'ais-version': '3',
    'ais-custom-md': ['a=1', 'b=2'],
    'ais-location': 't[x]:mp[/m1]',
    'ais-size': '1536',
  });
  assert.deepEqual(props.custom, { a: '1', b: '2' });
  assert.deepEqual(objectRows('ais://b/o', props, undefined), [
    ['name', 'ais://b/o'],
    ['size', '1.50KiB'],
    ['checksum', 'xxhash2[0123456789abcdef]'],
    ['atime', '14 Nov 23 22:13 UTC'],
    ['version', '3'],
  ]);
  const all = objectRows('ais://b/o', props, 'all');
  assert.ok(all.some(([k, v]) => k === 'custom' && v === 'a=1, b=2'));
  assert.ok(all.some(([k, v]) => k === 'location' && v === 't[x]:mp[/m1]'));
  assert.equal(all.filter(([k]) => k === 'size').length, 1);
  assert.deepEqual(objectRows('ais://b/o', props, 'size,version'), [['size', '1.50KiB'], ['version', '3']]);
});

function snode(id: string, type: 'proxy' | 'target', flags = 0): Snode {
  const net = { node_ip_addr: '127.0.0.1', daemon_port: '1', direct_url: `http://127.0.0.1:1/${id}` };
  return { daemon_id: id, daemon_type: type, public_net: net, intra_control_net: net, intra_data_net: net, flags, id_digest: '1' };
}

test('show cluster marks the primary and lists proxies before targets', () => {
  const p1 = snode('p1', 'proxy');
  const smap: Smap = {
    pmap: { p1 },
    tmap: { t2: snode('t2', 'target', 4), t1: snode('t1', 'target') },
    proxy_si: p1,
    uuid: 'u',
    creation_time: '',
    version: '7',
  };
  const lines = renderSmap(smap).split('\n');
  assert.match(lines[0]!, /^NODE\s+TYPE\s+STATUS\s+PUBLIC URL\s+FLAGS$/);
  assert.match(lines[1]!, /^p\[p1\]\[P\]\s+proxy\s+online\s+http:\/\/127\.0\.0\.1:1\/p1\s+-$/);
  assert.match(lines[2]!, /^t\[t1\]\s+target/);
  assert.match(lines[3]!, /^t\[t2\]\s+target\s+maintenance\s+.*maintenance$/);
  assert.ok(renderSmap(smap).includes('Proxies: 1\tTargets: 2\tCluster map version: 7'));
  assert.ok(!renderSmap(smap, 'target').includes('p[p1]'));
  assert.equal(nodeFlags(1 | 2), 'non-electable,ic');
});
