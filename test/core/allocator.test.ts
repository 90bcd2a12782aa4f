import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import { ResourceAllocator, type Allocation, type WorkerResourceDescriptor } from '../../src/core/allocator.js';
import { RESOURCE_UNIT, normalizeVariant, type ResourcePolicy, type ResourceVariant } from '../../src/core/resources.js';
import { Prng } from './prng.js';

const U = RESOURCE_UNIT;

/** `groups` groups of `size` indices numbered from 0, like `--cpus GxS`. */
function grid(name: string, groups: number, size: number): WorkerResourceDescriptor {
  const g: string[][] = [];
  for (let i = 0; i < groups; i++) g.push(Array.from({ length: size }, (_, j) => String(i * size + j)));
  return { name, kind: groups > 1 ? 'groups' : 'range', groups: g, sum: 0 };
}

function want(entries: Array<[string, number, ResourcePolicy?]>): ResourceVariant {
  return { nodes: 0, entries: entries.map(([resource, amount, policy]) => ({ resource, amount: Math.round(amount * U), policy: policy ?? 'compact' })) };
}

function take(a: ResourceAllocator, amount: number, policy: ResourcePolicy = 'compact', name = 'cpus'): Allocation | null {
  return a.allocate(want([[name, amount, policy]]));
}

/** How many indices of the first allocated resource came from each group. */
function perGroup(allocation: Allocation | null, groups: number): number[] {
  assert.ok(allocation !== null, 'allocation failed');
  const counts = new Array<number>(groups).fill(0);
  for (const g of allocation.resources[0].groups) counts[g]++;
  return counts;
}

test('the policies split a request over 3 groups of 4 as documented', () => {
  for (const [policy, expected] of [
    ['compact', [3, 3, 0]],
    ['tight', [4, 2, 0]],
    ['scatter', [2, 2, 2]],
  ] as const) {
    const a = new ResourceAllocator([grid('cpus', 3, 4)]);
    assert.deepEqual(perGroup(take(a, 6, policy), 3), expected, policy);
  }
});

test('compact on 2x4 cpus: best-fitting group first, spreads only when it must', () => {
  const a = new ResourceAllocator([grid('cpus', 2, 4)]);
  assert.deepEqual(take(a, 2)!.resources[0].indices, ['0', '1']);
  assert.deepEqual(take(a, 2)!.resources[0].indices, ['2', '3']); // group 0 is the best fit
  assert.deepEqual(take(a, 3)!.resources[0].indices, ['4', '5', '6']);
  assert.equal(take(a, 2), null);
  const single = take(a, 1)!;
  assert.deepEqual(single.resources[0].indices, ['7']);
  a.release(single);
  assert.deepEqual(a.freeIndicesPerGroup('cpus'), [0, 1]);
});

test('compact! waits for the minimal number of groups, compact does not', () => {
  const a = new ResourceAllocator([grid('cpus', 2, 4)]);
  const first = take(a, 3, 'compact!')!;
  assert.deepEqual(perGroup(first, 2), [3, 0]);
  assert.deepEqual(perGroup(take(a, 3, 'compact!'), 2), [0, 3]);
  // One cpu left in each group: two cpus fit one group on an idle worker, so compact! waits.
  assert.equal(a.canAllocate(want([['cpus', 2, 'compact!']])), false);
  assert.equal(a.canEverAllocate(want([['cpus', 2, 'compact!']])), true);
  assert.equal(take(a, 2, 'tight!'), null);
  assert.deepEqual(perGroup(take(a, 2, 'compact'), 2), [1, 1]);
  // Six cpus need two groups anyway: compact! takes them when both groups are free.
  const b = new ResourceAllocator([grid('cpus', 2, 4)]);
  assert.deepEqual(perGroup(take(b, 6, 'compact!'), 2), [3, 3]);
});

