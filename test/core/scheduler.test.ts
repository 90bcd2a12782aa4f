import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import { RESOURCE_UNIT, RequestTable, ResourceRegistry, compactVariant } from '../../src/core/resources.js';
import { FailReason, Scheduler, TaskEvent } from '../../src/core/scheduler.js';
import { TaskTable } from '../../src/core/task-table.js';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness, indexed, variant } from './scheduler-harness.js';

/** Runs every task to completion one at a time and returns the assignment order. */
function drainOneByOne(h: SchedulerHarness): number[] {
  const order: number[] = [];
  for (let rows = h.schedule(); rows.length > 0; rows = h.schedule()) {
    for (const row of rows) {
      order.push(row);
      h.run(row);
    }
  }
  return order;
}

test('higher priority first, then lower job id, then row order', () => {
  const h = new SchedulerHarness();
  const a = h.job(1, { count: 2 });
  const b = h.job(2, { count: 2, priority: 5 });
  const c = h.job(3, { count: 2 });
  const d = h.job(4, { count: 1, priority: -1 });
  h.worker(1, 1);
  assert.deepEqual(drainOneByOne(h), [b, b + 1, a, a + 1, c, c + 1, d]);
  assert.equal(h.scheduler.waitingCount(), 0);
  for (let row = 0; row < 7; row++) assert.equal(h.table.state(row), TaskState.Finished);
});

test('events report every change and the table records times', () => {
  const h = new SchedulerHarness();
  const row = h.job(1, { count: 1 });
  h.worker(7, 1);
  h.schedule(10);
  assert.equal(h.table.state(row), TaskState.Assigned);
  assert.equal(h.table.worker(row), 7);
  assert.ok(h.scheduler.taskStarted(row, 0, 20));
  assert.equal(h.table.startTime(row), 20);
  assert.ok(h.scheduler.taskFailed(row, 0, 30));
  assert.equal(h.table.endTime(row), 30);
  assert.equal(h.table.state(row), TaskState.Failed);
  assert.deepEqual(
    h.sink.events.map((e) => [e.kind, e.row, e.workerId, e.reason]),
    [
      [TaskEvent.Assigned, row, 7, 0],
      [TaskEvent.Started, row, 7, 0],
      [TaskEvent.Failed, row, 7, FailReason.None],
    ],
  );
  // A second end report changes nothing.
  assert.equal(h.scheduler.taskFinished(row, 0, 40), false);
});

test('a worker holds what it can run plus prefetch, and starts queued tasks as resources free', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 100 });
  h.worker(1, 2, 3);
  assert.deepEqual(h.schedule(), [first, first + 1, first + 2, first + 3, first + 4]);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 5, running: 0 });
  assert.deepEqual(h.schedule(), []); // full
  h.scheduler.taskStarted(first, 0, 1);
  h.scheduler.taskStarted(first + 1, 0, 1);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 3, running: 2 });
  assert.deepEqual(h.schedule(), []);
  h.scheduler.taskFinished(first, 0, 2); // first + 2 moves up and holds the freed cpu
  assert.deepEqual(h.schedule(), [first + 5]);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 4, running: 1 });
  assert.equal(h.scheduler.waitingCount(), 94);
});

test('free resources are used before prefetch queues, across workers', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 10 });
  h.worker(1, 1, 2);
  h.worker(2, 1, 2);
  h.schedule();
  // Each worker got one task that starts at once and two queued ones.
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 3, running: 0 });
  assert.deepEqual(h.scheduler.workerLoad(2), { assigned: 3, running: 0 });
  const byWorker = h.sink.assigns.map((a) => a.rows.length);
  assert.deepEqual(byWorker, [3, 3]);
  const started = h.sink.assigns.map((a) => a.rows[0]).sort((x, y) => x - y);
  assert.deepEqual(started, [first, first + 1]);
});

