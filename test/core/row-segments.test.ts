import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowSegments } from '../../src/core/row-segments.js';

test('rows come out of ranges in order; adjacent ranges merge', () => {
  const segments = new RowSegments();
  assert.equal(segments.shift(), -1);
  segments.push(10, 13);
  segments.push(13, 14); // merges
  segments.push(20, 20); // empty: ignored
  segments.push(5, 7);
  assert.equal(segments.rows, 6);
  const out: number[] = [];
  for (let row = segments.shift(); row >= 0; row = segments.shift()) out.push(row);
  assert.deepEqual(out, [10, 11, 12, 13, 5, 6]);
  assert.equal(segments.isEmpty, true);
});

test('many ranges interleaved with consumption reuse and grow storage', () => {
  const segments = new RowSegments();
  const expected: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = i * 10;
    segments.push(start, start + 2); // gaps prevent merging
    expected.push(start, start + 1);
    if (i % 3 === 0) out.push(segments.shift(), segments.shift());
  }
  while (!segments.isEmpty) out.push(segments.shift());
  assert.deepEqual(out, expected);
  segments.push(1, 3);
  segments.clear();
  assert.equal(segments.shift(), -1);
});
