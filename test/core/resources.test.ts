import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import {
  RESOURCE_UNIT,
  RequestTable,
  ResourceRegistry,
  add,
  fitCount,
  fits,
  formatResourceAmount,
  subtract,
  toResourceUnits,
} from '../../src/core/resources.js';

test('user amounts become fixed-point units and back', () => {
  assert.equal(RESOURCE_UNIT, 10_000);
  assert.equal(toResourceUnits(0.5), 5000);
  assert.equal(toResourceUnits(0.1), 1000);
  assert.equal(toResourceUnits(3), 30000);
  assert.equal(toResourceUnits(0.0001), 1);
  assert.equal(formatResourceAmount(5000), '0.5');
  assert.equal(formatResourceAmount(40000), '4');
  for (const bad of [-1, 0.00001, Number.NaN, Infinity]) {
    assert.throws(() => toResourceUnits(bad), (e: unknown) => e instanceof UserError && e.message.includes(String(bad)));
  }
});

test('the registry gives dense ids with cpus first', () => {
  const registry = new ResourceRegistry();
  assert.equal(registry.find('cpus'), 0);
  assert.equal(registry.find('gpus'), -1);
  assert.equal(registry.id('gpus'), 1);
  assert.equal(registry.id('mem'), 2);
  assert.equal(registry.id('gpus'), 1);
  assert.equal(registry.name(2), 'mem');
  assert.equal(registry.count, 3);
  assert.throws(() => registry.id(''), UserError);
  assert.throws(() => registry.name(7), RangeError);
});

test('requests are deduplicated whatever the order and zero entries', () => {
  const registry = new ResourceRegistry();
  const requests = new RequestTable(registry);
  const a = requests.add([{ name: 'cpus', amount: 10000 }, { name: 'gpus', amount: 5000 }]);
  const b = requests.add([{ name: 'gpus', amount: 5000 }, { name: 'cpus', amount: 10000 }, { name: 'fpga', amount: 0 }]);
  const c = requests.add([{ name: 'cpus', amount: 20000 }]);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.equal(requests.count, 2);
  assert.deepEqual([...requests.get(a)], [10000, 5000, 0]);
  registry.id('mem'); // the vector follows the registry
  assert.deepEqual([...requests.get(c)], [20000, 0, 0, 0]);
  assert.equal(requests.get(c), requests.get(c));
  assert.throws(() => requests.get(9), RangeError);
});

test('bad requests name the bad value', () => {
  const requests = new RequestTable(new ResourceRegistry());
  assert.throws(() => requests.add([{ name: 'cpus', amount: -1 }]), /-1/);
  assert.throws(() => requests.add([{ name: 'gpus', amount: 1 }, { name: 'gpus', amount: 2 }]), /'gpus' given twice/);
  assert.throws(() => requests.add([]), UserError);
  assert.throws(() => requests.add([{ name: 'cpus', amount: 0 }]), UserError);
  // Binary noise from scaling is rounded away.
  const id = requests.add([{ name: 'cpus', amount: 0.1 * RESOURCE_UNIT }]);
  assert.equal(requests.get(id)[0], 1000);
});

test('vector helpers', () => {
  const free = Float64Array.of(40000, 10000);
  assert.equal(fits(free, Float64Array.of(40000, 10000)), true);
  assert.equal(fits(free, Float64Array.of(40001)), false);
  assert.equal(fits(free, Float64Array.of(0, 0, 1)), false); // a resource the worker lacks
  assert.equal(fits(free, Float64Array.of(0, 0, 0)), true);
  assert.equal(fitCount(free, Float64Array.of(10000, 5000)), 2);
  assert.equal(fitCount(free, Float64Array.of(30000)), 1);
  assert.equal(fitCount(free, Float64Array.of(0, 0, 5)), 0);
  subtract(free, Float64Array.of(10000, 5000), 2);
  assert.deepEqual([...free], [20000, 0]);
  add(free, Float64Array.of(10000, 5000));
  assert.deepEqual([...free], [30000, 5000]);
});
