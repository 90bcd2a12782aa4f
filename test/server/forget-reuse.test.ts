import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessServer } from './in-process-server.js';
import { TaskState } from '../../src/core/task-state.js';

function states(tasks: Array<{ state: string | Uint8Array | null }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks) out[String(t.state)] = (out[String(t.state)] ?? 0) + 1;
  return out;
}

test('forgotten jobs give their rows back: later jobs reuse them and the table does not grow', async () => {
  const s = new InProcessServer({ chunkRows: 1024 });
  try {
    await s.addWorker(4, 64);
    const first = await s.submit({ count: 5000 });
    // A job after it keeps the end of the table in use, so the first job's rows stay, to be reused.
    await s.submit({ count: 1 });
    await s.run();
    assert.equal((await s.jobInfo(first)).finished, 5000);
    const capacity = s.table.capacity;
    const length = s.table.length;
    const bytes = s.table.byteLength;

    assert.deepEqual(await s.forget([first]), [first]);
    assert.equal(s.table.freeRowCount, 5000);
    assert.equal(s.table.blockCount, 1, 'the later job\'s');

    // The same size again, many times over, and many small jobs: all in the rows of the first.
    for (let round = 0; round < 10; round++) {
      const job = await s.submit({ count: 5000 });
      await s.run();
      assert.equal((await s.jobInfo(job)).finished, 5000);
      assert.deepEqual(await s.forget([job]), [job]);
    }
    const small: number[] = [];
    for (let i = 0; i < 40; i++) small.push(await s.submit({ count: 100 + i }));
    await s.run();
    assert.deepEqual(await s.forget(small), small);
    // A job bigger than any single free run takes several runs instead of new rows.
    const big = await s.submit({ count: 5000 });
    await s.run();
    const info = await s.jobInfo(big);
    assert.equal(info.finished, 5000);
    assert.equal(s.table.capacity, capacity);
    assert.equal(s.table.length, length);
    assert.equal(s.table.byteLength, bytes);
    assert.equal(s.table.freeRowCount, 0);
    const { tasks } = await s.tasks([big]);
    assert.deepEqual(
      tasks.map((t) => t.taskId),
      Array.from({ length: 5000 }, (_, i) => i),
    );
  } finally {
    await s.stop();
  }
});

test('forgetting the jobs at the end of the table gives their chunks back', async () => {
  const s = new InProcessServer({ chunkRows: 1024 });
  try {
    await s.addWorker(4, 64);
    const a = await s.submit({ count: 1500 });
    const b = await s.submit({ count: 5000 });
    await s.run();
    assert.equal(s.table.rowChunkCount, 7);
    const bytes = s.table.byteLength;

    assert.deepEqual(await s.forget([b]), [b]);
    assert.equal(s.table.length, 1500);
    assert.equal(s.table.rowChunkCount, 2);
    assert.ok(s.table.byteLength < bytes);

    // The table grows again from its new end.
    const c = await s.submit({ count: 3000 });
    await s.run();
    assert.equal((await s.jobInfo(c)).finished, 3000);
    assert.deepEqual(
      (await s.tasks([c])).tasks.map((t) => t.taskId),
      Array.from({ length: 3000 }, (_, i) => i),
    );
    // A forgotten job before one still held leaves its rows for reuse; the end stays.
    assert.deepEqual(await s.forget([a]), [a]);
    assert.equal(s.table.length, 4500);
    assert.equal(s.table.freeRowCount, 1500);
    assert.deepEqual(await s.forget([c]), [c]);
    assert.equal(s.table.length, 0);
    assert.equal(s.table.rowChunkCount, 0);
    assert.equal(s.table.freeRowCount, 0);
  } finally {
    await s.stop();
  }
});

test('tasks of a job in recycled rows behave like any other', async () => {
  const s = new InProcessServer({ chunkRows: 64 });
  try {
    const w1 = await s.addWorker(2, 0); // runs two tasks, queues none
    // An old job whose tasks partly fail, leaving error texts behind, then forgotten.
    s.outcome = (_job, task) => (task % 3 === 0 ? 'fail' : 'finish');
    const old = await s.submit({ count: 300 });
    await s.submit({ count: 1 }); // keeps the end of the table in use, so the old rows stay for reuse
    await s.run();
    assert.equal((await s.jobInfo(old)).failed, 100);
    const oldLength = s.table.length;
    await s.forget([old]);
    // A failure text reported late for a row of the forgotten job must not stick to the row's next task.
    for (let row = 0; row < 300; row++) if (s.table.state(row) === TaskState.Failed) s.cp.recordTaskErrors([[row, s.table.instance(row), 'late report']]);

    // Arbitrary ids in recycled rows: 1, 5, 10..20 by 2, 100..149.
    s.outcome = (_job, task) => (task === 1 ? 'fail' : 'hold');
    const ids = [{ start: 1, end: 1, step: 1 }, { start: 5, end: 5, step: 1 }, { start: 10, end: 20, step: 2 }, { start: 100, end: 149, step: 1 }];
    const job = await s.submit({ ids });
    assert.equal(s.table.length, oldLength, 'no new rows');
    await s.run();
    const expectedIds = [1, 5, 10, 12, 14, 16, 18, 20, ...Array.from({ length: 50 }, (_, i) => 100 + i)];
    let { tasks } = await s.tasks([job]);
    assert.deepEqual(tasks.map((t) => t.taskId), expectedIds);
    // Nothing of the old job shows: no stale errors, no old ended states.
    assert.deepEqual(
      tasks.filter((t) => String(t.error) !== '').map((t) => [t.taskId, String(t.error)]),
      [[1, 'task 1 failed']],
    );
    assert.deepEqual(states(tasks), { FAILED: 1, RUNNING: 2, WAITING: 55 });
    let info = await s.jobInfo(job);
    assert.equal(info.taskCount, 58);
    assert.deepEqual([info.running, info.failed, info.waiting], [2, 1, 55]);
    assert.deepEqual(info.failures.map((f) => f.taskId), [1]);

    // The worker crashes: its running tasks count a crash and run again elsewhere.
    s.outcome = () => 'finish';
    await s.addWorker(4, 8);
    await s.cp.workerEnded(w1, 'CONNECTION LOST');
    await s.run();
    ({ tasks } = await s.tasks([job]));
    assert.deepEqual(states(tasks), { FAILED: 1, FINISHED: 57 });
    const rerun = tasks.filter((t) => t.crashCount === 1);
    assert.deepEqual(rerun.map((t) => t.taskId), [5, 10]);
    assert.ok(rerun.every((t) => t.instance === 1));
    info = await s.jobInfo(job);
    assert.deepEqual([info.finished, info.failed, String(info.state)], [57, 1, 'FAILED']);

    // Selected ids, a state filter, and a task id the job does not have.
    const picked = await s.tasks([job], [{ start: 10, end: 14, step: 1 }, { start: 149, end: 150, step: 1 }]);
    assert.deepEqual(picked.tasks.map((t) => t.taskId), [10, 12, 14, 149]);
    const failed = await s.tasks([job], undefined, ['FAILED']);
    assert.deepEqual(failed.tasks.map((t) => t.taskId), [1]);
  } finally {
    await s.stop();
  }
});