test('a request larger than every worker waits forever and does not block other jobs', () => {
  const h = new SchedulerHarness();
  const big = h.job(1, { count: 3, cpus: 8, priority: 10 });
  const gpu = h.job(2, { count: 1, cpus: 1, gpus: 1, priority: 10 });
  const small = h.job(3, { count: 4, cpus: 1 });
  h.worker(1, 4, 5);
  const order = drainOneByOne(h);
  assert.deepEqual(order.sort((x, y) => x - y), [small, small + 1, small + 2, small + 3]);
  for (let row = big; row < big + 3; row++) assert.equal(h.table.state(row), TaskState.Waiting);
  assert.equal(h.table.state(gpu), TaskState.Waiting);
  assert.equal(h.scheduler.waitingCount(), 4);
  // A big enough worker takes them.
  h.worker(2, 8, 0, 1);
  drainOneByOne(h);
  assert.equal(h.scheduler.waitingCount(), 0);
  assert.equal(h.table.state(gpu), TaskState.Finished);
  assert.equal(h.table.worker(gpu), 2);
});

test('a large queued task is not overtaken by smaller ones that arrive later', () => {
  const h = new SchedulerHarness();
  const small = h.job(1, { count: 4, cpus: 1 });
  h.worker(1, 2, 1);
  assert.deepEqual(h.schedule(), [small, small + 1, small + 2]); // two run, one queued
  const big = h.job(2, { count: 1, cpus: 2, priority: 5 });
  h.scheduler.taskStarted(small, 0, 1);
  h.scheduler.taskStarted(small + 1, 0, 1);
  h.scheduler.taskFinished(small, 0, 2); // small + 2 moves up
  assert.deepEqual(h.schedule(), [big]); // queued behind small + 1 and small + 2
  h.scheduler.taskFinished(small + 1, 0, 3);
  assert.deepEqual(h.schedule(), []); // the big task is at the head of the queue: nothing jumps it
  h.scheduler.taskStarted(small + 2, 0, 3);
  h.scheduler.taskFinished(small + 2, 0, 4);
  assert.ok(h.scheduler.taskStarted(big, 0, 5));
  assert.deepEqual(h.schedule(), [small + 3]); // queued behind the running big task
});

test('tasks of a lost worker come back first with a new instance', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 6 });
  h.worker(1, 1, 1);
  assert.deepEqual(h.schedule(), [first, first + 1]);
  h.scheduler.taskStarted(first, 0, 1);
  h.scheduler.removeWorker(1, false, 2);
  assert.deepEqual(
    h.sink.events.filter((e) => e.kind === TaskEvent.Returned).map((e) => [e.row, e.workerId]),
    [
      [first, 1],
      [first + 1, 1],
    ],
  );
  for (const row of [first, first + 1]) {
    assert.equal(h.table.state(row), TaskState.Waiting);
    assert.equal(h.table.worker(row), 0);
    assert.equal(h.table.instance(row), 1);
    assert.equal(h.table.crashCount(row), 0); // not a crash
    assert.equal(h.table.startTime(row), 0);
  }
  assert.equal(h.scheduler.hasWorker(1), false);
  assert.equal(h.scheduler.waitingCount(), 6);
  h.worker(2, 1);
  assert.deepEqual(drainOneByOne(h), [first, first + 1, first + 2, first + 3, first + 4, first + 5]);
});

test('a crash counts for running tasks only and fails them at the crash limit', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 2, crashLimit: 2 });
  const unlimited = h.job(2, { count: 1, crashLimit: 0 });
  h.worker(1, 3, 1);
  h.worker(2, 3, 1);
  for (let round = 1; round <= 2; round++) {
    const rows = h.schedule();
    assert.ok(rows.includes(first) && rows.includes(first + 1) && rows.includes(unlimited));
    h.scheduler.taskStarted(first, h.table.instance(first), 1); // first + 1 stays assigned, not started
    h.scheduler.taskStarted(unlimited, h.table.instance(unlimited), 1);
    h.scheduler.removeWorker(h.table.worker(first), true, 5);
    if (h.table.worker(unlimited) !== 0) h.scheduler.removeWorker(h.table.worker(unlimited), true, 5);
    h.worker(10 + 2 * round, 3, 1);
    h.worker(11 + 2 * round, 3, 1);
  }
  assert.equal(h.table.crashCount(first), 2);
  assert.equal(h.table.state(first), TaskState.Failed);
  assert.equal(h.table.endTime(first), 5);
  const failed = h.sink.events.filter((e) => e.kind === TaskEvent.Failed);
  assert.equal(failed.length, 1);
  assert.equal(failed[0].row, first);
  assert.equal(failed[0].reason, FailReason.CrashLimit);
  assert.equal(h.table.crashCount(first + 1), 0);
  assert.equal(h.table.state(first + 1), TaskState.Waiting);
  assert.equal(h.table.crashCount(unlimited), 2);
  assert.equal(h.table.state(unlimited), TaskState.Waiting);
});

