import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseId, parseIdSelector, parseSingleIdSelector } from '../../src/common/id-selector.js';
import { expectUserError } from './expect-user-error.js';

test('last, all and id ranges', () => {
  assert.deepEqual(parseIdSelector('last'), { kind: 'last' });
  assert.deepEqual(parseIdSelector('all'), { kind: 'all' });
  assert.deepEqual(parseIdSelector('1-3,5'), {
    kind: 'ids',
    ranges: [
      { start: 1, end: 3, step: 1 },
      { start: 5, end: 5, step: 1 },
    ],
  });
  assert.deepEqual(parseIdSelector('2-10:2'), { kind: 'ids', ranges: [{ start: 2, end: 10, step: 2 }] });
});

test('keywords are matched exactly', () => {
  expectUserError(() => parseIdSelector('Last'), 'Last');
  expectUserError(() => parseIdSelector(' all'), ' all');
  expectUserError(() => parseIdSelector('lastx'), 'lastx');
});

test('commands can refuse all or last', () => {
  expectUserError(() => parseIdSelector('all', { allowAll: false }), 'all');
  expectUserError(() => parseIdSelector('last', { allowLast: false }), 'last');
  assert.deepEqual(parseIdSelector('last', { allowAll: false }), { kind: 'last' });
});

test('bad ids name the value and hint at the keywords', () => {
  expectUserError(() => parseIdSelector('1-x'), '1-x', /'last' or 'all'/);
  expectUserError(() => parseIdSelector('foo', { allowAll: false }), 'foo', /\(or 'last'\)$/);
  expectUserError(() => parseIdSelector('3-1', { allowAll: false, allowLast: false }), '3-1', /before it starts$/);
});

test('single ids', () => {
  assert.equal(parseId('7'), 7);
  assert.equal(parseId('+7'), 7);
  assert.equal(parseId('4294967295'), 4294967295);
  assert.equal(parseSingleIdSelector('last'), 'last');
  assert.equal(parseSingleIdSelector('12'), 12);
  for (const bad of ['', '-1', '1_0', ' 1', '1.0', 'x', '4294967296']) {
    expectUserError(() => parseId(bad, 'worker id'), `'${bad}'`, /worker id/);
  }
});
