import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_RESOURCES,
  formatAllocationRequest,
  formatResourcePool,
  isValidResourceName,
  parseAllocationRequest,
  parseResourceDescriptor,
  parseResourcePool,
  parseResourceRequest,
  summarizeResourcePool,
} from '../../src/common/resource-spec.js';
import { formatResourceAmount } from '../../src/common/resource-amount.js';
import { expectUserError } from './expect-user-error.js';

test('list pools, with bare and quoted values', () => {
  assert.deepEqual(parseResourceDescriptor('gpus=[0,1]'), { name: 'gpus', kind: 'list', groups: [['0', '1']], sum: 0 });
  assert.deepEqual(parseResourceDescriptor('   mem    =   [   1  ] '), {
    name: 'mem',
    kind: 'list',
    groups: [['1']],
    sum: 0,
  });
  assert.deepEqual(parseResourceDescriptor('fpga=[a, b, c]').groups, [['a', 'b', 'c']]);
  assert.deepEqual(parseResourceDescriptor('x=["foo [,]", bar, "my resource",   " sp "  ]').groups, [
    ['foo [,]', 'bar', 'my resource', ' sp '],
  ]);
  assert.equal(parseResourceDescriptor('gpus/nvidia=[GPU-1a2b,GPU-3c4d]').name, 'gpus/nvidia');
});

test('group pools; a single group is a list', () => {
  assert.deepEqual(parseResourceDescriptor('gpus=[[0,1],[2,3]]'), {
    name: 'gpus',
    kind: 'groups',
    groups: [
      ['0', '1'],
      ['2', '3'],
    ],
    sum: 0,
  });
  assert.deepEqual(parseResourceDescriptor('cpus=[   [ 0 ] ,  [ 7  ] , [ 123  ,  200 ]  ]').groups, [
    ['0'],
    ['7'],
    ['123', '200'],
  ]);
  assert.deepEqual(parseResourceDescriptor('cpus=[[5, 7, 123]]'), {
    name: 'cpus',
    kind: 'list',
    groups: [['5', '7', '123']],
    sum: 0,
  });
});

test('range, NxM and sum pools', () => {
  assert.deepEqual(parseResourceDescriptor('res=range(1-4)'), {
    name: 'res',
    kind: 'range',
    groups: [['1', '2', '3', '4']],
    sum: 0,
  });
  assert.deepEqual(parseResourceDescriptor('  gpu  =  range  ( 10 -  12 ) ').groups, [['10', '11', '12']]);
  assert.deepEqual(parseResourceDescriptor('cpus=2x3').groups, [
    ['0', '1', '2'],
    ['3', '4', '5'],
  ]);
  assert.deepEqual(parseResourceDescriptor('cpus=1x3'), { name: 'cpus', kind: 'range', groups: [['0', '1', '2']], sum: 0 });
  assert.deepEqual(parseResourceDescriptor('mem=sum(65536)'), { name: 'mem', kind: 'sum', groups: [], sum: 65536 });
  assert.equal(parseResourceDescriptor('   mem  = sum ( 1000_000 ) ').sum, 1_000_000);
  assert.equal(parseResourceDescriptor('disk=sum(0.5)').sum, 0.5);
});

test('bad pool definitions name the value', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /resource name/],
    ['=1', /resource name/],
    ['1a=[1]', /resource name/],
    ['a_b=[1]', /'='/],
    ['gpus', /'='/],
    ['x=', /expected \[values\]/],
    ['x=foo', /expected \[values\]/],
    ['x=1', /'x'/],
    ['x=sum', /'\('/],
    ['x=sum()', /sum size/],
    ['x=sum(x)', /sum size/],
    ['x=sum(0)', /cannot be empty/],
    ['x=sum(1.12345)', /decimal places/],
    ['mem=[]', /at least one value/],
    ['mem=[1,2,1]', /'1' is listed twice/],
    ['mem=[1,]', /expected a value/],
    ['mem=[1', /',' or '\]'/],
    ['mem=["a]', /unterminated/],
    ['mem=[""]', /empty quoted/],
    ['cpus=[[0, 1], []]', /each group/],
    ['cpus=[[0, 1], [1]]', /'1' is listed twice/],
    ['xxx=[[1]', /'\]'|','/],
    ['gpu=range()', /range start/],
    ['gpu=range(10)', /'-'/],
    ['gpu=range(5-3)', /ends before it starts/],
    ['gpu=range(0-4294967295)', /more than/],
    ['cpus=0x4', /no indices/],
    ['cpus=2x3 ', /unexpected/],
    ['cpus=2x3x4', /unexpected/],
    ['x=[1] y', /unexpected/],
  ];
  for (const [text, reason] of bad) expectUserError(() => parseResourceDescriptor(text), `'${text}'`, reason);
});

test('resource names', () => {
  assert.ok(isValidResourceName('gpus/nvidia'));
  assert.ok(isValidResourceName('ab1c'));
  assert.ok(!isValidResourceName('1a'));
  assert.ok(!isValidResourceName('a_b'));
  assert.ok(!isValidResourceName('a-b'));
  assert.ok(!isValidResourceName(''));
});