test('reports about an earlier run of a task are ignored', () => {
  const h = new SchedulerHarness();
  const row = h.job(1, { count: 1 });
  h.worker(1, 1);
  h.schedule();
  assert.ok(h.scheduler.taskStarted(row, 0, 1));
  h.scheduler.removeWorker(1, true, 2);
  h.worker(2, 1);
  h.schedule();
  assert.equal(h.table.instance(row), 1);
  assert.equal(h.scheduler.taskStarted(row, 0, 3), false);
  assert.equal(h.scheduler.taskFinished(row, 0, 3), false);
  assert.equal(h.table.state(row), TaskState.Assigned);
  assert.ok(h.scheduler.taskStarted(row, 1, 4));
  assert.equal(h.scheduler.taskFailed(row, 0, 5), false);
  assert.equal(h.table.state(row), TaskState.Running);
  assert.ok(h.scheduler.taskFinished(row, 1, 6));
  assert.equal(h.table.state(row), TaskState.Finished);
});

test('a task may end without a start report', () => {
  const h = new SchedulerHarness();
  const row = h.job(1, { count: 2 });
  h.worker(1, 1, 1);
  h.schedule();
  assert.ok(h.scheduler.taskFailed(row, 0, 7)); // e.g. its program could not be spawned
  assert.equal(h.table.startTime(row), 7);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 1, running: 0 });
  assert.ok(h.scheduler.taskStarted(row + 1, 0, 8));
});

test('queued tasks that end without a start report leave the queue; the freed cpu goes to its head', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 6 });
  h.worker(1, 1, 3);
  assert.deepEqual(h.schedule(), [first, first + 1, first + 2, first + 3]); // first holds the cpu, three queued
  // One report of the worker: it ran three tasks between two reports.
  for (const row of [first, first + 1, first + 2]) assert.ok(h.scheduler.taskFinished(row, 0, 5));
  for (const row of [first, first + 1, first + 2]) {
    assert.equal(h.table.state(row), TaskState.Finished);
    assert.equal(h.table.startTime(row), 5);
    assert.equal(h.table.endTime(row), 5);
  }
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 1, running: 0 });
  assert.deepEqual(h.scheduler.workerQueue(1), []); // first + 3 holds the cpu now
  assert.deepEqual(h.schedule(), [first + 4, first + 5]);
  assert.deepEqual(h.scheduler.workerQueue(1), [first + 4, first + 5]);
  assert.ok(h.scheduler.taskStarted(first + 3, 0, 6));
  assert.ok(h.scheduler.taskFinished(first + 3, 0, 7));
  assert.deepEqual(h.scheduler.workerQueue(1), [first + 5]);
  h.run(first + 4, 8);
  h.run(first + 5, 10);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 0, running: 0 });
  assert.equal(h.scheduler.waitingCount(), 0);
});

test('tasksFinished takes a batch of (row, instance) pairs: stale and unknown ones are skipped', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 4 });
  h.worker(1, 1, 0);
  h.worker(2, 1, 0);
  assert.deepEqual(h.schedule().sort((a, b) => a - b), [first, first + 1]);
  const on1 = h.table.worker(first) === 1 ? first : first + 1;
  const on2 = on1 === first ? first + 1 : first;
  h.scheduler.removeWorker(2, false); // on2 waits again with instance 1
  const batch = Uint32Array.of(on1, 0, on2, 0, first + 3, 0);
  h.scheduler.tasksFinished(batch, 0, batch.length, 9);
  assert.equal(h.table.state(on1), TaskState.Finished);
  assert.equal(h.table.startTime(on1), 9);
  assert.equal(h.table.state(on2), TaskState.Waiting, 'an earlier run of a returned task');
  assert.equal(h.table.state(first + 3), TaskState.Waiting, 'a task never assigned');
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 0, running: 0 });
  assert.deepEqual(h.schedule(), [on2]);
});

