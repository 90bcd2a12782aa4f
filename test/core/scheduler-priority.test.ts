// Priorities against worker queues: a queued task of higher priority (or of an
// earlier job) goes ahead of queued tasks of lower priority (or later jobs),
// in the scheduler's model as on the worker, and a full queue gives way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskEvent } from '../../src/core/scheduler.js';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness } from './scheduler-harness.js';
import { SimWorker } from './sim-worker.js';

/** Worker 1 (1 cpu, `prefetch`) runs a one-task job 1; returns its row. */
function busyWorker(h: SchedulerHarness, prefetch: number): number {
  const blocker = h.job(1, { count: 1 });
  h.worker(1, 1, prefetch);
  assert.deepEqual(h.schedule(), [blocker]);
  assert.ok(h.scheduler.taskStarted(blocker, 0, 1));
  return blocker;
}

test('a later job of higher priority is queued ahead of an earlier one and starts first', () => {
  const h = new SchedulerHarness();
  const blocker = busyWorker(h, 4);
  const low = h.job(2, { count: 2 });
  assert.deepEqual(h.schedule(), [low, low + 1]);
  const high = h.job(3, { count: 2, priority: 10 });
  assert.deepEqual(h.schedule(), [high, high + 1]);
  assert.deepEqual(h.scheduler.workerQueue(1), [high, high + 1, low, low + 1]);
  assert.equal(h.sink.steals.length, 0, 'room enough: nothing asked back');
  // The worker starts its new head when the blocker ends; the model agrees.
  const starts: number[] = [];
  h.scheduler.taskFinished(blocker, 0, 2);
  for (let now = 3; h.scheduler.workerQueue(1).length > 0 || h.scheduler.workerLoad(1).assigned > 0; now += 2) {
    const head = [high, high + 1, low, low + 1].find((row) => h.table.state(row) === TaskState.Assigned)!;
    starts.push(head);
    assert.ok(!h.scheduler.workerQueue(1).includes(head), 'the model gave the cpu to the same task');
    assert.ok(h.scheduler.taskStarted(head, 0, now));
    assert.deepEqual(h.scheduler.workerLoad(1), { assigned: h.scheduler.workerQueue(1).length, running: 1 });
    h.scheduler.taskFinished(head, 0, now + 1);
  }
  assert.deepEqual(starts, [high, high + 1, low, low + 1]);
});

test('equal priority stays in job order: an earlier job goes ahead of a later one, a job stays FIFO', () => {
  const h = new SchedulerHarness();
  busyWorker(h, 4);
  const second = h.job(2, { count: 2 });
  const third = h.job(3, { count: 2 });
  assert.deepEqual(h.schedule(), [second, second + 1, third, third + 1]);
  assert.deepEqual(h.scheduler.workerQueue(1), [second, second + 1, third, third + 1]);
  // More tasks of job 2 (an open job): behind its own, ahead of job 3's, which gives way at the back.
  const more = h.more(2, 1, h.table.request(second));
  assert.deepEqual(h.schedule(), [more]);
  assert.deepEqual(h.scheduler.workerQueue(1), [second, second + 1, more, third, third + 1]);
  assert.deepEqual(h.sink.steals, [{ workerId: 1, rows: [third + 1] }]);
  // A later job of the same priority never goes ahead.
  const fourth = h.job(4, { count: 1 });
  assert.deepEqual(h.schedule(), []);
  h.scheduler.stealResult(1, Uint32Array.of(third + 1), new Uint32Array(0));
  assert.deepEqual(h.scheduler.workerQueue(1), [second, second + 1, more, third]);
  assert.deepEqual(h.schedule(), []); // full again
  assert.equal(h.table.state(fourth), TaskState.Waiting);
  assert.equal(h.table.state(third + 1), TaskState.Waiting);
});

test('a full queue of lower-priority tasks gives way: the tasks at its back are asked back', () => {
  const h = new SchedulerHarness();
  const blocker = busyWorker(h, 2);
  const low = h.job(2, { count: 5 });
  assert.deepEqual(h.schedule(), [low, low + 1]);
  const high = h.job(3, { count: 3, priority: 5 });
  assert.deepEqual(h.schedule(), [high, high + 1]);
  assert.deepEqual(h.scheduler.workerQueue(1), [high, high + 1, low, low + 1]);
  assert.deepEqual(h.sink.steals, [{ workerId: 1, rows: [low, low + 1] }]);
  assert.equal(h.scheduler.workerReturning(1), 2);
  // Nothing more while the answer is out: no second request, no third high task.
  assert.deepEqual(h.schedule(), []);
  assert.equal(h.sink.steals.length, 1);
  h.scheduler.stealResult(1, Uint32Array.of(low, low + 1), new Uint32Array(0));
  assert.deepEqual(h.scheduler.workerQueue(1), [high, high + 1]);
  assert.equal(h.scheduler.workerReturning(1), 0);
  for (const row of [low, low + 1]) {
    assert.equal(h.table.state(row), TaskState.Waiting);
    assert.equal(h.table.instance(row), 1);
  }
  assert.deepEqual(h.sink.rowsOf(TaskEvent.Returned), [low, low + 1]);
  assert.equal(h.scheduler.waitingCount(), 6); // all five of low, and high + 2
  // The queue drains in priority order; the returned tasks come back before low's other waiting ones.
  h.scheduler.taskFinished(blocker, 0, 2);
  assert.deepEqual(h.schedule(), [high + 2]);
  h.run(high);
  assert.deepEqual(h.schedule(), [low]);
  assert.equal(h.table.instance(low), 1);
});

