import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskEvent } from '../../src/core/scheduler.js';
import { TaskState } from '../../src/core/task-state.js';
import { SchedulerHarness } from './scheduler-harness.js';

/** Rows of one task template of a job: `count` one-cpu tasks with the template's time request. */
function addTemplate(h: SchedulerHarness, jobId: number, template: number, count: number, timeRequestMs: number): number {
  const request = h.request(1, 0, 'compact', timeRequestMs);
  const { start } = h.table.allocate(count);
  h.table.fillJob(start, count, jobId, null, 0, request, template);
  return start;
}

test('each template of a job keeps its own time request', () => {
  const h = new SchedulerHarness();
  h.scheduler.addJob(1, { priority: 0, request: h.request(1), crashLimit: 0 });
  const long = addTemplate(h, 1, 0, 2, 5000);
  const short = addTemplate(h, 1, 1, 3, 500);
  h.scheduler.submit(1, long, 2);
  h.scheduler.submit(1, short, 3);
  h.workerWith(1, { cpus: 4, endTimeMs: 1000 }); // 900 ms left at t=100
  h.workerWith(2, { cpus: 1 }); // no time limit
  h.schedule(100);
  const on = (row: number) => h.table.worker(row);
  // The long tasks never go to worker 1; one of them takes worker 2, the other waits.
  assert.deepEqual([on(long), on(long + 1)].sort(), [0, 2]);
  assert.deepEqual([on(short), on(short + 1), on(short + 2)], [1, 1, 1]);
  const waiting = on(long) === 0 ? long : long + 1;
  for (let row = short; row < short + 3; row++) h.run(row);
  h.schedule(200); // worker 1 is free, but 800 ms are not 5 s
  assert.equal(h.table.state(waiting), TaskState.Waiting);
  assert.equal(h.scheduler.explain(waiting, 1, 200).timeFits, false);
  assert.equal(h.scheduler.explain(short, 1, 200).timeRequestMs, 500);
  h.run(waiting === long ? long + 1 : long);
  h.schedule(300);
  assert.equal(h.table.worker(waiting), 2);
});

test('a worker that will live long enough for one template only gets that one', () => {
  const h = new SchedulerHarness();
  h.scheduler.addJob(7, { priority: 0, request: h.request(1), crashLimit: 0 });
  const a = addTemplate(h, 7, 0, 1, 60_000);
  const b = addTemplate(h, 7, 1, 1, 10_000);
  const c = addTemplate(h, 7, 2, 1, 0);
  h.scheduler.submit(7, a, 3); // the three templates' rows are consecutive
  h.workerWith(1, { cpus: 3, endTimeMs: 30_000 });
  h.schedule(0);
  assert.deepEqual([a, b, c].map((row) => h.table.state(row)), [TaskState.Waiting, TaskState.Assigned, TaskState.Assigned]);
  h.workerWith(2, { cpus: 1, endTimeMs: 100_000 });
  h.schedule(0);
  assert.equal(h.table.worker(a), 2);
});

test('each template of a job fails at its own crash limit', () => {
  const h = new SchedulerHarness();
  h.scheduler.addJob(1, { priority: 0, request: h.request(1), crashLimit: 5 });
  const once = addTemplate(h, 1, 0, 1, 0);
  const twice = addTemplate(h, 1, 1, 1, 0);
  const jobDefault = addTemplate(h, 1, 2, 1, 0);
  h.scheduler.setTemplateCrashLimits(1, [
    { template: 0, crashLimit: 1 },
    { template: 1, crashLimit: 2 },
  ]);
  h.scheduler.submit(1, once, 3);
  let worker = 1;
  const crashAll = () => {
    h.worker(worker, 3);
    h.schedule();
    for (const row of [once, twice, jobDefault]) {
      if (h.table.state(row) === TaskState.Assigned) h.scheduler.taskStarted(row, h.table.instance(row), 1);
    }
    h.scheduler.removeWorker(worker++, true, 5);
  };
  crashAll();
  assert.deepEqual([once, twice, jobDefault].map((row) => h.table.state(row)), [TaskState.Failed, TaskState.Waiting, TaskState.Waiting]);
  crashAll();
  assert.deepEqual([twice, jobDefault].map((row) => h.table.state(row)), [TaskState.Failed, TaskState.Waiting]);
  for (let i = 0; i < 3; i++) crashAll();
  assert.equal(h.table.state(jobDefault), TaskState.Failed);
  assert.equal(h.table.crashCount(jobDefault), 5);
  const failed = h.sink.events.filter((e) => e.kind === TaskEvent.Failed).map((e) => e.row);
  assert.deepEqual(failed, [once, twice, jobDefault]);
});

test('a template crash limit of 0 never fails the task, whatever the job says', () => {
  const h = new SchedulerHarness();
  h.scheduler.addJob(1, { priority: 0, request: h.request(1), crashLimit: 1 });
  const row = addTemplate(h, 1, 0, 1, 0);
  h.scheduler.setTemplateCrashLimits(1, [{ template: 0, crashLimit: 0 }]);
  h.scheduler.submit(1, row, 1);
  for (let worker = 1; worker <= 4; worker++) {
    h.worker(worker, 1);
    h.schedule();
    h.scheduler.taskStarted(row, h.table.instance(row), 1);
    h.scheduler.removeWorker(worker, true, 2);
  }
  assert.equal(h.table.state(row), TaskState.Waiting);
  assert.equal(h.table.crashCount(row), 4);
});