test('a start report for a task the scheduler still had queued is trusted', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 3 });
  h.worker(1, 1, 1);
  assert.deepEqual(h.schedule(), [first, first + 1]); // first holds the cpu, first + 1 is queued
  assert.ok(h.scheduler.taskStarted(first + 1, 0, 1)); // the worker disagrees: it started first + 1
  // first, not started, gives the cpu back and is queued again: the prefetch of 1 is used up.
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 1, running: 1 });
  assert.deepEqual(h.schedule(), []);
  assert.ok(h.scheduler.taskFinished(first + 1, 0, 2)); // first takes the cpu
  assert.deepEqual(h.schedule(), [first + 2]);
  assert.ok(h.scheduler.taskStarted(first, 0, 3));
  assert.ok(h.scheduler.taskFinished(first, 0, 4));
  assert.ok(h.scheduler.taskStarted(first + 2, 0, 5));
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 0, running: 1 });
});

test('schedule() can send its assignments to another sink', () => {
  const h = new SchedulerHarness();
  const row = h.job(1, { count: 1 });
  h.worker(1, 1);
  const got: number[][] = [];
  h.scheduler.schedule(1, { assign: (w, rows, n) => got.push([w, ...rows.subarray(0, n)]), assignMultiNode() {}, cancel() {}, steal() {}, event() {} });
  assert.deepEqual(got, [[1, row]]);
  assert.equal(h.sink.assigns.length, 0);
});

test('canceling a job releases resources at once and orders the worker to stop', () => {
  const h = new SchedulerHarness();
  const a = h.job(1, { count: 4, cpus: 2 });
  const b = h.job(2, { count: 1, cpus: 2 });
  h.worker(1, 2, 1);
  assert.deepEqual(h.schedule(), [a, a + 1]);
  h.scheduler.taskStarted(a, 0, 1);
  h.scheduler.cancelJob(1, 9);
  assert.deepEqual(h.sink.cancels, [{ workerId: 1, rows: [a, a + 1] }]);
  for (let row = a; row < a + 4; row++) {
    assert.equal(h.table.state(row), TaskState.Canceled);
    assert.equal(h.table.endTime(row), 9);
  }
  assert.deepEqual(
    h.sink.events.filter((e) => e.kind === TaskEvent.Canceled).map((e) => [e.row, e.workerId]),
    [
      [a, 1],
      [a + 1, 1],
      [a + 2, 0],
      [a + 3, 0],
    ],
  );
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 0, running: 0 });
  assert.equal(h.scheduler.waitingCount(), 1);
  assert.deepEqual(h.schedule(), [b]);
  // Reports from the killed task are ignored.
  assert.equal(h.scheduler.taskFinished(a, 0, 10), false);
  h.scheduler.cancelJob(1); // nothing left to cancel
  assert.equal(h.sink.cancels.length, 1);
});

test('canceling single tasks: waiting ones are skipped, queued ones leave the queue', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 6 });
  h.worker(1, 1, 2);
  assert.deepEqual(h.schedule(), [first, first + 1, first + 2]);
  h.scheduler.taskStarted(first, 0, 1);
  h.scheduler.cancelTasks(Uint32Array.of(first + 1, first + 3, first + 3), 2);
  assert.deepEqual(h.sink.cancels, [{ workerId: 1, rows: [first + 1] }]);
  assert.equal(h.sink.terminalEvents.get(first + 3), 1);
  assert.equal(h.scheduler.waitingCount(), 2);
  assert.deepEqual(h.schedule(), [first + 4]); // first + 3 is skipped; queue has first + 2 and first + 4
  h.scheduler.cancelTasks(Uint32Array.of(first), 3); // the running one: first + 2 takes its cpu
  assert.ok(h.scheduler.taskStarted(first + 2, 0, 4));
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 1, running: 1 });
  assert.deepEqual(h.schedule(), [first + 5]);
  assert.throws(() => h.scheduler.cancelTasks(Uint32Array.of(999)), RangeError);
});

test('several submits to one job and rows with different requests', () => {
  const h = new SchedulerHarness();
  const first = h.job(1, { count: 2, cpus: 1 });
  const twoCpus = h.request(2);
  const second = h.more(1, 2, twoCpus);
  // Rows of one submit may differ in request; each request is placed on its own.
  const { start: third } = h.table.allocate(3);
  h.table.addBlock(third, 1, 1, 10, 1, 0, h.request(1), 0);
  h.table.addBlock(third + 1, 1, 1, 11, 1, 0, twoCpus, 0);
  h.table.addBlock(third + 2, 1, 1, 12, 1, 0, h.request(1), 0);
  h.scheduler.submit(1, third, 3);
  h.worker(1, 1); // only 1-cpu tasks fit here
  const order = drainOneByOne(h);
  assert.deepEqual(order, [first, first + 1, third, third + 2]);
  assert.equal(h.scheduler.waitingCount(), 3);
  h.worker(2, 2);
  assert.deepEqual(drainOneByOne(h), [second, second + 1, third + 1]);
});

