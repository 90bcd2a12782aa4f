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
    table.addBlock(row, 1, 100 + row, 1000 + row, 1, row - 10, row % 4, row % 3);
    table.setWorker(row, row % 3);
    table.setInstance(row, row * 2);
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
    assert.equal(table.template(row), row % 3);
    assert.equal(table.startTime(row), 1.7e12 + row);
    assert.equal(table.endTime(row), 1.8e12 + row + 0.5);
    assert.equal(table.state(row), row % 6);
    assert.equal(table.variant(row), row % 5);
  }
  assert.equal(table.blockCount, 25);
});

test('a view attached from shared sees the same rows, and new chunks once added', () => {
  const owner = TaskTable.create(4);
  owner.allocate(3);
  owner.addBlock(0, 3, 7, 0, 1, 0, 0, 0);
  const other = TaskTable.attach(structuredClone(owner.shared));
  other.setState(1, TaskState.Running);
  assert.equal(other.job(2), 7);
  assert.equal(owner.state(1), TaskState.Running);

  const { start, newChunks } = owner.allocate(6);
  assert.equal(other.length, 9); // the row count is shared
  other.addChunks(newChunks);
  // Blocks made after the allocation come with the next takeNewChunks().
  for (let i = 0; i < 2000; i++) owner.addBlock(start + 5, 1, 8, 42 + i, 1, 0, 0, 0);
  other.addChunks(owner.takeNewChunks());
  assert.equal(other.taskId(start + 5), 42 + 1999);
  assert.equal(other.job(start + 5), 8);
  assert.equal(owner.shared.chunks.length, 3 + 2); // row chunks, then block chunks
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
  assert.deepEqual(table.fillJob(1, 9, 4, null, 7, 2, 1).length, 1);
  for (let row = 1; row < 10; row++) {
    assert.equal(table.state(row), TaskState.Waiting);
    assert.equal(table.job(row), 4);
    assert.equal(table.taskId(row), row - 1);
    assert.equal(table.priority(row), 7);
    assert.equal(table.request(row), 2);
    assert.equal(table.template(row), 1);
    assert.equal(table.worker(row), 0);
    assert.equal(table.instance(row), 0);
    assert.equal(table.crashCount(row), 0);
    assert.equal(table.variant(row), 0);
    assert.equal(table.startTime(row), 0);
    assert.equal(table.endTime(row), 0);
  }
  assert.equal(table.state(0), TaskState.Failed);
  assert.equal(table.state(10), TaskState.Failed);

  // Ids are kept as evenly stepping runs, found greedily: 10..50 by 10, then 7 and 60, then 61.
  const ids = Uint32Array.from([10, 20, 30, 40, 50, 7, 60, 61]);
  const blocks = table.fillJob(2, 8, 5, ids, 0, 0);
  assert.equal(blocks.length, 3);
  assert.deepEqual([2, 3, 4, 5, 6, 7, 8, 9].map((row) => table.taskId(row)), [10, 20, 30, 40, 50, 7, 60, 61]);
  assert.deepEqual(blocks.map((b) => [table.blockFirstRow(b), table.blockRows(b), table.blockStep(b)]), [[2, 5, 10], [7, 2, 53], [9, 1, 1]]);
  assert.throws(() => table.fillJob(8, 4, 1, null, 0, 0), RangeError);
  assert.throws(() => table.fillJob(0, 3, 1, Uint32Array.of(1), 0, 0), RangeError);
  assert.throws(() => table.addBlock(0, 2, 1, 0xffff_ffff, 1, 0, 0, 0), RangeError);
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

test('a million rows allocate in about 31 MB and take one block', () => {
  const table = TaskTable.create();
  const { start, newChunks } = table.allocate(1_000_000);
  assert.equal(start, 0);
  assert.equal(newChunks.length, 16);
  assert.ok(table.byteLength <= 32 * 1024 * 1024, `${table.byteLength} bytes`);
  assert.ok(TASK_ROW_BYTES <= 32);
  table.fillJob(0, 1_000_000, 1, null, 0, 0);
  assert.equal(table.blockCount, 1);
  assert.equal(table.taskId(999_999), 999_999);
  const out = new Uint32Array(6);
  table.countStates(0, 1_000_000, out);
  assert.equal(out[TaskState.Waiting], 1_000_000);
});

test('released rows and blocks are reused before the table grows', () => {
  const table = TaskTable.create(1024);
  const a = table.allocate(3000);
  const blockA = table.addBlock(a.start, 3000, 1, 0, 1, 0, 0, 0);
  const b = table.allocate(500);
  table.addBlock(b.start, 500, 2, 0, 1, 0, 0, 0);
  const capacity = table.capacity;
  table.release(a.start, 3000);
  table.freeBlock(blockA);
  assert.equal(table.freeRowCount, 3000);
  assert.equal(table.blockCount, 1);

  // A contiguous request takes the first free run long enough.
  const c = table.allocate(1000);
  assert.equal(c.start, 0);
  assert.deepEqual(c.newChunks, []);
  assert.equal(table.addBlock(c.start, 1000, 3, 5, 2, 0, 0, 0), blockA); // the freed block number again
  assert.equal(table.taskId(999), 5 + 999 * 2);
  assert.equal(table.job(999), 3);
  assert.equal(table.state(999), TaskState.Waiting);

  // Runs take what is free (lowest rows first) and append the rest after the last row.
  table.release(c.start, 1000);
  const d = table.allocateRuns(3600);
  assert.deepEqual(d.runs, [0, 3000, 3500, 600]);
  assert.equal(table.length, 4100);
  assert.equal(table.capacity, 5 * 1024);
  assert.equal(table.freeRowCount, 0);
  table.release(3500, 600);
  const e = table.allocateRuns(700); // joins the free tail with new rows: one run
  assert.deepEqual(e.runs, [3500, 700]);
  assert.equal(table.capacity >= capacity, true);
});

test('releasing rows twice or outside the table is refused', () => {
  const table = TaskTable.create(4);
  table.allocate(8);
  table.release(2, 3);
  assert.throws(() => table.release(4, 2), /already free/);
  assert.throws(() => table.release(6, 5), RangeError);
  assert.throws(() => table.freeBlock(0), /no task block/);
});

test('bad chunk sizes and counts are refused', () => {
  assert.throws(() => TaskTable.create(3), RangeError);
  const table = TaskTable.create(4);
  assert.throws(() => table.allocate(-1), RangeError);
  assert.throws(() => table.allocate(1.5), RangeError);
  assert.throws(() => table.addChunks([new SharedArrayBuffer(10)]), RangeError);
});

test('free rows at the end are trimmed away and whole chunks past them let go, in every view', () => {
  const owner = TaskTable.create(1024);
  const a = owner.allocate(1000);
  owner.addBlock(a.start, 1000, 1, 0, 1, 0, 0, 0);
  const b = owner.allocate(3000);
  const blockB = owner.addBlock(b.start, 3000, 2, 0, 1, 0, 0, 0);
  const other = TaskTable.attach(structuredClone(owner.shared));
  const bytes = owner.byteLength;
  assert.equal(owner.rowChunkCount, 4);

  // Rows in use at the end: nothing to trim.
  assert.equal(owner.trimFreeTail(), 4);
  assert.equal(owner.length, 4000);

  owner.release(b.start, 3000);
  owner.freeBlock(blockB);
  const keep = owner.trimFreeTail();
  assert.equal(keep, 1, 'rows 0-999 fit the first chunk');
  assert.equal(owner.length, 1000);
  assert.equal(other.length, 1000, 'the row count is shared');
  assert.equal(owner.freeRowCount, 0);
  assert.equal(owner.rowChunkCount, 1);
  // Three row chunks of 1024 rows (and their headers) are gone.
  assert.ok(bytes - owner.byteLength >= 3 * 1024 * TASK_ROW_BYTES, `${bytes} -> ${owner.byteLength}`);
  other.dropRowChunks(keep);
  assert.equal(other.rowChunkCount, 1);
  assert.equal(other.job(999), 1, 'rows before the end are untouched');

  // The table grows again from the new end, with fresh chunks the other view adds.
  const c = owner.allocate(2000);
  assert.equal(c.start, 1000);
  assert.equal(c.newChunks.length, 2);
  owner.addBlock(c.start, 2000, 3, 7, 1, 0, 0, 0);
  other.addChunks(c.newChunks);
  assert.equal(other.job(2999), 3);
  assert.equal(other.taskId(2999), 7 + 1999);
  assert.equal(owner.rowChunkCount, 3);
});
