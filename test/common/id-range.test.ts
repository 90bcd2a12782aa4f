import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  countIds,
  describeIdRanges,
  expandIds,
  findOverlap,
  formatIdRanges,
  idsContain,
  parseIdRanges,
} from '../../src/common/id-range.js';
import { expectUserError } from './expect-user-error.js';

test('single ids, ranges, steps and comma lists', () => {
  assert.deepEqual(parseIdRanges('20'), [{ start: 20, end: 20, step: 1 }]);
  assert.deepEqual(parseIdRanges('1-10'), [{ start: 1, end: 10, step: 1 }]);
  assert.deepEqual(parseIdRanges('101-101'), [{ start: 101, end: 101, step: 1 }]);
  assert.deepEqual(parseIdRanges('0-10:2'), [{ start: 0, end: 10, step: 2 }]);
  assert.deepEqual(parseIdRanges('1-10,20,30-40'), [
    { start: 1, end: 10, step: 1 },
    { start: 20, end: 20, step: 1 },
    { start: 30, end: 40, step: 1 },
  ]);
});

test('whitespace around items and underscore separators in numbers', () => {
  assert.deepEqual(parseIdRanges(' 1-3 , 7 '), [
    { start: 1, end: 3, step: 1 },
    { start: 7, end: 7, step: 1 },
  ]);
  assert.deepEqual(parseIdRanges('1-1000_000'), [{ start: 1, end: 1_000_000, step: 1 }]);
  assert.deepEqual(parseIdRanges('1___0__0_0'), [{ start: 1000, end: 1000, step: 1 }]);
  assert.deepEqual(parseIdRanges('0-4294967295'), [{ start: 0, end: 4294967295, step: 1 }]);
});

test('malformed ranges name the bad value', () => {
  for (const bad of ['', ' ', 'x', '12-x', '1-', '-2', '_1', '1,', ',1', '1;2', '1 2', '1 - 3', '1-3:', '3.5']) {
    expectUserError(() => parseIdRanges(bad), `'${bad}'`);
  }
});

test('an end before the start, bad steps and overflow are rejected', () => {
  expectUserError(() => parseIdRanges('101-100'), '101-100', /ends before it starts/);
  expectUserError(() => parseIdRanges('1-10:0'), '1-10:0', /step/);
  expectUserError(() => parseIdRanges('1-10:10'), '1-10:10', /larger than/);
  expectUserError(() => parseIdRanges('5-5:1'), '5-5:1', /larger than/);
  expectUserError(() => parseIdRanges('5:2'), '5:2', /step needs a range end/);
  expectUserError(() => parseIdRanges('4294967296'), '4294967296', /32 bits/);
  expectUserError(() => parseIdRanges('1-99999999999999999999'), '99999999999999999999', /32 bits/);
});

test('ranges that share an id are rejected', () => {
  expectUserError(() => parseIdRanges('0-10, 5'), '0-10, 5', /overlap \(id 5/);
  expectUserError(() => parseIdRanges('1,1'), '1,1', /overlap/);
  expectUserError(() => parseIdRanges('0-20:4,2-30:6'), '0-20:4,2-30:6', /id 8 /);
  // Interleaved progressions share nothing.
  assert.equal(parseIdRanges('0-20:2,1-21:2').length, 2);
  assert.equal(parseIdRanges('0-100:4,2-100:4').length, 2);
});

test('findOverlap agrees with brute force on stepped ranges', () => {
  for (let a = 0; a < 6; a++) {
    for (let s = 1; s < 5; s++) {
      for (let b = 0; b < 6; b++) {
        for (let t = 1; t < 5; t++) {
          const r1 = { start: a, end: a + 3 * s, step: s };
          const r2 = { start: b, end: b + 4 * t, step: t };
          const common = [...expandIds([r1])].filter((id) => idsContain([r2], id));
          assert.equal(findOverlap([r1, r2]), common[0], JSON.stringify([r1, r2]));
        }
      }
    }
  }
});

test('counting, expanding and membership', () => {
  const ranges = parseIdRanges('1-10:3,20,30-32');
  assert.equal(countIds(ranges), 8);
  assert.deepEqual([...expandIds(ranges)], [1, 4, 7, 10, 20, 30, 31, 32]);
  assert.ok(expandIds(ranges) instanceof Uint32Array);
  assert.ok(idsContain(ranges, 7));
  assert.ok(!idsContain(ranges, 8));
  assert.ok(idsContain(ranges, 31));
  assert.ok(!idsContain(ranges, 33));
});

test('expandIds sorts and removes duplicates of hand-made ranges', () => {
  const ids = expandIds([
    { start: 5, end: 7, step: 1 },
    { start: 1, end: 6, step: 1 },
  ]);
  assert.deepEqual([...ids], [1, 2, 3, 4, 5, 6, 7]);
});

test('formatIdRanges compacts consecutive ids like HyperQueue', () => {
  assert.equal(formatIdRanges([]), '');
  assert.equal(formatIdRanges([3]), '3');
  assert.equal(formatIdRanges([1, 2]), '1-2');
  const ids = expandIds(parseIdRanges('1-10,20,30-40'));
  assert.equal(formatIdRanges(ids), '1-10,20,30-40');
  assert.equal(formatIdRanges([40, 3, 2, 2, 1, 39]), '1-3,39-40');
});

test('describeIdRanges prints ranges back in input syntax', () => {
  assert.equal(describeIdRanges(parseIdRanges('1-10:2, 20,30-40')), '1-10:2,20,30-40');
});
