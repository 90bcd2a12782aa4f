import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchConfig } from '../../bench/bench-config.js';
import { UserError } from '../../src/common/errors.js';

const DOC = '/repo/docs/performance.md';

test('the full run uses the documented sizes and writes the docs', () => {
  const config = parseBenchConfig([], {}, DOC);
  assert.equal(config.quick, false);
  assert.equal(config.arrayTasks, 1_000_000);
  assert.equal(config.arrayRuns, 3);
  assert.equal(config.spawnRounds, 5);
  assert.equal(config.manyWorkers, 16);
  assert.equal(config.spawnTasks, 20_000);
  assert.equal(config.cliRuns, 10);
  assert.equal(config.serverCpuTasks, 20_000);
  assert.equal(config.slurmTasks, 1_000);
  assert.equal(config.outputFile, DOC);
});

test('quick mode, by flag or by BENCH_QUICK=1, uses tiny sizes and only prints', () => {
  for (const config of [parseBenchConfig(['--quick'], {}, DOC), parseBenchConfig([], { BENCH_QUICK: '1' }, DOC)]) {
    assert.equal(config.quick, true);
    assert.equal(config.arrayTasks, 10_000);
    assert.equal(config.spawnTasks, 200);
    assert.equal(config.slurmTasks, 6);
    assert.equal(config.cliRuns, 2);
    assert.equal(config.outputFile, null);
  }
});

test('sizes and the output file can be overridden', () => {
  const config = parseBenchConfig(
    ['--server-cpu-tasks', '100000', '--array-tasks', '5000', '--spawn-tasks', '300', '--slurm-tasks', '50', '--out', '/tmp/p.md'],
    {},
    DOC,
  );
  assert.equal(config.serverCpuTasks, 100_000);
  assert.equal(config.arrayTasks, 5000);
  assert.equal(config.spawnTasks, 300);
  assert.equal(config.slurmTasks, 50);
  assert.equal(config.outputFile, '/tmp/p.md');
});

test('bad options are user errors naming the value', () => {
  assert.throws(() => parseBenchConfig(['--spawn-tasks', '0'], {}, DOC), (e) => e instanceof UserError && /'0'/.test(e.message));
  assert.throws(() => parseBenchConfig(['--array-tasks', '1e6'], {}, DOC), (e) => e instanceof UserError && /'1e6'/.test(e.message));
  assert.throws(() => parseBenchConfig(['--server-cpu-tasks'], {}, DOC), (e) => e instanceof UserError && /--server-cpu-tasks/.test(e.message));
  assert.throws(() => parseBenchConfig(['--fast'], {}, DOC), (e) => e instanceof UserError && /'--fast'/.test(e.message));
});
