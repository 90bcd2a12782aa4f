import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCE_UNIT } from '../../src/core/resources.js';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness, indexed, variant } from './scheduler-harness.js';

const U = RESOURCE_UNIT;

test('explain: a resource the worker lacks, and one that is busy now', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 8, prefetch: 0 });
  const busy = h.job(1, { count: 1, cpus: 6 });
  h.schedule();
  const row = h.job(2, { count: 1, variants: [variant({ cpus: 4, gpus: 1 }), variant({ cpus: 4 }, 'compact!')] });
  const result = h.scheduler.explain(row, 1, 10);
  assert.equal(result.state, TaskState.Waiting);
  assert.equal(result.runnableNow, false);
  assert.equal(result.runnableEver, true);
  assert.equal(result.timeFits, true);
  assert.equal(result.workerRemainingMs, null);
  assert.equal(result.unfinishedDependencies, 0);
  assert.deepEqual(
    result.variants.map((v) => [v.index, v.fitsNow, v.fitsEver]),
    [
      [0, false, false],
      [1, false, true],
    ],
  );
  assert.deepEqual(result.variants[0].entries, [
    { resource: 'cpus', amount: 4 * U, policy: 'compact', workerTotal: 8 * U, workerFree: 2 * U, fitsNow: false, fitsEver: true },
    { resource: 'gpus', amount: U, policy: 'compact', workerTotal: 0, workerFree: 0, fitsNow: false, fitsEver: false },
  ]);
  assert.equal(result.variants[1].entries[0].policy, 'compact!');
  h.run(busy);
  const now = h.scheduler.explain(row, 1, 11);
  assert.equal(now.runnableNow, true);
  assert.deepEqual(now.variants.map((v) => v.fitsNow), [false, true]);
});

test('explain: time request against the worker lifetime, and dependencies', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 2, endTimeMs: 10_000 });
  const first = h.job(1, { count: 1 });
  const later = h.job(2, {
    count: 1,
    timeRequestMs: 60_000,
    deps: { offsets: Uint32Array.of(0, 1), rows: Uint32Array.of(first) },
  });
  const result = h.scheduler.explain(later, 1, 4000);
  assert.equal(result.timeRequestMs, 60_000);
  assert.equal(result.workerRemainingMs, 6000);
  assert.equal(result.timeFits, false);
  assert.equal(result.unfinishedDependencies, 1);
  assert.equal(result.runnableNow, false);
  assert.equal(result.runnableEver, false);
  assert.equal(result.variants[0].fitsNow, true); // resources alone would do
  assert.equal(h.scheduler.explain(first, 1, 4000).runnableNow, true);
  assert.equal(h.scheduler.explain(first, 1, 20_000).workerRemainingMs, 0);
});

test('explain: a multi-node task against the size of the worker group', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 1, group: 'rack1' });
  h.workerWith(2, { cpus: 1, group: 'rack1' });
  h.workerWith(3, { cpus: 1, group: 'rack2' });
  const small = h.job(1, { count: 1 });
  h.schedule();
  assert.equal(h.table.worker(small), 1);
  const mn = h.job(2, { count: 1, variants: [{ nodes: 3, entries: [] }] });
  const result = h.scheduler.explain(mn, 1, 1);
  assert.deepEqual(result.variants, [
    { index: 0, nodes: 3, entries: [], fitsNow: false, fitsEver: false, group: { name: 'rack1', workers: 2, idleWorkers: 1 } },
  ]);
  assert.equal(result.runnableEver, false);
  assert.throws(() => h.scheduler.explain(mn, 9, 1), /unknown worker 9/);
  assert.throws(() => h.scheduler.explain(999, 1, 1), RangeError);
});

test('explain: coupled groups worse than on an idle worker hold back the strict entries', () => {
  const h = new SchedulerHarness();
  // Three NUMA groups of 2 cpus and 2 gpus, group i of both together.
  h.scheduler.addWorker(1, [indexed('cpus', 6, 3), indexed('gpus', 6, 3)], 0, { group: 'g', endTimeMs: 0, coupling: ['cpus', 'gpus'] });
  const cpus = h.job(1, { count: 2, cpus: 2 }); // groups 0 and 1
  const gpus = h.job(2, { count: 3, variants: [variant({ gpus: 2 })] }); // groups 0, 1 and 2
  h.schedule();
  h.run(gpus); // gpus of group 0 free again: free cpus only in group 2, free gpus only in group 0
  const row = h.job(3, { count: 1, variants: [variant({ cpus: 1, gpus: 1 }, 'compact!')] });
  const result = h.scheduler.explain(row, 1, 1);
  assert.equal(result.runnableNow, false);
  assert.equal(result.runnableEver, true);
  assert.deepEqual(
    result.variants[0].entries.map((e) => [e.resource, e.workerFree / U, e.fitsNow, e.fitsEver]),
    [
      ['cpus', 2, false, true],
      ['gpus', 2, false, true],
    ],
  );
  assert.deepEqual(h.schedule(), []);
  h.run(cpus); // cpus of group 0 free: a matching pair
  assert.equal(h.scheduler.explain(row, 1, 2).runnableNow, true);
  assert.deepEqual(h.schedule(), [row]);
});
