import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowMap } from '../../src/core/row-map.js';
import { Prng } from './prng.js';

test('values of a few rows, missing ones read as the default', () => {
  const map = new RowMap(-1, 4);
  assert.equal(map.get(5), -1);
  map.set(5, 0);
  map.set(1_000_000, 7);
  map.set(5, 3);
  assert.equal(map.get(5), 3);
  assert.equal(map.get(1_000_000), 7);
  assert.equal(map.length, 2);
  assert.equal(map.has(5), true);
  assert.equal(map.delete(5), true);
  assert.equal(map.delete(5), false);
  assert.equal(map.get(5), -1);
  assert.equal(map.has(5), false);
  assert.throws(() => map.set(0xffff_ffff, 1), RangeError);
});

test('random sets and deletes agree with a Map while the table grows and shrinks', () => {
  const prng = new Prng(11);
  const map = new RowMap(0);
  const reference = new Map<number, number>();
  for (let step = 0; step < 200_000; step++) {
    // Clustered keys (consecutive rows) as the scheduler uses them, plus a few far ones.
    const row = prng.next() < 0.9 ? 1000 + prng.int(3000) : prng.int(0x7fff_ffff);
    if (prng.next() < 0.55) {
      const value = 1 + prng.int(1000);
      map.set(row, value);
      reference.set(row, value);
    } else {
      assert.equal(map.delete(row), reference.delete(row));
    }
  }
  assert.equal(map.length, reference.size);
  for (const [row, value] of reference) assert.equal(map.get(row), value);
  for (let row = 0; row < 5000; row++) assert.equal(map.get(row), reference.get(row) ?? 0);
  map.clear();
  assert.equal(map.length, 0);
  assert.equal(map.get(1000), 0);
});
