import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskTable, TASK_ROW_BYTES } from '../../src/core/task-table.js';
import { TaskState } from '../../src/core/task-state.js';

test('rows grow across chunks and keep their values', () => {
  const table = TaskTable.create(8);
  const first = table.allocate(5);
  assert.deepEqual(first, { start: 0, newChunks: first.newChunks });
  assert.equal(first.newChunks.length, 1);
  const second = table.allocate(20);
  assert.equal(second.start, 5);
  assert.equal(second.newChunks.length, 3); // rows 8..24 need chunks 1, 2, 3
  assert.equal(table.length, 25);
  for (let row = 0; row < 25; row++) {
    table.setJob(row, 100 + row);
    table.setTaskId(row, 1000 + row);
    table.setWorker(row, row % 3);
    table.setInstance(row, row * 2);
    table.setPriority(row, row - 10);
    table.setRequest(row, row % 4);
    table.setStartTime(row, 1.7e12 + row);
    table.setEndTime(row, 1.8e12 + row + 0.5);
    table.setState(row, (row % 6) as TaskState);
    table.setVariant(row, row % 5);
  }
  for (let row = 0; row < 25; row++) {
    assert.equal(table.job(row), 100 + row);
    assert.equal(table.taskId(row), 1000 + row);
    assert.equal(table.worker(row), row % 3);
    assert.equal(table.instance(row), row * 2);
    assert.equal(table.priority(row), row - 10);
    assert.equal(table.request(row), row % 4);
    assert.equal(table.startTime(row), 1.7e12 + row);
    assert.equal(table.endTime(row), 1.8e12 + row + 0.5);
    assert.equal(table.state(row), row % 6);
    assert.equal(table.variant(row), row % 5);
  }
});

test('a view attached from shared sees the same rows, and new chunks once added', () => {
  const owner = TaskTable.create(4);
  owner.allocate(3);
  const other = TaskTable.attach(structuredClone(owner.shared));
  owner.setJob(2, 7);
  other.setState(1, TaskState.Running);
  assert.equal(other.job(2), 7);
  assert.equal(owner.state(1), TaskState.Running);

  const { start, newChunks } = owner.allocate(6);
  assert.equal(other.length, 9); // the row count is shared
  other.addChunks(newChunks);
  owner.setTaskId(start + 5, 42);
  assert.equal(other.taskId(start + 5), 42);
  assert.equal(owner.shared.chunks.length, 3);
});

test('crash counts saturate at 255', () => {
  const table = TaskTable.create(4);
  table.allocate(1);
  for (let i = 1; i <= 255; i++) assert.equal(table.incrementCrashCount(0), i);
  assert.equal(table.incrementCrashCount(0), 255);
  assert.equal(table.crashCount(0), 255);
});

test('fillJob initialises a range across chunk borders', () => {
  const table = TaskTable.create(4);
  table.allocate(11);
  for (let row = 0; row < 11; row++) {
    table.setState(row, TaskState.Failed);
    table.setWorker(row, 9);
    table.setInstance(row, 3);
    table.incrementCrashCount(row);
    table.setVariant(row, 3);
    table.setStartTime(row, 5);
    table.setEndTime(row, 6);
  }
  table.fillJob(1, 9, 4, null, 7, 2);
  for (let row = 1; row < 10; row++) {
    assert.equal(table.state(row), TaskState.Waiting);
    assert.equal(table.job(row), 4);
    assert.equal(table.taskId(row), row - 1);
    assert.equal(table.priority(row), 7);
    assert.equal(table.request(row), 2);
    assert.equal(table.worker(row), 0);
    assert.equal(table.instance(row), 0);
    assert.equal(table.crashCount(row), 0);
    assert.equal(table.variant(row), 0);
    assert.equal(table.startTime(row), 0);
    assert.equal(table.endTime(row), 0);
  }
  assert.equal(table.state(0), TaskState.Failed);
  assert.equal(table.state(10), TaskState.Failed);

  const ids = Uint32Array.from([10, 20, 30, 40, 50, 60]);
  table.fillJob(3, 6, 5, ids, 0, 0);
  assert.deepEqual([3, 4, 5, 6, 7, 8].map((row) => table.taskId(row)), [10, 20, 30, 40, 50, 60]);
  assert.throws(() => table.fillJob(8, 4, 1, null, 0, 0), RangeError);
  assert.throws(() => table.fillJob(0, 3, 1, Uint32Array.of(1), 0, 0), RangeError);
});

test('countStates counts a range by state', () => {
  const table = TaskTable.create(4);
  table.allocate(10);
  table.fillJob(0, 10, 1, null, 0, 0);
  table.setState(2, TaskState.Running);
  table.setState(5, TaskState.Finished);
  table.setState(6, TaskState.Finished);
  table.setState(9, TaskState.Canceled);
  const out = new Uint32Array(6).fill(99);
  table.countStates(1, 8, out); // rows 1..8
  assert.deepEqual([...out], [5, 0, 1, 2, 0, 0]);
  assert.throws(() => table.countStates(5, 6, out), RangeError);
});

test('a million rows allocate in about 43 MB', () => {
  const table = TaskTable.create();
  const { start, newChunks } = table.allocate(1_000_000);
  assert.equal(start, 0);
  assert.equal(newChunks.length, 16);
  assert.ok(table.byteLength <= 48 * 1024 * 1024, `${table.byteLength} bytes`);
  assert.equal(TASK_ROW_BYTES <= 48, true);
  table.fillJob(0, 1_000_000, 1, null, 0, 0);
  assert.equal(table.taskId(999_999), 999_999);
  const out = new Uint32Array(6);
  table.countStates(0, 1_000_000, out);
  assert.equal(out[TaskState.Waiting], 1_000_000);
});

test('bad chunk sizes and counts are refused', () => {
  assert.throws(() => TaskTable.create(3), RangeError);
  const table = TaskTable.create(4);
  assert.throws(() => table.allocate(-1), RangeError);
  assert.throws(() => table.allocate(1.5), RangeError);
  assert.throws(() => table.addChunks([new SharedArrayBuffer(10)]), RangeError);
});
