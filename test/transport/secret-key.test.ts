import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import { generateKey, keyFromHex, keyToHex, SECRET_KEY_BYTES } from '../../src/transport/secret-key.js';

test('generated keys are 32 random bytes', () => {
  const a = generateKey();
  const b = generateKey();
  assert.equal(a.length, SECRET_KEY_BYTES);
  assert.equal(SECRET_KEY_BYTES, 32);
  assert.notDeepEqual(a, b);
});

test('hex round trip', () => {
  const key = generateKey();
  const hex = keyToHex(key);
  assert.match(hex, /^[0-9a-f]{64}$/);
  assert.deepEqual(keyFromHex(hex), key);
  assert.deepEqual(keyFromHex(hex.toUpperCase()), key);
  assert.deepEqual(keyFromHex(`  ${hex}\n`), key);
});

test('keyToHex works on a view into a larger buffer', () => {
  const backing = new Uint8Array(40).fill(0xab);
  backing.fill(0x01, 4, 36);
  assert.equal(keyToHex(backing.subarray(4, 36)), '01'.repeat(32));
});

test('keyToHex rejects a key of the wrong length', () => {
  assert.throws(() => keyToHex(new Uint8Array(31)), RangeError);
});

test('bad hex is a UserError that does not echo the key', () => {
  const good = keyToHex(generateKey());
  const bad = [good.slice(1), good + '0', good.slice(0, 63) + 'g', '', 'zz'];
  for (const text of bad) {
    assert.throws(() => keyFromHex(text), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /64 hex digits/);
      if (text.length > 8) assert.ok(!err.message.includes(text.slice(0, 8)));
      return true;
    });
  }
  assert.throws(() => keyFromHex(42), UserError);
  assert.throws(() => keyFromHex(null), UserError);
});
