import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskQueue } from '../../src/worker/task-queue.js';

/** Assignment words (row, instance, job, task, variant) for rows of one job; task id = row. */
function assignments(job: number, rows: number[]): Uint32Array {
  return Uint32Array.from(rows.flatMap((row) => [row, 0, job, row, 0]));
}

/** Rows in the order the queue offers them, leaving them queued. */
function order(queue: TaskQueue): number[] {
  const rows: number[] = [];
  queue.forEachStartable((row) => {
    rows.push(row);
    return 'skip';
  });
  return rows;
}

const priorities = new Map<number, number>();
const priorityOf = (job: number): number => priorities.get(job) ?? 0;

test('tasks of equal priority and job keep their arrival order', () => {
  const queue = new TaskQueue();
  queue.push(assignments(1, [5, 3, 9]), priorityOf);
  queue.push(assignments(1, [1, 2]), priorityOf);
  assert.deepEqual(order(queue), [5, 3, 9, 1, 2]);
  assert.equal(queue.size, 5);
});

test('higher priority goes first, then the lower job id, then arrival', () => {
  priorities.set(10, 0).set(11, 10).set(12, -5).set(13, 10);
  const queue = new TaskQueue();
  queue.push(assignments(10, [100, 101]), priorityOf);
  queue.push(assignments(12, [120]), priorityOf);
  queue.push(assignments(13, [130]), priorityOf);
  queue.push(assignments(11, [110, 111]), priorityOf); // same priority as job 13, lower id: ahead of it
  queue.push(assignments(10, [102]), priorityOf); // behind job 10's earlier tasks, ahead of job 12
  queue.push(assignments(13, [131]), priorityOf);
  assert.deepEqual(order(queue), [110, 111, 130, 131, 100, 101, 102, 120]);
});

test('started and removed tasks leave holes that insertion and the head handle', () => {
  priorities.set(20, 0).set(21, 1);
  const queue = new TaskQueue();
  queue.push(assignments(20, [1, 2, 3, 4]), priorityOf);
  // Start the first task only: the pass stops at the second.
  let offered = 0;
  queue.forEachStartable(() => (offered++ === 0 ? 'taken' : 'stop'));
  assert.equal(queue.remove(3, 0), true);
  assert.equal(queue.remove(3, 0), false);
  assert.equal(queue.remove(4, 1), false, 'another instance is not removed');
  queue.push(assignments(21, [50]), priorityOf);
  queue.push(assignments(20, [5]), priorityOf);
  assert.deepEqual(order(queue), [50, 2, 4, 5]);
  assert.equal(queue.size, 4);
  queue.forEachStartable(() => 'taken');
  assert.equal(queue.size, 0);
  assert.deepEqual(order(queue), []);
});

test('keeps the order while it compacts and grows past its first capacity', () => {
  priorities.set(30, 0).set(31, 3);
  const queue = new TaskQueue();
  const expectHigh: number[] = [];
  const expectLow: number[] = [];
  for (let round = 0; round < 50; round++) {
    const low = Array.from({ length: 40 }, (_, i) => 10_000 + round * 40 + i);
    queue.push(assignments(30, low), priorityOf);
    expectLow.push(...low);
    queue.push(assignments(31, [round]), priorityOf);
    expectHigh.push(round);
    // Start the head now and then, so a consumed prefix builds up.
    if (round % 5 === 0) {
      let first = true;
      queue.forEachStartable(() => {
        if (!first) return 'stop';
        first = false;
        return 'taken';
      });
      expectHigh.shift();
    }
  }
  assert.deepEqual(order(queue), [...expectHigh, ...expectLow]);
  assert.equal(queue.size, expectHigh.length + expectLow.length);
});

test('negative and extreme priorities order correctly', () => {
  priorities.set(40, -2_147_483_648).set(41, 2_147_483_647).set(42, -1).set(43, 0);
  const queue = new TaskQueue();
  for (const job of [40, 43, 42, 41]) queue.push(assignments(job, [job]), priorityOf);
  assert.deepEqual(order(queue), [41, 43, 42, 40]);
});
