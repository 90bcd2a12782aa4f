import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { RingBuffer } from '../../src/core/ring-buffer.js';

type Seen = Array<[number, number[]]>;

function drainAll(ring: RingBuffer): Seen {
  const seen: Seen = [];
  ring.drain((kind, data, offset, words) => seen.push([kind, Array.from(data.subarray(offset, offset + words))]));
  return seen;
}

test('records come out in order with their kinds', () => {
  const ring = RingBuffer.create(64);
  assert.equal(ring.isEmpty, true);
  assert.ok(ring.tryPush(1, [10, 20, 30]));
  assert.ok(ring.tryPush(2, Int32Array.of(-5)));
  assert.ok(ring.tryPush(3, []));
  assert.ok(ring.tryPush(4, Uint32Array.of(0xffff_ffff, 7, 8, 9), 1, 2));
  assert.equal(ring.isEmpty, false);
  assert.deepEqual(drainAll(ring), [
    [1, [10, 20, 30]],
    [2, [-5]],
    [3, []],
    [4, [7, 8]],
  ]);
  assert.equal(ring.isEmpty, true);
  assert.equal(ring.freeWords, 64);
  // A Uint32 payload keeps its bit pattern.
  ring.tryPush(5, Uint32Array.of(0xffff_fffe));
  ring.drain((_kind, data, offset) => assert.equal(data[offset] >>> 0, 0xffff_fffe));
});

test('a record that would cross the end is preceded by padding and starts at 0', () => {
  const ring = RingBuffer.create(16);
  assert.ok(ring.tryPush(1, [1, 2, 3, 4, 5, 6])); // words 0..7 (records take an even number of words)
  assert.ok(ring.tryPush(2, [7, 8, 9, 10, 11])); // words 8..13
  assert.equal(drainAll(ring).length, 2);
  // tail at 14: 2 words left before the end, so a 6-word record pads them and wraps.
  assert.ok(ring.tryPush(3, [21, 22, 23, 24]));
  assert.equal(ring.freeWords, 16 - 2 - 6);
  assert.deepEqual(Array.from(ring.data.subarray(0, 5)), [3 | (4 << 8), 21, 22, 23, 24]);
  assert.deepEqual(drainAll(ring), [[3, [21, 22, 23, 24]]]);
  assert.equal(ring.freeWords, 16);
  // Many laps keep working.
  for (let i = 0; i < 1000; i++) {
    const payload = Array.from({ length: i % 7 }, (_, k) => i * 10 + k);
    assert.ok(ring.tryPush(i % 200, payload));
    assert.deepEqual(drainAll(ring), [[i % 200, payload]]);
  }
});

test('a full ring refuses a record and writes nothing', () => {
  const ring = RingBuffer.create(16);
  assert.ok(ring.tryPush(1, [1, 2, 3, 4, 5, 6, 7])); // 8 words
  assert.ok(ring.tryPush(1, [1, 2, 3, 4, 5])); // 6 words, 2 left
  const before = Array.from(ring.data);
  assert.equal(ring.tryPush(2, [1, 2]), false);
  assert.equal(ring.reserve(2, 2), -1);
  assert.deepEqual(Array.from(ring.data), before);
  assert.ok(ring.tryPush(2, [9])); // exactly fits
  assert.equal(ring.freeWords, 0);
  assert.equal(ring.tryPush(2, []), false);
  assert.equal(drainAll(ring).length, 3);
  // Wrapping needs room for the padding too.
  const small = RingBuffer.create(16);
  assert.ok(small.tryPush(1, [1, 2, 3, 4, 5])); // words 0..5
  assert.ok(small.tryPush(1, [1, 2, 3, 4])); // 6..11
  assert.ok(small.tryPush(1, [5])); // 12..13
  small.drain(() => {}, 1); // frees 0..5: 8 words free, but only 2 before the end
  assert.equal(small.freeWords, 8);
  assert.equal(small.tryPush(2, [1, 2, 3, 4, 5, 6, 7]), false); // 2 padding + 8 > 8
  assert.ok(small.tryPush(2, [1, 2, 3, 4, 5])); // 2 padding + 6 = 8
  assert.equal(small.freeWords, 0);
  assert.deepEqual(drainAll(small), [[1, [1, 2, 3, 4]], [1, [5]], [2, [1, 2, 3, 4, 5]]]);
});

