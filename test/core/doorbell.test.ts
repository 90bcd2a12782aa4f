import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Doorbell } from '../../src/core/doorbell.js';

test('ring bumps the value and a wait on an old value returns at once', async () => {
  const bell = Doorbell.create();
  const seen = bell.value;
  bell.ring();
  assert.equal(bell.value, seen + 1);
  await bell.waitAsync(seen); // already moved on
  assert.equal(Doorbell.attach(bell.buffer).value, seen + 1);
});

test('a wait with a timeout resolves when nobody rings', async () => {
  const bell = Doorbell.create();
  await bell.waitAsync(bell.value, 1);
  assert.equal(bell.value, 0);
});

test('a ring from another thread wakes the waiter', async () => {
  const bell = Doorbell.create();
  const seen = bell.value;
  const waiting = bell.waitAsync(seen);
  const moduleUrl = new URL('../../src/core/doorbell.js', import.meta.url).href;
  const code = `
    const { workerData } = require('node:worker_threads');
    import(workerData.moduleUrl).then(({ Doorbell }) => Doorbell.attach(workerData.buffer).ring());`;
  const worker = new Worker(code, { eval: true, workerData: { buffer: bell.buffer, moduleUrl } });
  const exited = new Promise<number>((resolve, reject) => {
    worker.on('exit', resolve);
    worker.on('error', reject);
  });
  await waiting;
  assert.equal(bell.value, seen + 1);
  assert.equal(await exited, 0);
});
