import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCycle } from '../../src/core/dependency-graph.js';

function graph(lists: number[][]): [Uint32Array, Uint32Array] {
  const offsets = new Uint32Array(lists.length + 1);
  lists.forEach((list, i) => (offsets[i + 1] = offsets[i] + list.length));
  return [offsets, Uint32Array.from(lists.flat())];
}

test('no cycle in a diamond, a chain, or with earlier tasks', () => {
  assert.equal(findCycle(...graph([[], [10], [10], [11, 12]]), 10), -1);
  assert.equal(findCycle(...graph([[2], [5], [6]]), 5), -1); // row 2 is an earlier task
  assert.equal(findCycle(...graph([[1], [2], []]), 0), -1);
  assert.equal(findCycle(...graph([]), 0), -1);
});

test('a cycle is found and a row on it returned', () => {
  assert.equal(findCycle(...graph([[5]]), 5), 5); // itself
  const row = findCycle(...graph([[], [7], [6], [5]]), 4); // 5 -> 7 -> 6 -> 5
  assert.ok([5, 6, 7].includes(row), `row ${row}`);
  assert.ok([0, 1].includes(findCycle(...graph([[1], [0], []]), 0)));
});

test('a chain of a million tasks is checked without deep recursion', () => {
  const count = 1_000_000;
  const offsets = new Uint32Array(count + 1);
  const rows = new Uint32Array(count - 1);
  for (let i = 1; i < count; i++) {
    rows[i - 1] = i - 1;
    offsets[i + 1] = i;
  }
  offsets[1] = 0;
  assert.equal(findCycle(offsets, rows, 0), -1);
  rows[0] = count - 1; // task 1 now waits for the last one: a cycle through the whole chain
  assert.notEqual(findCycle(offsets, rows, 0), -1);
});