test('records larger than half the ring and bad kinds are programming errors', () => {
  const ring = RingBuffer.create(16);
  assert.equal(ring.maxPayloadWords, 7);
  assert.throws(() => ring.tryPush(1, new Int32Array(8)), RangeError);
  assert.throws(() => ring.tryPush(255, []), RangeError);
  assert.throws(() => RingBuffer.create(12), RangeError);
  assert.throws(() => RingBuffer.attach(new SharedArrayBuffer(64)), RangeError);
});

test('every payload starts 8-byte aligned, whatever the sizes of the records before it', () => {
  const ring = RingBuffer.create(64);
  let seen = 0;
  for (let lap = 0; lap < 200; lap++) {
    assert.ok(ring.tryPush(1, new Int32Array(lap % 9)));
    if (lap % 3 === 2) {
      seen += ring.drain((_kind, data, offset) => assert.equal((data.byteOffset + offset * 4) % 8, 0));
    }
  }
  seen += ring.drain((_kind, data, offset) => assert.equal((data.byteOffset + offset * 4) % 8, 0));
  assert.equal(seen, 200);
});

test('reserve/commit writes in place and publishes several records at once', () => {
  const ring = RingBuffer.create(32);
  const consumer = RingBuffer.attach(ring.buffer);
  const a = ring.reserve(7, 2);
  ring.data[a] = 1;
  ring.data[a + 1] = 2;
  const b = ring.reserve(8, 1);
  ring.data[b] = 3;
  assert.equal(consumer.isEmpty, true); // nothing visible before commit
  ring.commit();
  assert.deepEqual(drainAll(consumer), [
    [7, [1, 2]],
    [8, [3]],
  ]);
});

test('byte payloads round trip, including lengths that are not whole words', () => {
  const ring = RingBuffer.create(64);
  const samples = [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(1, 2, 3, 4), new TextEncoder().encode('héllo, wörld')];
  for (const bytes of samples) assert.ok(ring.tryPushBytes(9, bytes));
  const out: Uint8Array[] = [];
  ring.drain((kind, data, offset) => {
    assert.equal(kind, 9);
    out.push(RingBuffer.bytesOf(data, offset));
  });
  assert.deepEqual(out, samples);
  assert.ok(!(out[3].buffer instanceof SharedArrayBuffer)); // a private copy
});

test('drain stops at max and a throwing handler consumes its record', () => {
  const ring = RingBuffer.create(32);
  for (let i = 0; i < 5; i++) ring.tryPush(1, [i]);
  const got: number[] = [];
  assert.equal(ring.drain((_k, data, offset) => got.push(data[offset]), 2), 2);
  assert.throws(() =>
    ring.drain((_k, data, offset) => {
      if (data[offset] === 3) throw new Error('boom');
      got.push(data[offset]);
    }),
  );
  assert.equal(ring.drain((_k, data, offset) => got.push(data[offset])), 1);
  assert.deepEqual(got, [0, 1, 2, 4]);
});

test('a producer thread passes a million records in order', async () => {
  const total = 1_000_000;
  const ring = RingBuffer.create(1 << 12);
  const moduleUrl = new URL('../../src/core/ring-buffer.js', import.meta.url).href;
  const code = `
    const { workerData } = require('node:worker_threads');
    import(workerData.moduleUrl).then(({ RingBuffer }) => {
      const ring = RingBuffer.attach(workerData.buffer);
      const words = new Int32Array(3);
      for (let i = 0; i < workerData.total; i++) {
        const size = i % 3; // payloads of 0, 1 and 2 words exercise padding
        words[0] = i; words[1] = i * 7; 
        while (!ring.tryPush(i & 0x7f, words, 0, size)) {}
      }
    });`;
  const worker = new Worker(code, { eval: true, workerData: { buffer: ring.buffer, total, moduleUrl } });
  let failure: unknown = null;
  worker.on('error', (error) => (failure = error));
  let expected = 0;
  let disorder = 0;
  const check = (kind: number, data: Int32Array, offset: number, words: number): void => {
    const size = expected % 3;
    if (kind !== (expected & 0x7f) || words !== size || (size > 0 && data[offset] !== expected) || (size > 1 && data[offset + 1] !== expected * 7)) disorder++;
    expected++;
  };
  while (expected < total && failure === null) {
    if (ring.drain(check) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await worker.terminate();
  assert.equal(failure, null);
  assert.equal(expected, total);
  assert.equal(disorder, 0);
  assert.equal(ring.isEmpty, true);
});
