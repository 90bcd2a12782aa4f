// The control plane collects its garbage once clients fall silent after a
// burst of requests, and never for a trickle of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleCollector } from '../../src/server/idle-collector.js';

test('a burst of requests is collected after the quiet, once', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let collections = 0;
  const collector = new IdleCollector({ quietMs: 30, minRequests: 5, collect: () => collections++ });
  for (let i = 0; i < 20; i++) {
    collector.noteRequest();
    t.mock.timers.tick(10); // requests 10 ms apart: never quiet for 30 ms
  }
  assert.equal(collections, 0);
  t.mock.timers.tick(20);
  assert.equal(collections, 1);
  t.mock.timers.tick(1000);
  assert.equal(collections, 1);
  collector.stop();
});

test('fewer requests than the minimum since the last collection collect nothing', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let collections = 0;
  const collector = new IdleCollector({ quietMs: 30, minRequests: 5, collect: () => collections++ });
  for (let i = 0; i < 4; i++) {
    collector.noteRequest();
    t.mock.timers.tick(1000);
  }
  assert.equal(collections, 0);
  // The fifth arms it; the count starts over after the collection.
  collector.noteRequest();
  t.mock.timers.tick(30);
  assert.equal(collections, 1);
  for (let i = 0; i < 4; i++) collector.noteRequest();
  t.mock.timers.tick(1000);
  assert.equal(collections, 1);
  collector.stop();
});

test('a stopped collector does not collect', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let collections = 0;
  const collector = new IdleCollector({ quietMs: 30, minRequests: 1, collect: () => collections++ });
  collector.noteRequest();
  collector.stop();
  t.mock.timers.tick(1000);
  assert.equal(collections, 0);
});
