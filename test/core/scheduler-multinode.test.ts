import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskEvent } from '../../src/core/scheduler.js';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness } from './scheduler-harness.js';

const twoNodes = [{ nodes: 2, entries: [] }];

test('a multi-node task takes whole idle workers of one group, nothing else runs there', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 4, group: 'a', prefetch: 2 });
  h.workerWith(2, { cpus: 4, group: 'b', prefetch: 2 });
  h.workerWith(3, { cpus: 4, group: 'b', prefetch: 2 });
  const mn = h.job(1, { count: 1, variants: twoNodes });
  h.job(2, { count: 30 });
  const assigned = h.schedule();
  assert.deepEqual(h.sink.multiNode, [{ row: mn, workerIds: [2, 3] }]);
  assert.equal(h.table.state(mn), TaskState.Assigned);
  assert.equal(h.table.worker(mn), 2);
  assert.ok(!assigned.includes(mn)); // not an ordinary assignment
  // The small tasks went to worker 1 only: four run, two queued.
  assert.deepEqual(h.sink.assigns.map((a) => a.workerId), [1]);
  assert.equal(assigned.length, 6);
  assert.deepEqual(h.scheduler.workerLoad(2), { assigned: 1, running: 0 });
  assert.deepEqual(h.scheduler.workerLoad(3), { assigned: 0, running: 0 });
  // While it runs, the group's workers get nothing, not even by stealing.
  assert.ok(h.scheduler.taskStarted(mn, 0, 2));
  for (const row of assigned.slice(0, 4)) h.run(row, 3);
  h.schedule(4);
  assert.ok(h.sink.assigns.every((a) => a.workerId === 1));
  assert.deepEqual(h.sink.steals, []);
  // Its end (reported for the first worker) frees both.
  assert.ok(h.scheduler.taskFinished(mn, 0, 5));
  h.schedule(6);
  const workers = new Set(h.sink.assigns.map((a) => a.workerId));
  assert.ok(workers.has(2) && workers.has(3));
});

test('a blocked multi-node task keeps its workers free of lower tasks until they drain', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 2, group: 'g' });
  h.workerWith(2, { cpus: 2, group: 'g' });
  const first = h.job(1, { count: 4 });
  assert.equal(h.schedule(1).length, 4);
  const mn = h.job(2, { count: 1, variants: twoNodes, priority: 10 });
  const later = h.job(3, { count: 10, priority: -1 });
  for (let row = first; row < first + 3; row++) {
    h.run(row, 2);
    assert.deepEqual(h.schedule(3), [], 'a freed cpu went to a lower task');
  }
  assert.equal(h.table.state(mn), TaskState.Waiting);
  h.run(first + 3, 4);
  h.schedule(5);
  assert.deepEqual(h.sink.multiNode.map((m) => m.row), [mn]);
  assert.equal(h.table.state(later), TaskState.Waiting);
});

test('a multi-node task waits while no group has enough workers, without blocking others', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 1, group: 'a' });
  h.workerWith(2, { cpus: 1, group: 'b' });
  const mn = h.job(1, { count: 1, variants: twoNodes });
  const small = h.job(2, { count: 2 });
  assert.deepEqual(h.schedule().sort(), [small, small + 1]);
  assert.equal(h.table.state(mn), TaskState.Waiting);
  h.workerWith(3, { cpus: 1, group: 'a' });
  h.run(small);
  h.schedule();
  assert.deepEqual(h.sink.multiNode, [{ row: mn, workerIds: [1, 3] }]);
});

test('losing one of its workers sends a multi-node task back and stops it on the first', () => {
  const h = new SchedulerHarness();
  for (const id of [1, 2, 3]) h.workerWith(id, { cpus: 1, group: 'g' });
  const mn = h.job(1, { count: 1, variants: twoNodes, crashLimit: 5 });
  h.schedule();
  assert.deepEqual(h.sink.multiNode[0].workerIds, [1, 2]);
  assert.ok(h.scheduler.taskStarted(mn, 0, 1));
  h.scheduler.removeWorker(2, true, 2);
  assert.deepEqual(h.sink.cancels, [{ workerId: 1, rows: [mn] }]);
  assert.equal(h.table.state(mn), TaskState.Waiting);
  assert.equal(h.table.instance(mn), 1);
  assert.equal(h.table.crashCount(mn), 1);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 0, running: 0 });
  h.schedule(3);
  assert.deepEqual(h.sink.multiNode[1], { row: mn, workerIds: [1, 3] });
  // Canceling it frees its workers and tells the first one.
  h.scheduler.cancelTasks(Uint32Array.of(mn), 4);
  assert.deepEqual(h.sink.cancels[1], { workerId: 1, rows: [mn] });
  assert.equal(h.sink.events.at(-1)!.kind, TaskEvent.Canceled);
  h.job(2, { count: 3 });
  assert.equal(h.schedule(5).length, 2); // one cpu on each of the two workers left
});

test('a multi-node task needs workers that live long enough', () => {
  const h = new SchedulerHarness();
  h.workerWith(1, { cpus: 1, group: 'g', endTimeMs: 1000 });
  h.workerWith(2, { cpus: 1, group: 'g' });
  const mn = h.job(1, { count: 1, variants: twoNodes, timeRequestMs: 5000 });
  h.schedule(1);
  assert.equal(h.table.state(mn), TaskState.Waiting);
  h.workerWith(3, { cpus: 1, group: 'g' });
  h.schedule(2);
  assert.deepEqual(h.sink.multiNode, [{ row: mn, workerIds: [2, 3] }]);
});
