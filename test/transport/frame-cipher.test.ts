import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/common/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_KEY_BYTES, FRAME_TAG_BYTES, FrameCipher } from '../../src/transport/frame-cipher.js';
import { libsodium } from '../../src/transport/sodium.js';
import { generateKey } from '../../src/transport/secret-key.js';

/** Two ends of one connection: a's send key is b's receive key and vice versa. */
function pair(maxFrameBytes?: number): [FrameCipher, FrameCipher] {
  const up = generateKey();
  const down = generateKey();
  return [new FrameCipher(up, down, maxFrameBytes), new FrameCipher(down, up, maxFrameBytes)];
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

test('the frame sizes written out are libsodium\'s for XChaCha20-Poly1305', () => {
  const sodium = libsodium();
  assert.equal(FRAME_TAG_BYTES, sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES);
  assert.equal(FRAME_KEY_BYTES, sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  // The nonce: 24 bytes, of which the frame counter fills the first 8.
  assert.equal(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, 24);
});

function assertAuthFailure(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof ProtocolError && err.message === 'frame failed authentication');
}

test('frames round trip in both directions', () => {
  const [a, b] = pair();
  const msg = bytes(1000, 1);
  const frame = a.seal(msg);
  assert.equal(frame.length, msg.length + FRAME_TAG_BYTES);
  assert.notDeepEqual(frame.subarray(0, msg.length), msg);
  assert.deepEqual(new Uint8Array(b.open(frame)), msg);
  assert.deepEqual(new Uint8Array(a.open(b.seal(msg))), msg);
  assert.equal(b.open(a.seal(new Uint8Array(0))).length, 0);
  assert.equal(a.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
});

test('the same plaintext seals differently each time', () => {
  const [a, b] = pair();
  const msg = bytes(64, 2);
  const f1 = a.seal(msg);
  const f2 = a.seal(msg);
  assert.notDeepEqual(f1, f2);
  assert.deepEqual(new Uint8Array(b.open(f1)), msg);
  assert.deepEqual(new Uint8Array(b.open(f2)), msg);
});

test('a frame given as a view into a larger buffer opens', () => {
  const [a, b] = pair();
  const msg = bytes(300, 3);
  const frame = a.seal(msg);
  const backing = new Uint8Array(frame.length + 17);
  backing.set(frame, 9);
  assert.deepEqual(new Uint8Array(b.open(backing.subarray(9, 9 + frame.length))), msg);
});

test('a flipped bit anywhere is refused, and the cipher stays failed', () => {
  const msg = bytes(40, 4);
  for (let position = 0; position < msg.length + FRAME_TAG_BYTES; position++) {
    const [a, b] = pair();
    const frame = a.seal(msg);
    frame[position]! ^= 1 << (position % 8);
    assertAuthFailure(() => b.open(frame));
    frame[position]! ^= 1 << (position % 8);
    // Even the genuine frame is refused after a failure.
    assert.throws(() => b.open(frame), ProtocolError);
  }
});

test('a replayed frame is refused', () => {
  const [a, b] = pair();
  const frame = a.seal(bytes(10, 5));
  b.open(frame);
  assertAuthFailure(() => b.open(frame));
});

test('reordered or dropped frames are refused', () => {
  const [a, b] = pair();
  const f1 = a.seal(bytes(10, 6));
  const f2 = a.seal(bytes(10, 7));
  assertAuthFailure(() => b.open(f2));
  assert.throws(() => b.open(f1), ProtocolError);
});

test('a frame reflected back to its sender is refused', () => {
  const [a] = pair();
  assertAuthFailure(() => a.open(a.seal(bytes(10, 8))));
});

test('truncated frames are refused', () => {
  const msg = bytes(100, 9);
  for (const keep of [0, 1, FRAME_TAG_BYTES - 1, FRAME_TAG_BYTES, msg.length, msg.length + FRAME_TAG_BYTES - 1]) {
    const [a, b] = pair();
    const frame = a.seal(msg);
    assertAuthFailure(() => b.open(frame.subarray(0, keep)));
  }
  // An appended byte is refused as well.
  const [a, b] = pair();
  const frame = a.seal(msg);
  const longer = new Uint8Array(frame.length + 1);
  longer.set(frame);
  assertAuthFailure(() => b.open(longer));
});

test('oversized frames are refused before decryption', () => {
  const max = 1024;
  const [a, b] = pair(max);
  assert.equal(b.open(a.seal(bytes(max, 10))).length, max);
  assert.throws(() => a.seal(new Uint8Array(max + 1)), RangeError);
  assert.throws(() => b.open(new Uint8Array(max + FRAME_TAG_BYTES + 1)),
    (err: unknown) => err instanceof ProtocolError && err.message === 'frame too large');
  // Failed for good, even for the next genuine frame.
  assert.throws(() => b.open(a.seal(bytes(1, 11))), ProtocolError);
});

test('frames sealed under other keys are refused', () => {
  const [a] = pair();
  const [, other] = pair();
  assertAuthFailure(() => other.open(a.seal(bytes(20, 12))));
});

test('invalid constructor arguments', () => {
  const key = generateKey();
  assert.throws(() => new FrameCipher(key.subarray(1), key), RangeError);
  assert.throws(() => new FrameCipher(key, new Uint8Array(33)), RangeError);
  assert.throws(() => new FrameCipher(key, key, -1), RangeError);
  assert.throws(() => new FrameCipher(key, key, 1.5), RangeError);
});

test('the cipher copies its keys', () => {
  const up = generateKey();
  const down = generateKey();
  const a = new FrameCipher(up, down);
  const b = new FrameCipher(Buffer.from(down), Buffer.from(up));
  up.fill(0);
  down.fill(0);
  assert.equal(b.open(a.seal(bytes(5, 13))).length, 5);
});

test('10 000 frames of varying sizes keep working in both directions', () => {
  const [a, b] = pair();
  let total = 0;
  for (let i = 0; i < 10_000; i++) {
    const size = (i * 7919) % 2048;
    const msg = bytes(size, i + 1);
    const [from, to] = i % 3 === 0 ? [b, a] : [a, b];
    const plain = to.open(from.seal(msg));
    assert.equal(plain.length, size);
    if (i % 97 === 0) assert.deepEqual(new Uint8Array(plain), msg);
    total += plain.length;
  }
  assert.ok(total > 0);
});
