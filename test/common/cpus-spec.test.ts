import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCpuRequest, parseWorkerCpus } from '../../src/common/cpus-spec.js';
import { ALL_RESOURCES } from '../../src/common/resource-spec.js';
import { expectUserError } from './expect-user-error.js';

const ids = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

test('worker cpus: a count, sockets x cores, explicit ids and groups', () => {
  assert.deepEqual(parseWorkerCpus('8'), [ids(0, 7)]);
  assert.deepEqual(parseWorkerCpus('+4'), [ids(0, 3)]);
  assert.deepEqual(parseWorkerCpus('2x12'), [ids(0, 11), ids(12, 23)]);
  assert.deepEqual(parseWorkerCpus('1x3'), [ids(0, 2)]);
  assert.deepEqual(parseWorkerCpus('[0,1,2,3]'), [ids(0, 3)]);
  assert.deepEqual(parseWorkerCpus('[0, 5, 7]'), [['0', '5', '7']]);
  assert.deepEqual(parseWorkerCpus('[[0,1],[2,3]]'), [
    ['0', '1'],
    ['2', '3'],
  ]);
  assert.deepEqual(parseWorkerCpus('[[2, 3, 4], [10, 14]]'), [
    ['2', '3', '4'],
    ['10', '14'],
  ]);
  assert.deepEqual(parseWorkerCpus('range(4-7)'), [ids(4, 7)]);
});

test('bad worker cpus name the value', () => {
  expectUserError(() => parseWorkerCpus('0'), "'0'", /at least one cpu/);
  expectUserError(() => parseWorkerCpus('99999999999'), '99999999999', /32 bits/);
  expectUserError(() => parseWorkerCpus('x'), "'x'");
  expectUserError(() => parseWorkerCpus(''), "''");
  expectUserError(() => parseWorkerCpus(' 8'), "' 8'");
  expectUserError(() => parseWorkerCpus('2x'), "'2x'");
  expectUserError(() => parseWorkerCpus('2x0'), "'2x0'");
  expectUserError(() => parseWorkerCpus('[0,0]'), "'[0,0]'", /twice/);
  expectUserError(() => parseWorkerCpus('sum(4)'), 'sum(4)', /not a sum/);
  expectUserError(() => parseWorkerCpus('auto'), "'auto'");
});

test('task cpu requests', () => {
  assert.deepEqual(parseCpuRequest('4'), { amount: 4, policy: 'compact' });
  assert.deepEqual(parseCpuRequest('4 compact'), { amount: 4, policy: 'compact' });
  assert.deepEqual(parseCpuRequest('4 compact!'), { amount: 4, policy: 'compact!' });
  assert.deepEqual(parseCpuRequest('8 tight'), { amount: 8, policy: 'tight' });
  assert.deepEqual(parseCpuRequest('8 tight!'), { amount: 8, policy: 'tight!' });
  assert.deepEqual(parseCpuRequest('2 scatter'), { amount: 2, policy: 'scatter' });
  assert.deepEqual(parseCpuRequest('0.5'), { amount: 0.5, policy: 'compact' });
  assert.deepEqual(parseCpuRequest('all'), { amount: ALL_RESOURCES, policy: 'compact' });
});

test('bad cpu requests name the value', () => {
  expectUserError(() => parseCpuRequest('0'), "'0'", /cpu request.*zero/);
  expectUserError(() => parseCpuRequest('all compact'), 'all compact');
  expectUserError(() => parseCpuRequest('four'), 'four');
  expectUserError(() => parseCpuRequest('4 packed'), '4 packed');
  expectUserError(() => parseCpuRequest('0.5 compact!'), '0.5 compact!');
  expectUserError(() => parseCpuRequest('-2'), '-2');
});
