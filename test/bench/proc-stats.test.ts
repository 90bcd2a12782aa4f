import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineCpuTicks, stealShare } from '../../bench/proc-stats.js';

test('stealShare is the stolen part of the CPU time between two readings', () => {
  assert.equal(stealShare({ total: 1000, steal: 10 }, { total: 1400, steal: 110 }), 0.25);
  assert.equal(stealShare({ total: 1000, steal: 10 }, { total: 1000, steal: 10 }), 0);
});

test('machineCpuTicks reads counters that only grow, steal within the total', { skip: process.platform !== 'linux' }, async () => {
  const before = machineCpuTicks();
  assert.ok(before);
  // Some CPU time has to pass between the two readings.
  const until = Date.now() + 50;
  while (Date.now() < until);
  const after = machineCpuTicks()!;
  assert.ok(after.total > before.total, `total ${before.total} -> ${after.total}`);
  assert.ok(after.steal >= before.steal && after.steal <= after.total);
  const share = stealShare(before, after);
  assert.ok(share >= 0 && share <= 1, `share ${share}`);
});
