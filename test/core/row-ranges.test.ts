import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowRanges } from '../../src/core/row-ranges.js';
import { Prng } from './prng.js';

function contents(set: RowRanges): Array<[number, number]> {
  return Array.from({ length: set.ranges }, (_, i) => [set.startAt(i), set.endAt(i)] as [number, number]);
}

test('adjacent ranges merge, in any order', () => {
  const set = new RowRanges();
  set.add(10, 20);
  set.add(30, 40);
  set.add(0, 5);
  assert.deepEqual(contents(set), [[0, 5], [10, 20], [30, 40]]);
  set.add(20, 30); // joins both neighbours
  set.add(5, 10);
  assert.deepEqual(contents(set), [[0, 40]]);
  assert.equal(set.rows, 40);
  assert.throws(() => set.add(39, 41), /already free/);
  assert.throws(() => set.add(5, 4), RangeError);
});

test('take hands out the lowest rows, splitting the last range it touches', () => {
  const set = new RowRanges();
  set.add(100, 110);
  set.add(0, 4);
  set.add(50, 60);
  const out: number[] = [];
  assert.equal(set.take(17, out), 17);
  assert.deepEqual(out, [0, 4, 50, 10, 100, 3]);
  assert.deepEqual(contents(set), [[103, 110]]);
  assert.equal(set.take(100, out), 7);
  assert.equal(set.rows, 0);
});

test('takeContiguous finds the first range long enough', () => {
  const set = new RowRanges();
  set.add(0, 3);
  set.add(10, 20);
  set.add(30, 35);
  assert.equal(set.takeContiguous(5), 10);
  assert.equal(set.takeContiguous(5), 15);
  assert.equal(set.takeContiguous(5), 30);
  assert.equal(set.takeContiguous(4), -1);
  assert.deepEqual(contents(set), [[0, 3]]);
});

test('many random frees and takes keep the set exact', () => {
  const prng = new Prng(7);
  const set = new RowRanges();
  const free = new Uint8Array(5000);
  for (let step = 0; step < 20000; step++) {
    if (prng.next() < 0.5) {
      const start = Math.floor(prng.next() * 4990);
      const end = start + 1 + Math.floor(prng.next() * 10);
      if (free.subarray(start, end).some((x) => x === 1)) continue;
      set.add(start, end);
      free.fill(1, start, end);
    } else {
      const out: number[] = [];
      const n = set.take(1 + Math.floor(prng.next() * 20), out);
      let sum = 0;
      for (let i = 0; i < out.length; i += 2) {
        for (let row = out[i]!; row < out[i]! + out[i + 1]!; row++) {
          assert.equal(free[row], 1);
          free[row] = 0;
        }
        sum += out[i + 1]!;
      }
      assert.equal(sum, n);
    }
  }
  assert.equal(set.rows, free.reduce((a, b) => a + b, 0));
  for (let i = 1; i < set.ranges; i++) assert.ok(set.startAt(i) > set.endAt(i - 1), 'ranges stay sorted and apart');
});

test('takeTail removes only the range that ends where the table ends', () => {
  const set = new RowRanges();
  set.add(0, 10);
  set.add(20, 50);
  assert.equal(set.takeTail(60), 60, 'nothing ends at 60');
  assert.deepEqual(contents(set), [[0, 10], [20, 50]]);
  assert.equal(set.takeTail(50), 20);
  assert.deepEqual(contents(set), [[0, 10]]);
  assert.equal(set.rows, 10);
  assert.equal(set.takeTail(10), 0);
  assert.equal(set.rows, 0);
  assert.equal(set.takeTail(0), 0);
});
