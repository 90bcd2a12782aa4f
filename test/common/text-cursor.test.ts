import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWhitespace, TextCursor } from '../../src/common/text-cursor.js';

test('numbers with underscore separators', () => {
  const read = (text: string) => new TextCursor(text).readU32();
  assert.equal(read('0'), 0);
  assert.equal(read('1019'), 1019);
  assert.equal(read('0_1'), 1);
  assert.equal(read('1_'), 1);
  assert.equal(read('123_456_789'), 123456789);
  assert.equal(read('0004294967295'), 4294967295);
  assert.equal(read('4294967296'), 'overflow');
  assert.equal(read('99999999999999999999'), 'overflow');
  assert.equal(read('_1'), undefined);
  assert.equal(read(''), undefined);
});

test('the cursor stops where a number ends', () => {
  const cursor = new TextCursor('12-x');
  assert.equal(cursor.readU32(), 12);
  assert.equal(cursor.rest(), '-x');
  assert.ok(cursor.eat('-'));
  assert.equal(cursor.readU32(), undefined);
  assert.equal(cursor.peek(), 'x');
});

test('padded tokens and identifiers', () => {
  const cursor = new TextCursor('  =  range(');
  assert.ok(!cursor.eatPadded(','));
  assert.equal(cursor.pos, 0);
  assert.ok(cursor.eatPadded('='));
  assert.equal(cursor.readIdentifier(), 'range');
  assert.equal(cursor.peek(), '(');
  assert.ok(isWhitespace('\t') && isWhitespace('\u00a0') && !isWhitespace('') && !isWhitespace('x'));
});