test('bad arguments', () => {
  const h = new SchedulerHarness();
  h.job(1, { count: 1 });
  assert.throws(() => h.job(1, { count: 1 }), /already known/);
  assert.throws(() => h.scheduler.addJob(2, { priority: 1.5, request: 0, crashLimit: 0 }), UserError);
  assert.throws(() => h.scheduler.addJob(2, { priority: 0, request: 0, crashLimit: -1 }), UserError);
  assert.throws(() => h.scheduler.addJob(2, { priority: 0, request: 77, crashLimit: 0 }), RangeError);
  assert.throws(() => h.requests.add([variant({ cpus: 1 })], -1), UserError);
  assert.throws(() => h.scheduler.setTemplateCrashLimits(1, [{ template: 0, crashLimit: -2 }]), UserError);
  assert.throws(() => h.scheduler.submit(5, 0, 1), /unknown job 5/);
  assert.throws(() => h.scheduler.submit(1, 0, 2), RangeError);
  const { start } = h.table.allocate(2);
  h.table.fillJob(start, 2, 1, null, 0, 55);
  assert.throws(() => h.scheduler.submit(1, start, 2), /unknown resource request 55/);
  assert.equal(h.scheduler.waitingCount(), 1);
  h.worker(1, 1);
  assert.throws(() => h.worker(1, 1), /already known/);
  const opts = { group: 'default', endTimeMs: 0 };
  assert.throws(() => h.scheduler.addWorker(0, [], 0, opts), RangeError);
  assert.throws(() => h.scheduler.addWorker(2, [], -1, opts), UserError);
  assert.throws(() => h.scheduler.addWorker(2, [{ name: 'mem', kind: 'sum', groups: [], sum: -5 }], 0, opts), /-5/);
  assert.throws(() => h.scheduler.addWorker(2, [], 0, { group: 'x', endTimeMs: Number.NaN }), UserError);
  assert.throws(() => h.scheduler.removeWorker(3, false), /unknown worker 3/);
  assert.throws(() => h.scheduler.workerLoad(3), /unknown worker 3/);
});

test('a million waiting tasks run through a few workers', () => {
  const total = 1_000_000;
  const table = TaskTable.create();
  const registry = new ResourceRegistry();
  const requests = new RequestTable(registry);
  const request = requests.add([compactVariant([{ name: 'cpus', amount: RESOURCE_UNIT }])]);
  const { start } = table.allocate(total);
  table.fillJob(start, total, 1, null, 0, request);
  // A lean sink that plays the workers: each runs everything it receives.
  let assigned = 0;
  let finished = 0;
  const received: number[] = [];
  const sink = {
    assign(_workerId: number, rows: Uint32Array, count: number) {
      assigned += count;
      for (let i = 0; i < count; i++) received.push(rows[i]);
    },
    assignMultiNode() {},
    cancel() {},
    steal() {},
    event(kind: number) {
      if (kind === TaskEvent.Finished) finished++;
    },
  };
  const scheduler = new Scheduler(table, registry, requests, sink);
  scheduler.addJob(1, { priority: 0, request, crashLimit: 0 });
  scheduler.submit(1, start, total);
  for (let w = 1; w <= 4; w++) scheduler.addWorker(w, [indexed('cpus', 64)], 32, { group: 'default', endTimeMs: 0 });
  let now = 0;
  while (finished < total) {
    scheduler.schedule(now);
    for (const row of received) {
      scheduler.taskStarted(row, 0, now);
      scheduler.taskFinished(row, 0, now);
    }
    received.length = 0;
    now++;
  }
  assert.equal(assigned, total);
  assert.equal(scheduler.waitingCount(), 0);
  const counts = new Uint32Array(6);
  table.countStates(start, total, counts);
  assert.equal(counts[TaskState.Finished], total);
});
