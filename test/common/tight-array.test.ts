import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appended } from '../../src/common/tight-array.js';

test('appended starts a list of exactly its items, then grows the same list', () => {
  const empty: number[] = [];
  const first = appended(empty, 4, 5);
  assert.notEqual(first, empty);
  assert.deepEqual(first, [4, 5]);
  const more = appended(first, 6);
  assert.equal(more, first);
  assert.deepEqual(more, [4, 5, 6]);
});
