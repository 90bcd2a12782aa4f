import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowDeque } from '../../src/core/row-deque.js';

function contents(deque: RowDeque): number[] {
  return Array.from({ length: deque.length }, (_, i) => deque.at(i));
}

test('pushes and pops at both ends, growing past its capacity', () => {
  const deque = new RowDeque(4);
  assert.equal(deque.popFront(), -1);
  assert.equal(deque.popBack(), -1);
  for (let i = 0; i < 10; i++) deque.pushBack(i);
  deque.pushFront(100);
  deque.pushFront(101);
  assert.deepEqual(contents(deque), [101, 100, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(deque.popFront(), 101);
  assert.equal(deque.popBack(), 9);
  assert.equal(deque.length, 10);
  deque.clear();
  assert.equal(deque.length, 0);
});

test('removeAt keeps order from either side, also across the wrap point', () => {
  const deque = new RowDeque(8);
  for (let i = 0; i < 6; i++) deque.pushBack(i);
  for (let i = 0; i < 4; i++) deque.popFront();
  for (let i = 6; i < 12; i++) deque.pushBack(i); // head near the end: wraps
  assert.deepEqual(contents(deque), [4, 5, 6, 7, 8, 9, 10, 11]);
  deque.removeAt(1); // front half
  deque.removeAt(5); // back half
  assert.deepEqual(contents(deque), [4, 6, 7, 8, 9, 11]);
  assert.equal(deque.indexOf(9), 4);
  assert.equal(deque.indexOf(5), -1);
  deque.removeAt(0);
  deque.removeAt(deque.length - 1);
  assert.deepEqual(contents(deque), [6, 7, 8, 9]);
  assert.throws(() => deque.removeAt(4), RangeError);
});

test('insertAt keeps order from either side, across the wrap point and while growing', () => {
  const deque = new RowDeque(4);
  const model: number[] = [];
  let next = 0;
  // Positions cycle through front, middle, back and near-back; pops at the front move the head around the ring.
  for (let step = 0; step < 200; step++) {
    const at = [0, model.length >> 1, model.length, Math.max(0, model.length - 1)][step % 4];
    deque.insertAt(at, next);
    model.splice(at, 0, next++);
    if (step % 3 === 0) assert.equal(deque.popFront(), model.shift());
    assert.deepEqual(contents(deque), model);
  }
  assert.throws(() => deque.insertAt(-1, 1), RangeError);
  assert.throws(() => deque.insertAt(deque.length + 1, 1), RangeError);
});