test('4x8 cpus: compact, compact!, tight and scatter', () => {
  const a = new ResourceAllocator([grid('cpus', 4, 8)]);
  assert.deepEqual(perGroup(take(a, 8, 'scatter'), 4), [2, 2, 2, 2]);
  // Free [6, 6, 6, 6]: eight cpus fit no group; compact! waits, compact spreads over two.
  assert.equal(take(a, 8, 'compact!'), null);
  assert.deepEqual(perGroup(take(a, 8, 'compact'), 4), [4, 4, 0, 0]);
  // Free [2, 2, 6, 6]: tight fills the biggest group, the rest goes to the best-fitting one.
  assert.deepEqual(perGroup(take(a, 8, 'tight'), 4), [2, 0, 6, 0]);
  // Free [0, 2, 0, 6]: a request that fits one group goes to the best-fitting one.
  assert.deepEqual(perGroup(take(a, 2, 'compact!'), 4), [0, 2, 0, 0]);
  assert.deepEqual(perGroup(take(a, 5), 4), [0, 0, 0, 5]);
  const b = new ResourceAllocator([grid('cpus', 4, 8)]);
  assert.deepEqual(perGroup(take(b, 12, 'compact!'), 4), [6, 6, 0, 0]);
  assert.deepEqual(perGroup(take(b, 12, 'tight!'), 4), [0, 0, 8, 4]);
  // Free [2, 2, 0, 4]: eight cpus fit one group of an idle worker but no group now.
  assert.equal(take(b, 8, 'tight!'), null);
  assert.deepEqual(perGroup(take(b, 8, 'tight'), 4), [2, 2, 0, 4]);
});

test('fractional gpus share an index, never beyond one', () => {
  const a = new ResourceAllocator([{ name: 'gpus', kind: 'list', groups: [['g0', 'g1']], sum: 0 }]);
  const half1 = take(a, 0.5, 'compact', 'gpus')!;
  const half2 = take(a, 0.5, 'compact', 'gpus')!;
  assert.deepEqual(half1.resources[0].indices, ['g0']);
  assert.deepEqual(half2.resources[0].indices, ['g0']);
  assert.deepEqual(half2.resources[0].shares, [0.5 * U]);
  const quarter = take(a, 0.25, 'compact', 'gpus')!;
  assert.deepEqual(quarter.resources[0].indices, ['g1']);
  // g0 is full, g1 has 0.75 free: 0.8 does not fit, as no single index has that much.
  assert.equal(a.canAllocate(want([['gpus', 0.8]])), false);
  assert.equal(a.free('gpus'), 0.75 * U);
  const rest = take(a, 0.75, 'compact', 'gpus')!;
  assert.deepEqual(rest.resources[0].indices, ['g1']);
  assert.equal(a.hasFree(), false);
  a.release(half1);
  assert.equal(take(a, 1, 'compact', 'gpus'), null); // half of g0 is still used
  a.release(half2);
  assert.deepEqual(take(a, 1, 'compact', 'gpus')!.resources[0].indices, ['g0']);
});

test('an amount above one with a fraction takes whole indices plus part of one more', () => {
  const a = new ResourceAllocator([{ name: 'gpus', kind: 'range', groups: [['0', '1', '2']], sum: 0 }]);
  const small = take(a, 0.5, 'compact', 'gpus')!;
  assert.deepEqual(small.resources[0].indices, ['0']);
  const big = take(a, 2.5, 'compact', 'gpus')!;
  // The partly used index goes last and is the best-fitting one (gpu 0 has exactly 0.5 free).
  assert.deepEqual(big.resources[0].indices, ['1', '2', '0']);
  assert.deepEqual(big.resources[0].shares, [U, U, 0.5 * U]);
  assert.equal(big.resources[0].amount, 2.5 * U);
  assert.equal(a.hasFree(), false);
  assert.equal(a.canEverAllocate(want([['gpus', 3.5]])), false);
  assert.equal(a.canEverAllocate(want([['gpus', 2.5]])), true);
});

