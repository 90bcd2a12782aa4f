import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanMemAmount, humanSize, toFixed2 } from '../../src/common/human-size.js';

test('byte sizes', () => {
  assert.equal(humanSize(0), '0 B');
  assert.equal(humanSize(1230), '1230 B');
  assert.equal(humanSize(300_000), '292.97 KiB');
  assert.equal(humanSize(50_000_000), '47.68 MiB');
  assert.equal(humanSize(500_250_000_000), '465.89 GiB');
});

test('memory amounts in MiB', () => {
  assert.equal(humanMemAmount(300), '300.00 MiB');
  assert.equal(humanMemAmount(4 * 1024 + 123), '4.12 GiB');
  assert.equal(humanMemAmount(512), '0.50 GiB');
});

test('exact ties round to even like Rust', () => {
  assert.equal(toFixed2(4.125), '4.12');
  assert.equal(toFixed2(4.375), '4.38');
  assert.equal(toFixed2(0.5), '0.50');
  assert.equal(humanMemAmount(4224), '4.12 GiB');
});
