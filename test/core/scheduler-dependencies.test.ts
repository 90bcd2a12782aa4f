import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailReason, TaskEvent } from '../../src/core/scheduler.js';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness } from './scheduler-harness.js';

/** Dependencies from per-task lists of absolute rows. */
function deps(lists: number[][]): { offsets: Uint32Array; rows: Uint32Array } {
  const offsets = new Uint32Array(lists.length + 1);
  lists.forEach((list, i) => (offsets[i + 1] = offsets[i] + list.length));
  return { offsets, rows: Uint32Array.from(lists.flat()) };
}

test('a diamond with a failing branch cancels exactly the dependants', () => {
  const h = new SchedulerHarness();
  // Rows 0..5: A; B and C after A; D after B and C; E after D; F on its own.
  const a = 0;
  const [b, c, d, e, f] = [1, 2, 3, 4, 5];
  const first = h.job(1, { count: 6, deps: deps([[], [a], [a], [b, c], [d], []]) });
  assert.equal(first, 0);
  assert.equal(h.scheduler.waitingCount(), 2);
  assert.equal(h.scheduler.blockedCount(), 4);
  h.worker(1, 4);
  assert.deepEqual(h.schedule().sort(), [a, f]);
  h.run(a);
  assert.deepEqual(h.schedule().sort(), [b, c]);
  h.scheduler.taskStarted(b, 0, 5);
  h.scheduler.taskFailed(b, 0, 6);
  const canceled = h.sink.events.filter((ev) => ev.kind === TaskEvent.Canceled);
  assert.deepEqual(canceled.map((ev) => [ev.row, ev.reason]), [
    [d, FailReason.DependencyFailed],
    [e, FailReason.DependencyFailed],
  ]);
  assert.equal(h.table.endTime(d), 6);
  assert.equal(h.scheduler.blockedCount(), 0);
  h.run(c);
  h.run(f);
  assert.deepEqual(h.schedule(), []);
  assert.deepEqual([a, b, c, d, e, f].map((row) => h.table.state(row)), [
    TaskState.Finished,
    TaskState.Failed,
    TaskState.Finished,
    TaskState.Canceled,
    TaskState.Canceled,
    TaskState.Finished,
  ]);
});

test('a task becomes ready when its last dependency finishes, in any job', () => {
  const h = new SchedulerHarness();
  const base = h.job(1, { count: 2 });
  const after = h.job(2, { count: 2, deps: deps([[base], [base, base + 1]]) });
  h.worker(1, 4);
  assert.deepEqual(h.schedule().sort(), [base, base + 1]);
  h.run(base + 1);
  assert.deepEqual(h.schedule(), []);
  h.run(base);
  assert.deepEqual(h.schedule().sort(), [after, after + 1]);
});

test('dependencies on finished tasks are met; on failed or canceled ones the task is canceled', () => {
  const h = new SchedulerHarness();
  const base = h.job(1, { count: 3 });
  h.worker(1, 3);
  h.schedule();
  h.run(base);
  h.scheduler.taskFailed(base + 1, 0, 3);
  h.scheduler.cancelTasks(Uint32Array.of(base + 2), 3);
  const next = h.table.length; // the rows the next job gets
  assert.equal(h.job(2, { count: 4, deps: deps([[base], [base + 1], [base + 2], [next + 1]]) }), next);
  // next + 3 depends on next + 1, which is canceled at once: it goes too.
  assert.deepEqual([0, 1, 2, 3].map((i) => h.table.state(next + i)), [
    TaskState.Waiting,
    TaskState.Canceled,
    TaskState.Canceled,
    TaskState.Canceled,
  ]);
  assert.equal(h.scheduler.waitingCount(), 1);
  assert.equal(h.scheduler.blockedCount(), 0);
  assert.deepEqual(h.schedule(), [next]);
});

test('canceling a job cancels what depends on it elsewhere; rows may depend on later rows', () => {
  const h = new SchedulerHarness();
  const base = h.job(1, { count: 1 });
  // Row `next` waits for `next + 1` of the same submit, which waits for job 1.
  const next = base + 1;
  h.job(2, { count: 2, deps: deps([[next + 1], [base]]) });
  assert.equal(h.scheduler.blockedCount(), 2);
  h.scheduler.cancelJob(1, 7);
  assert.equal(h.table.state(next), TaskState.Canceled);
  assert.equal(h.table.state(next + 1), TaskState.Canceled);
  assert.equal(h.scheduler.blockedCount(), 0);
  assert.equal(h.sink.terminalEvents.get(next), 1);
  // Canceling blocked tasks directly works too.
  const more = h.job(3, { count: 2, deps: deps([[], [next + 2]]) });
  h.scheduler.cancelTasks(Uint32Array.of(more + 1), 8);
  assert.equal(h.scheduler.blockedCount(), 0);
  assert.equal(h.scheduler.waitingCount(), 1);
});

test('bad dependencies are refused before anything changes', () => {
  const h = new SchedulerHarness();
  h.scheduler.addJob(1, { priority: 0, request: h.request(1), crashLimit: 0 });
  const { start } = h.table.allocate(2);
  h.table.fillJob(start, 2, 1, null, 0, h.request(1));
  assert.throws(() => h.scheduler.submit(1, start, 2, deps([[], [start + 5]])), /not submitted/);
  assert.throws(() => h.scheduler.submit(1, start, 2, deps([[start], []])), /depends on itself/);
  assert.throws(() => h.scheduler.submit(1, start, 2, { offsets: Uint32Array.of(0, 1), rows: Uint32Array.of(0) }), RangeError);
  assert.equal(h.scheduler.waitingCount(), 0);
  h.scheduler.submit(1, start, 2, deps([[], [start]]));
  assert.equal(h.scheduler.waitingCount(), 1);
});