test('"all" takes every index or every unit, only when nothing is used', () => {
  const a = new ResourceAllocator([grid('cpus', 2, 4), { name: 'mem', kind: 'sum', groups: [], sum: 100 }]);
  const everything = a.allocate(want([['cpus', 0, 'all'], ['mem', 0, 'all']]))!;
  assert.equal(everything.resources[0].indices.length, 8);
  assert.equal(everything.resources[1].amount, 100 * U);
  assert.equal(a.hasFree(), false);
  a.release(everything);
  const one = take(a, 1)!;
  assert.equal(a.canAllocate(want([['cpus', 0, 'all']])), false);
  assert.equal(a.canAllocate(want([['mem', 0, 'all']])), true);
  a.release(one);
  assert.equal(a.canAllocate(want([['cpus', 0, 'all']])), true);
  assert.equal(a.canEverAllocate(want([['gpus', 0, 'all']])), false);
});

test('sum resources hand out amounts; unknown resources never fit', () => {
  const a = new ResourceAllocator([{ name: 'mem', kind: 'sum', groups: [], sum: 100 }, grid('cpus', 1, 2)]);
  const sixty = a.allocate(want([['mem', 60], ['cpus', 1]]))!;
  // In registry id order: cpus is always id 0.
  assert.deepEqual(sixty.resources.map((r) => [r.name, r.amount, r.indices]), [
    ['cpus', U, ['0']],
    ['mem', 60 * U, []],
  ]);
  assert.equal(a.canAllocate(want([['mem', 50]])), false);
  assert.equal(a.free('mem'), 40 * U);
  assert.equal(a.has('mem'), true);
  assert.equal(a.has('fpga'), false);
  assert.equal(a.total('fpga'), 0);
  assert.equal(a.canAllocate(want([['fpga', 1]])), false);
  assert.equal(a.canEverAllocate(want([['fpga', 1]])), false);
  assert.equal(a.canEverAllocate(want([['mem', 101]])), false);
  a.release(sixty);
  assert.equal(a.isIdle(), true);
});

test('coupled resources prefer the same group numbers', () => {
  const setup = (coupling: string[]): ResourceAllocator => {
    const a = new ResourceAllocator([grid('cpus', 2, 4), { name: 'gpus', kind: 'groups', groups: [['a', 'b'], ['c', 'd']], sum: 0 }], { coupling });
    const pair = take(a, 2, 'compact', 'gpus')!; // a, b
    take(a, 1, 'compact', 'gpus'); // c
    a.release(pair); // gpus free: [2, 1]
    take(a, 2); // cpus 0, 1: cpus free [2, 4]
    return a;
  };
  const request = want([['cpus', 2], ['gpus', 1]]);
  const plain = setup([]).allocate(request)!;
  assert.deepEqual(plain.resources.map((r) => r.groups), [[0, 0], [1]]); // each resource on its own best fit
  const coupled = setup(['cpus', 'gpus']).allocate(request)!;
  assert.deepEqual(coupled.resources.map((r) => r.groups), [[0, 0], [0]]);
  assert.throws(() => new ResourceAllocator([grid('cpus', 1, 2)], { coupling: ['gpus'] }), UserError);
});

test('a multi-node variant holds the whole worker', () => {
  const a = new ResourceAllocator([grid('cpus', 2, 2), { name: 'mem', kind: 'sum', groups: [], sum: 10 }]);
  const node: ResourceVariant = { nodes: 2, entries: [] };
  const whole = a.allocate(node)!;
  assert.equal(a.hasFree(), false);
  a.release(whole);
  take(a, 1);
  assert.equal(a.canAllocate(node), false);
  assert.equal(a.canEverAllocate(node), true);
});

test('bad worker resources name the bad value', () => {
  assert.throws(() => new ResourceAllocator([grid('cpus', 1, 1), grid('cpus', 1, 1)]), /'cpus' is defined twice/);
  assert.throws(() => new ResourceAllocator([{ name: 'gpus', kind: 'list', groups: [['0', '0']], sum: 0 }]), /index '0'/);
  assert.throws(() => new ResourceAllocator([{ name: 'mem', kind: 'sum', groups: [], sum: -1 }]), /-1/);
  assert.throws(() => new ResourceAllocator([{ name: 'gpus', kind: 'groups', groups: [['0'], []], sum: 0 }]), UserError);
});

