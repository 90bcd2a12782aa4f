import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness, variant } from './scheduler-harness.js';

test('a task takes the first variant that fits; the worker is told which', () => {
  const h = new SchedulerHarness();
  const either = [variant({ cpus: 1, gpus: 1 }), variant({ cpus: 4 })];
  const first = h.job(1, { count: 3, variants: either });
  h.worker(1, 8, 0, 1);
  assert.deepEqual(h.schedule(), [first, first + 1]);
  assert.equal(h.table.variant(first), 0); // the gpu variant
  assert.equal(h.table.variant(first + 1), 1); // the gpu is taken: four cpus instead
  // Three cpus are left: neither variant fits now.
  assert.equal(h.table.state(first + 2), TaskState.Waiting);
  h.run(first);
  assert.deepEqual(h.schedule(), [first + 2]);
  assert.equal(h.table.variant(first + 2), 0);
});

test('a queued task gets the first variant that fits the worker at all', () => {
  const h = new SchedulerHarness();
  const either = [variant({ cpus: 1, gpus: 1 }), variant({ cpus: 2 })];
  const first = h.job(1, { count: 4, variants: either });
  h.worker(1, 2, 2); // no gpus
  assert.deepEqual(h.schedule(), [first, first + 1, first + 2]);
  assert.deepEqual([first, first + 1, first + 2].map((row) => h.table.variant(row)), [1, 1, 1]);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 3, running: 0 });
});

test('a big task is not starved by a stream of small ones', () => {
  for (const prefetch of [0, 2]) {
    const h = new SchedulerHarness();
    h.job(1, { count: 100 });
    h.worker(1, 4, prefetch);
    const started = h.schedule();
    assert.equal(started.length, 4 + prefetch);
    const big = h.job(2, { count: 1, cpus: 4, priority: 5 });
    // The small tasks end one by one, oldest first, until the big one is assigned.
    const queue = [...started];
    for (;;) {
      const row = queue.shift();
      assert.ok(row !== undefined, `prefetch ${prefetch}: the big task never got the worker`);
      h.run(row);
      const assigned = h.schedule();
      if (assigned.includes(big)) break;
      // Without a queue, no small task may take a freed cpu meanwhile.
      if (prefetch === 0) assert.deepEqual(assigned, [], 'a small task jumped the big one');
      queue.push(...assigned);
    }
    // Without a queue it came right after the four running ones; with one it was queued
    // behind the first queued task, before the other small tasks then on the worker were done.
    if (prefetch === 0) assert.equal(queue.length, 0);
    else assert.ok(queue.length >= 3, `${queue.length} small tasks left`);
  }
});

test('priorities: a higher one placed later still goes first', () => {
  const h = new SchedulerHarness();
  const low = h.job(1, { count: 2, priority: -1 });
  const mid = h.job(2, { count: 2 });
  const high = h.job(3, { count: 2, priority: 7 });
  h.worker(1, 2);
  assert.deepEqual(h.schedule().sort((a, b) => a - b), [high, high + 1]);
  h.run(high);
  h.run(high + 1);
  assert.deepEqual(h.schedule().sort((a, b) => a - b), [mid, mid + 1]);
  h.run(mid);
  assert.deepEqual(h.schedule(), [low]);
});

test('a task goes only to workers that live at least its time request', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 4, endTimeMs: 1000 });
  h.workerWith(2, { cpus: 1, endTimeMs: 0 }); // no limit
  const long = h.job(1, { count: 2, timeRequestMs: 5000 });
  const short = h.job(2, { count: 4, timeRequestMs: 500 });
  h.schedule(100);
  assert.equal(h.table.worker(long), 2);
  assert.equal(h.table.state(long + 1), TaskState.Waiting); // worker 1 ends too soon
  for (let row = short; row < short + 4; row++) assert.equal(h.table.worker(row), 1); // 900 ms left
  for (let row = short; row < short + 4; row++) h.run(row);
  const late = h.more(2, 1, h.table.request(short));
  h.schedule(600); // 400 ms left on worker 1: not enough for 500
  assert.equal(h.table.state(late), TaskState.Waiting);
  h.run(long);
  h.schedule(700);
  assert.deepEqual([h.table.worker(long + 1), h.table.state(late)], [2, TaskState.Waiting]);
  h.run(long + 1);
  h.schedule(800);
  assert.equal(h.table.worker(late), 2);
});

test('the worker model follows compact!: free cpus in the wrong groups are not enough', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 8, cpuGroups: 2 });
  const three = h.job(1, { count: 2, cpus: 3, policy: 'compact!' });
  assert.deepEqual(h.schedule(), [three, three + 1]); // one per group of 4
  const strict = h.job(2, { count: 1, cpus: 2, policy: 'compact!' });
  const loose = h.job(3, { count: 1, cpus: 2, policy: 'compact', priority: 1 });
  // One cpu free in each group: compact spreads over both.
  assert.deepEqual(h.schedule(), [loose]);
  h.run(loose);
  // Two cpus free again, one per group: compact! waits for one group to have two.
  assert.deepEqual(h.schedule(), []);
  h.run(three);
  assert.deepEqual(h.schedule(), [strict]);
});
