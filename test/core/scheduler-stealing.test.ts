import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskEvent } from '../../src/core/scheduler.js';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness } from './scheduler-harness.js';

/** Worker 1 (2 cpus, prefetch 4) runs two tasks and queues four; returns the first row. */
function busyWorker(h: SchedulerHarness): number {
  const first = h.job(1, { count: 6 });
  h.worker(1, 2, 4);
  assert.deepEqual(h.schedule(), [first, first + 1, first + 2, first + 3, first + 4, first + 5]);
  h.scheduler.taskStarted(first, 0, 1);
  h.scheduler.taskStarted(first + 1, 0, 1);
  return first;
}

test('a newly connected worker steals queued tasks that would start on it at once', () => {
  const h = new SchedulerHarness();
  const first = busyWorker(h);
  h.worker(2, 2);
  assert.deepEqual(h.schedule(2), []); // nothing waits: a steal instead
  // Half of the four queued tasks, from the back of the queue.
  assert.deepEqual(h.sink.steals, [{ workerId: 1, rows: [first + 5, first + 4] }]);
  for (const row of [first + 4, first + 5]) assert.equal(h.table.state(row), TaskState.Assigned);
  // No second steal of the same rows while the answer is out.
  h.schedule(3);
  assert.equal(h.sink.steals.length, 1);
  h.scheduler.stealResult(1, Uint32Array.of(first + 5, first + 4), new Uint32Array(0));
  for (const row of [first + 4, first + 5]) {
    assert.equal(h.table.state(row), TaskState.Waiting);
    assert.equal(h.table.instance(row), 1);
    assert.equal(h.table.crashCount(row), 0);
  }
  assert.deepEqual(
    h.sink.events.filter((e) => e.kind === TaskEvent.Returned).map((e) => [e.row, e.workerId]),
    [
      [first + 5, 1],
      [first + 4, 1],
    ],
  );
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 2, running: 2 });
  // The next round places them on the idle worker.
  assert.deepEqual(h.schedule(4).sort(), [first + 4, first + 5]);
  assert.equal(h.table.worker(first + 4), 2);
  assert.equal(h.table.worker(first + 5), 2);
  assert.deepEqual(h.scheduler.workerLoad(2), { assigned: 2, running: 0 });
  // Reports of the stolen instance are stale.
  assert.equal(h.scheduler.taskStarted(first + 4, 0, 5), false);
  assert.ok(h.scheduler.taskStarted(first + 4, 1, 5));
});

test('a worker that drained its queue steals from a busy one', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 8 });
  h.worker(1, 1, 3);
  h.worker(2, 1, 3);
  h.schedule(1);
  const onTwo = [...h.sink.assigns.find((a) => a.workerId === 2)!.rows];
  for (const row of onTwo) h.run(row); // worker 2 is done, worker 1 still has three queued
  h.schedule(2);
  const steal = h.sink.steals.at(-1)!;
  assert.equal(steal.workerId, 1);
  assert.equal(steal.rows.length, 1); // one cpu free on worker 2: one task would start there now
  assert.ok(steal.rows[0] >= first);
});

test('rows the worker already started stay where they are', () => {
  const h = new SchedulerHarness();
  const first = busyWorker(h);
  h.worker(2, 2);
  h.schedule(2);
  const [a, b] = h.sink.steals[0].rows;
  // The worker started `a` before the steal arrived (its start report comes separately).
  h.scheduler.taskFinished(first, 0, 3);
  assert.ok(h.scheduler.taskStarted(a, 0, 3));
  h.scheduler.stealResult(1, Uint32Array.of(b), Uint32Array.of(a));
  assert.equal(h.table.state(a), TaskState.Running);
  assert.equal(h.table.worker(a), 1);
  assert.equal(h.table.state(b), TaskState.Waiting);
  assert.deepEqual(h.schedule(4), [b]);
  assert.equal(h.table.worker(b), 2);
  // Answered, the thief steals again for its last free cpu: the one task still queued on worker 1.
  assert.deepEqual(h.sink.steals[1], { workerId: 1, rows: [first + 3] });
});

test('a steal answer about rows canceled or lost meanwhile changes nothing', () => {
  const h = new SchedulerHarness();
  const first = busyWorker(h);
  h.worker(2, 2);
  h.schedule(2);
  const [a, b] = h.sink.steals[0].rows;
  h.scheduler.cancelTasks(Uint32Array.of(a), 3);
  h.scheduler.stealResult(1, Uint32Array.of(a, b), new Uint32Array(0));
  assert.equal(h.table.state(a), TaskState.Canceled);
  assert.equal(h.table.state(b), TaskState.Waiting);
  assert.equal(h.sink.terminalEvents.get(a), 1);
  // A late answer from a worker that left is ignored.
  h.scheduler.removeWorker(1, false, 4);
  h.scheduler.stealResult(1, Uint32Array.of(first + 2), new Uint32Array(0));
  assert.equal(h.table.state(first + 2), TaskState.Waiting);
  assert.equal(h.scheduler.waitingCount(), 5);
});

test('an idle worker steals nothing that does not fit it', () => {
  const h = new SchedulerHarness();
  const big = h.job(1, { count: 4, cpus: 4 });
  h.worker(1, 4, 2);
  h.worker(2, 2);
  assert.deepEqual(h.schedule(1), [big, big + 1, big + 2]);
  h.schedule(2);
  assert.deepEqual(h.sink.steals, []);
});