test('dependencies and cancellation work in recycled rows', async () => {
  const s = new InProcessServer({ chunkRows: 64 });
  try {
    await s.addWorker(2, 2);
    const filler = await s.submit({ count: 200 });
    await s.run();
    await s.forget([filler]);

    // A chain 0 <- 1 <- 2 and a task depending on a failing one.
    s.outcome = (_job, task) => (task === 3 ? 'fail' : 'finish');
    const chain = await s.submit({ count: 5, deps: [{ taskId: 1, deps: [0] }, { taskId: 2, deps: [1] }, { taskId: 4, deps: [3] }] });
    await s.run();
    const { tasks } = await s.tasks([chain]);
    assert.deepEqual(tasks.map((t) => [t.taskId, String(t.state)]), [
      [0, 'FINISHED'],
      [1, 'FINISHED'],
      [2, 'FINISHED'],
      [3, 'FAILED'],
      [4, 'CANCELED'],
    ]);
    assert.ok(tasks[1]!.startTime >= tasks[0]!.endTime);

    // Canceling a job in recycled rows cancels every task that did not end.
    s.outcome = () => 'hold';
    const held = await s.submit({ count: 50 });
    await s.run();
    await s.cancel(held);
    await s.settle();
    const info = await s.jobInfo(held);
    assert.deepEqual([info.canceled, String(info.state)], [50, 'CANCELED']);
  } finally {
    await s.stop();
  }
});

test('rows of tasks canceled while on a worker are held back after a forget', async () => {
  const s = new InProcessServer({ chunkRows: 64 });
  try {
    await s.addWorker(3, 0); // 3 running, none queued
    s.outcome = () => 'hold';
    const job = await s.submit({ count: 20 });
    await s.run();
    await s.cancel(job);
    await s.settle();
    const onWorker: number[] = [];
    for (let row = 0; row < 20; row++) if (s.table.state(row) === TaskState.Canceled && s.table.worker(row) !== 0) onWorker.push(row);
    assert.equal(onWorker.length, 3);
    await s.forget([job]);
    await s.settle(); // the release runs in slices
    // The free rows after the last held one were trimmed off the table's end; the rest wait for reuse.
    const end = Math.max(...onWorker) + 1;
    assert.equal(s.table.length, end);
    assert.equal(s.table.freeRowCount, end - 3);

    // A new job takes the free rows and new ones, never the held-back rows.
    s.outcome = () => 'finish';
    const next = await s.submit({ count: 20 });
    await s.run();
    assert.equal((await s.jobInfo(next)).finished, 20);
    for (const row of onWorker) assert.equal(s.table.state(row), TaskState.Canceled, `row ${row} was reused`);
    assert.equal(s.table.length, 23);
  } finally {
    await s.stop();
  }
});

test('a task list longer than one answer comes in parts that join up exactly', async () => {
  const s = new InProcessServer({ pageBytes: 16 * 1024 });
  try {
    await s.addWorker(4, 64);
    const a = await s.submit({ ids: [{ start: 0, end: 2999, step: 3 }] });
    const b = await s.submit({ count: 1500 });
    await s.run();
    const all = await s.tasks([a, b]);
    assert.ok(all.parts >= 5, `${all.parts} parts`);
    assert.deepEqual(
      all.tasks.map((t) => [t.jobId, t.taskId]),
      [...Array.from({ length: 1000 }, (_, i) => [a, 3 * i]), ...Array.from({ length: 1500 }, (_, i) => [b, i])],
    );
    const picked = await s.tasks([b], [{ start: 100, end: 1499, step: 7 }]);
    assert.ok(picked.parts > 1);
    assert.deepEqual(
      picked.tasks.map((t) => t.taskId),
      Array.from({ length: 200 }, (_, i) => 100 + 7 * i),
    );
  } finally {
    await s.stop();
  }
});
