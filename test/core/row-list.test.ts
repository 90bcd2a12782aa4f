import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowList } from '../../src/core/row-list.js';

test('push returns indices and swapRemove moves the last row into the hole', () => {
  const list = new RowList(2);
  assert.deepEqual([list.push(7), list.push(8), list.push(9), list.push(10)], [0, 1, 2, 3]);
  assert.equal(list.swapRemove(1), 10);
  assert.deepEqual(Array.from(list.rows.subarray(0, list.length)), [7, 10, 9]);
  assert.equal(list.swapRemove(2), -1); // last: nothing moves
  assert.equal(list.length, 2);
  assert.equal(list.at(1), 10);
  assert.throws(() => list.swapRemove(5), RangeError);
  list.clear();
  assert.equal(list.length, 0);
});
