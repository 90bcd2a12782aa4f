import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectManager, parsePbsRemaining, parseSlurmTimeLeft } from '../../src/worker/manager.js';
import { UserError } from '../../src/common/errors.js';

test('Slurm time-left formats', () => {
  assert.equal(parseSlurmTimeLeft('1-02:03:04'), 86400 + 2 * 3600 + 3 * 60 + 4);
  assert.equal(parseSlurmTimeLeft('02:03:04'), 2 * 3600 + 3 * 60 + 4);
  assert.equal(parseSlurmTimeLeft('03:04'), 3 * 60 + 4);
  assert.equal(parseSlurmTimeLeft('UNLIMITED'), 0);
});

test('PBS remaining walltime from qstat -f', () => {
  const qstat = 'Job Id: 12.pbs\n    resources_used.walltime = 00:10:00\n    Resource_List.walltime = 01:00:00\n';
  assert.equal(parsePbsRemaining(qstat), 50 * 60);
  assert.equal(parsePbsRemaining('Job Id: 1\n'), 0);
});

test('a worker inside a Slurm job asks squeue for the time left', (t) => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-manager-'));
  t.after(() => fs.rmSync(bin, { recursive: true, force: true }));
  fs.writeFileSync(path.join(bin, 'squeue'), '#!/bin/sh\n[ "$3" = 4242 ] && echo 1:30:00\n', { mode: 0o755 });
  const env = { ...process.env, SLURM_JOB_ID: '4242', PATH: `${bin}:${process.env.PATH}` };
  assert.deepEqual(detectManager('auto', env), { manager: 'slurm', jobId: '4242', remaining: 5400 });
  assert.deepEqual(detectManager('none', env), { manager: 'none', jobId: '', remaining: 0 });
  const outside = { ...process.env, SLURM_JOB_ID: '', PBS_JOBID: '' };
  assert.equal(detectManager('auto', outside).manager, 'none');
  assert.throws(() => detectManager('pbs', outside), (e: unknown) => e instanceof UserError && /PBS/.test((e as Error).message));
});