/**
 * Random allocate/release; checks capacity per index and per sum after every
 * step; returns the indices handed out. A twin allocator gets the same
 * operations without the tentative allocate-and-release probes: both must
 * hand out the same indices, so a probe leaves no trace.
 */
function randomRun(seed: number, steps: number): string[] {
  const prng = new Prng(seed);
  const resources: WorkerResourceDescriptor[] = [
    grid('cpus', 4, 8),
    { name: 'gpus', kind: 'groups', groups: [['0', '1'], ['2', '3']], sum: 0 },
    { name: 'mem', kind: 'sum', groups: [], sum: 64 },
  ];
  const coupling = seed % 2 === 0 ? ['cpus', 'gpus'] : [];
  const a = new ResourceAllocator(resources, { coupling });
  const twin = new ResourceAllocator(resources, { coupling });
  const policies: ResourcePolicy[] = ['compact', 'compact!', 'tight', 'tight!', 'scatter'];
  const live: Array<[Allocation, Allocation]> = [];
  const trace: string[] = [];
  const check = (): void => {
    const used = new Map<string, number>();
    let mem = 0;
    for (const [allocation] of live) {
      for (const r of allocation.resources) {
        if (r.name === 'mem') mem += r.amount;
        r.indices.forEach((index, i) => {
          const key = `${r.name}:${index}`;
          used.set(key, (used.get(key) ?? 0) + r.shares[i]);
        });
      }
    }
    for (const [key, amount] of used) assert.ok(amount <= U, `${key} used ${amount / U} times`);
    assert.ok(mem <= 64 * U);
    assert.equal(a.free('mem'), 64 * U - mem);
    let cpus = 0;
    for (const [key, amount] of used) if (key.startsWith('cpus:')) cpus += amount;
    assert.equal(a.free('cpus'), 32 * U - cpus);
  };
  for (let step = 0; step < steps; step++) {
    if (live.length > 0 && prng.chance(0.45)) {
      const [mine, theirs] = live.splice(prng.int(live.length), 1)[0];
      a.release(mine);
      twin.release(theirs);
    } else {
      const entries: Array<[string, number, ResourcePolicy?]> = [];
      const policy = prng.pick(policies);
      const cpus = policy.endsWith('!') ? 1 + prng.int(12) : prng.pick([0.25, 0.5, 1, 1.5, 2, 3, 5, 9, 17]);
      entries.push(['cpus', cpus, policy]);
      if (prng.chance(0.4)) entries.push(['gpus', prng.pick([0.5, 1, 1.5, 2, 3]), prng.chance(0.2) ? 'scatter' : 'compact']);
      if (prng.chance(0.3)) entries.push(['mem', prng.pick([1, 8, 16.5, 40])]);
      if (prng.chance(0.02)) entries.splice(0, entries.length, ['cpus', 0, 'all']);
      const request = want(entries);
      const possible = a.canAllocate(request);
      // Probes: up to three tentative allocations, given back in reverse order.
      const plan = normalizeVariant(request, a.registry).plan;
      const probes: Float64Array[] = [];
      for (let k = prng.int(4); k > 0; k--) {
        const length = a.allocatePlan(plan);
        if (length < 0) break;
        probes.push(a.lastRecord.slice(0, length));
      }
      for (const probe of probes.reverse()) a.releaseRecord(probe, 0);
      const allocation = a.allocate(request);
      const twinAllocation = twin.allocate(request);
      assert.equal(allocation !== null, possible);
      assert.deepEqual(allocation?.resources, twinAllocation?.resources);
      if (allocation !== null && twinAllocation !== null) {
        live.push([allocation, twinAllocation]);
        trace.push(allocation.resources.map((r) => `${r.name}=${r.indices.join(',')}`).join(' '));
      }
    }
    check();
  }
  for (const [mine, theirs] of live.splice(0)) {
    a.release(mine);
    twin.release(theirs);
  }
  assert.equal(a.isIdle(), true);
  return trace;
}

test('random operations never give an index beyond its capacity and repeat exactly', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const first = randomRun(seed, 3000);
    assert.ok(first.length > 500);
    assert.deepEqual(randomRun(seed, 3000), first, `seed ${seed} is not deterministic`);
  }
});