test('resource requests with amounts and policies', () => {
  assert.deepEqual(parseResourceRequest('gpus=2'), { name: 'gpus', amount: 2, policy: 'compact' });
  assert.deepEqual(parseResourceRequest('gpus=0.5'), { name: 'gpus', amount: 0.5, policy: 'compact' });
  assert.deepEqual(parseResourceRequest('mem=1000'), { name: 'mem', amount: 1000, policy: 'compact' });
  assert.deepEqual(parseResourceRequest('a=5_000 compact'), { name: 'a', amount: 5000, policy: 'compact' });
  assert.deepEqual(parseResourceRequest('cpus=351 scatter'), { name: 'cpus', amount: 351, policy: 'scatter' });
  assert.deepEqual(parseResourceRequest('cpus=11 compact!'), { name: 'cpus', amount: 11, policy: 'compact!' });
  assert.deepEqual(parseResourceRequest('foo=6 tight'), { name: 'foo', amount: 6, policy: 'tight' });
  assert.deepEqual(parseResourceRequest('foo=6 tight!'), { name: 'foo', amount: 6, policy: 'tight!' });
  assert.deepEqual(parseResourceRequest('gpus/nvidia = 2.5 scatter'), {
    name: 'gpus/nvidia',
    amount: 2.5,
    policy: 'scatter',
  });
  assert.deepEqual(parseResourceRequest('xxx=all'), { name: 'xxx', amount: ALL_RESOURCES, policy: 'compact' });
  assert.equal(parseResourceRequest('a=0.0001').amount, 0.0001);
  assert.equal(parseResourceRequest('a=4.0 compact!').amount, 4);
});

test('bad resource requests name the value', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /resource name/],
    ['=1', /resource name/],
    ['1a=1', /resource name/],
    [' a=1', /resource name/],
    ['a', /'='/],
    ['a=', /amount or 'all'/],
    ['a=x', /amount or 'all', found 'x'/],
    ['a=allx', /found 'allx'/],
    ['a=all compact', /unexpected/],
    ['aa=0', /zero resources/],
    ['aa=0.0', /zero resources/],
    ['a=-1', /amount or 'all'/],
    ['a=3.', /unexpected '\.'/],
    ['a=0.12345', /decimal places/],
    ['a=2 fast', /policies/],
    ['a=2 compact ', /unexpected/],
    ['a=0.5 compact!', /whole number/],
    ['a=1.5 tight!', /whole number/],
    ['a=4294967296', /32 bits/],
  ];
  for (const [text, reason] of bad) expectUserError(() => parseResourceRequest(text), `'${text}'`, reason);
});

test('allocation requests on their own', () => {
  assert.deepEqual(parseAllocationRequest(' 4 '), { amount: 4, policy: 'compact' });
  assert.deepEqual(parseAllocationRequest('4compact!'), { amount: 4, policy: 'compact!' });
  expectUserError(() => parseAllocationRequest('4 foo', 'gpu request'), '4 foo', /gpu request/);
});

test('printing pools and requests', () => {
  assert.equal(formatResourcePool(parseResourcePool('[4, 7]')), '[4,7]');
  assert.equal(formatResourcePool(parseResourcePool('[[0,1,2,4],[10,11,12,14]]')), '[[0,1,2,4],[10,11,12,14]]');
  assert.equal(formatResourcePool(parseResourcePool('range(0-7)')), 'range(0-7)');
  assert.equal(formatResourcePool(parseResourcePool('range(3-3)')), '[3]');
  assert.equal(formatResourcePool(parseResourcePool('1x1')), '[0]');
  assert.equal(formatResourcePool(parseResourcePool('sum(1234)')), 'sum(1234)');
  assert.equal(summarizeResourcePool(parseResourcePool('2x4')), '2x4');
  assert.equal(summarizeResourcePool(parseResourcePool('[[0,1],[2,3],[4,5],[6,7],[8,9],[10,11,12,13,14,15]]')), '5x2 1x6');
  assert.equal(summarizeResourcePool(parseResourcePool('range(1-5)')), '5');
  assert.equal(summarizeResourcePool(parseResourcePool('sum(2.5)')), '2.5');
  assert.equal(formatAllocationRequest({ amount: 2, policy: 'compact' }), '2 compact');
  assert.equal(formatAllocationRequest({ amount: 0.25, policy: 'scatter' }), '0.25 scatter');
  assert.equal(formatAllocationRequest({ amount: ALL_RESOURCES, policy: 'compact' }), 'all');
});

test('resource amounts print like HyperQueue', () => {
  assert.equal(formatResourceAmount(0), '0');
  assert.equal(formatResourceAmount(0.0001), '0.0001');
  assert.equal(formatResourceAmount(500), '500');
  assert.equal(formatResourceAmount(500.0123), '500.0123');
  assert.equal(formatResourceAmount(500.9999), '500.9999');
  assert.equal(formatResourceAmount(1.1), '1.1');
  assert.equal(formatResourceAmount(1.22), '1.22');
  assert.equal(formatResourceAmount(1.341), '1.341');
});
