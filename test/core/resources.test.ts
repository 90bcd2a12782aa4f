import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import {
  PolicyCode,
  RESOURCE_UNIT,
  RequestTable,
  ResourceRegistry,
  compactVariant,
  formatResourceAmount,
  toResourceUnits,
  type ResourcePolicy,
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

const U = RESOURCE_UNIT;

test('requests are deduplicated whatever the entry order', () => {
  const registry = new ResourceRegistry();
  const requests = new RequestTable(registry);
  const a = requests.add([compactVariant([{ name: 'cpus', amount: U }, { name: 'gpus', amount: U / 2 }])]);
  const b = requests.add([compactVariant([{ name: 'gpus', amount: U / 2 }, { name: 'cpus', amount: U }])]);
  const c = requests.add([compactVariant([{ name: 'cpus', amount: 2 * U }])]);
  const d = requests.add([{ nodes: 0, entries: [{ resource: 0, amount: 2 * U, policy: 'scatter' }] }]);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.notEqual(c, d); // same amount, other policy
  assert.equal(requests.count, 3);
  const [variant] = requests.variants(a);
  assert.deepEqual(variant.entries, [
    { resource: 0, amount: U, policy: 'compact' },
    { resource: 1, amount: U / 2, policy: 'compact' },
  ]);
  assert.deepEqual([...variant.plan], [0, 2, 0, U, PolicyCode.Compact, 1, U / 2, PolicyCode.Compact]);
  assert.equal(requests.nodes(a), 0);
  assert.throws(() => requests.variants(9), RangeError);
  assert.throws(() => requests.nodes(9), RangeError);
});

test('the time request is part of a request: same resources, other time, other id', () => {
  const requests = new RequestTable(new ResourceRegistry());
  const cpus = [compactVariant([{ name: 'cpus', amount: U }])];
  const any = requests.add(cpus);
  const hour = requests.add(cpus, 3_600_000);
  assert.notEqual(hour, any);
  assert.equal(requests.add(cpus, 3_600_000), hour);
  assert.equal(requests.add(cpus, 0), any);
  assert.deepEqual([requests.timeRequestMs(any), requests.timeRequestMs(hour)], [0, 3_600_000]);
  assert.throws(() => requests.timeRequestMs(7), RangeError);
  assert.throws(() => requests.add(cpus, -5), /invalid time request -5 ms/);
  assert.throws(() => requests.add(cpus, Number.NaN), UserError);
  // Ids past the first growth of the per-request arrays keep their time.
  const many = Array.from({ length: 40 }, (_, i) => requests.add(cpus, i + 1));
  assert.deepEqual(many.map((id) => requests.timeRequestMs(id)), Array.from({ length: 40 }, (_, i) => i + 1));
});

test('variants keep their order; a multi-node request has one variant and no entries', () => {
  const requests = new RequestTable(new ResourceRegistry());
  const gpu = { nodes: 0, entries: [{ resource: 'gpus', amount: U, policy: 'compact' as const }] };
  const cpu = { nodes: 0, entries: [{ resource: 'cpus', amount: 4 * U, policy: 'compact!' as const }] };
  const either = requests.add([gpu, cpu]);
  assert.notEqual(requests.add([cpu, gpu]), either);
  assert.deepEqual(requests.variants(either).map((v) => v.entries[0].policy), ['compact', 'compact!']);
  const mn = requests.add([{ nodes: 3, entries: [{ resource: 'cpus', amount: U, policy: 'compact' }] }]);
  assert.equal(requests.nodes(mn), 3);
  assert.deepEqual(requests.variants(mn)[0].entries, []);
  assert.equal(requests.add([{ nodes: 3, entries: [] }]), mn);
  assert.throws(() => requests.add([{ nodes: 2, entries: [] }, cpu]), /multi-node/);
});

test('bad requests name the bad value', () => {
  const requests = new RequestTable(new ResourceRegistry());
  const one = (amount: number, policy: ResourcePolicy = 'compact', resource: string | number = 'cpus') =>
    requests.add([{ nodes: 0, entries: [{ resource, amount, policy }] }]);
  assert.throws(() => one(-1), /-1/);
  assert.throws(() => one(0), UserError);
  assert.throws(() => one(1.5 * U, 'compact!'), /compact! needs a whole amount .* 1.5/);
  assert.throws(() => one(0.5 * U, 'tight!'), /tight!/);
  assert.throws(() => one(U, 'packed' as ResourcePolicy), /'packed'/);
  assert.throws(() => one(U, 'compact', 42), /unknown resource id 42/);
  assert.throws(
    () => requests.add([compactVariant([{ name: 'gpus', amount: 1 }, { name: 'gpus', amount: 2 }])]),
    /'gpus' given twice/,
  );
  assert.throws(() => requests.add([]), UserError);
  assert.throws(() => requests.add([{ nodes: 0, entries: [] }]), UserError);
  assert.throws(() => requests.add([{ nodes: -1, entries: [] }]), /-1/);
  // 'all' needs no amount; binary noise from scaling is rounded away.
  const all = one(0, 'all');
  assert.equal(requests.variants(all)[0].entries[0].amount, 0);
  const id = one(0.1 * U);
  assert.equal(requests.variants(id)[0].entries[0].amount, 1000);
});