test('a task the worker started while the queue gave way stays where it is', () => {
  const h = new SchedulerHarness();
  const blocker = busyWorker(h, 1);
  const low = h.job(2, { count: 1 });
  assert.deepEqual(h.schedule(), [low]);
  const high = h.job(3, { count: 1, priority: 5 });
  assert.deepEqual(h.schedule(), [high]);
  assert.deepEqual(h.sink.steals, [{ workerId: 1, rows: [low] }]);
  // The blocker ended and the worker started low before the request arrived.
  h.scheduler.taskFinished(blocker, 0, 2); // the model gives the cpu to its head, high
  assert.ok(h.scheduler.taskStarted(low, 0, 3)); // high, not started, is queued again
  h.scheduler.stealResult(1, new Uint32Array(0), Uint32Array.of(low));
  assert.equal(h.scheduler.workerReturning(1), 0);
  assert.deepEqual(h.scheduler.workerQueue(1), [high]);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 1, running: 1 });
  h.scheduler.taskFinished(low, 0, 4);
  assert.deepEqual(h.scheduler.workerQueue(1), []); // high holds the cpu
  assert.ok(h.scheduler.taskStarted(high, 0, 5));
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 0, running: 1 });
});

test('a higher-priority task that fits now starts ahead of a big queued one', () => {
  const h = new SchedulerHarness();
  const running = h.job(1, { count: 1, cpus: 2 });
  h.worker(1, 4, 3);
  assert.deepEqual(h.schedule(), [running]);
  h.scheduler.taskStarted(running, 0, 1);
  const big = h.job(2, { count: 1, cpus: 4 });
  assert.deepEqual(h.schedule(), [big]); // waits for the whole worker
  const small = h.job(3, { count: 2, priority: 1 });
  assert.deepEqual(h.schedule(), [small, small + 1]);
  assert.deepEqual(h.scheduler.workerQueue(1), [small, small + 1, big]);
  assert.equal(h.sink.steals.length, 0);
  // The worker starts both on arrival; the model takes their cpus from the reports.
  assert.ok(h.scheduler.taskStarted(small, 0, 2));
  assert.ok(h.scheduler.taskStarted(small + 1, 0, 2));
  assert.deepEqual(h.scheduler.workerQueue(1), [big]);
  assert.deepEqual(h.scheduler.workerLoad(1), { assigned: 1, running: 3 });
  h.scheduler.taskFinished(running, 0, 3);
  h.scheduler.taskFinished(small, 0, 3);
  assert.deepEqual(h.scheduler.workerQueue(1), [big]); // two cpus still busy
  h.scheduler.taskFinished(small + 1, 0, 4);
  assert.deepEqual(h.scheduler.workerQueue(1), []);
});

test('an idle worker steals the lowest-priority queued tasks first', () => {
  const h = new SchedulerHarness();
  busyWorker(h, 4);
  const high = h.job(2, { count: 2, priority: 3 });
  assert.deepEqual(h.schedule(), [high, high + 1]);
  const low = h.job(3, { count: 2 });
  assert.deepEqual(h.schedule(), [low, low + 1]);
  h.worker(2, 1);
  assert.deepEqual(h.schedule(), []);
  assert.deepEqual(h.sink.steals, [{ workerId: 1, rows: [low + 1] }]);
});

test('tasks of one job with different priorities (job files) are placed by their own priority', () => {
  const h = new SchedulerHarness();
  const plain = h.job(1, { count: 2 });
  const urgent = h.more(1, 1, h.table.request(plain), 5);
  h.worker(1, 1, 1);
  assert.deepEqual(h.schedule(), [urgent, plain]);
});

test('a worker with the same order as the model starts tasks by priority, job, then arrival', () => {
  const h = new SchedulerHarness();
  const sim = new SimWorker(1, SchedulerHarness.resources(1), h.registry, (row) => h.requests.variants(h.table.request(row)), h.table);
  h.sink.onAssign = (_, rows) => sim.inbox.push({ type: 'assign', rows, instances: rows.map((r) => h.table.instance(r)), variants: rows.map((r) => h.table.variant(r)) });
  h.sink.onSteal = (_, rows) => sim.inbox.push({ type: 'steal', rows });
  const started: number[] = [];
  const deliver = (): void => {
    while (sim.inbox.length > 0) sim.receive();
    for (const report of sim.outbox.splice(0)) {
      if (report.type === 'stealResult') h.scheduler.stealResult(1, Uint32Array.from(report.returned), Uint32Array.from(report.started));
      else if (report.type === 'started') {
        started.push(report.row);
        assert.ok(h.scheduler.taskStarted(report.row, report.instance, 1));
        assert.deepEqual(h.scheduler.workerQueue(1), sim.fifo.map((q) => q.row), 'model and worker queues agree');
      } else h.scheduler.taskFinished(report.row, report.instance, 1);
    }
  };
  h.worker(1, 1, 3);
  const blocker = h.job(1, { count: 1 });
  h.schedule();
  deliver();
  // Jobs arrive while the worker is busy, in an order that their priorities reverse.
  const jobs = [
    h.job(2, { count: 2 }),
    h.job(3, { count: 2, priority: 4 }),
    h.job(4, { count: 1, priority: -3 }),
    h.job(5, { count: 2, priority: 4 }),
  ];
  for (let i = 0; i < 4; i++) {
    h.schedule();
    deliver();
  }
  const prng = { pick: <T>(items: T[]) => items[0]!, chance: () => false } as unknown as Parameters<SimWorker['endOne']>[0];
  while (sim.running.size > 0 || h.scheduler.waitingCount() > 0 || sim.fifo.length > 0) {
    sim.endOne(prng, 0);
    deliver();
    h.schedule();
    deliver();
  }
  const [j2, j3, j4, j5] = jobs;
  assert.deepEqual(started, [blocker, j3, j3 + 1, j5, j5 + 1, j2, j2 + 1, j4]);
});
