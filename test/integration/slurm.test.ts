// hq inside a real Slurm allocation: a private one-node Slurm from Debian's
// slurm-wlm and munge (test/support/local-slurm.ts) runs a batch job whose
// script is `hq worker start`, as users write it in their sbatch scripts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, hqShellCommand } from '../support/cluster.js';
import { LocalSlurm, slurmMissing } from '../support/local-slurm.js';

// CI installs Slurm, so there a missing Slurm is a failure, not a skip.
const missing = slurmMissing();
const skip = missing !== null && !process.env.CI ? `no local Slurm: ${missing}` : false;

interface WorkerJson {
  id: number;
  configuration: { time_limit: number | null; group: string };
  allocation: { manager: string; id: string } | null;
}

let slurm: LocalSlurm;
let c: Cluster;

before(async () => {
  if (skip) return;
  slurm = await LocalSlurm.start();
  c = await Cluster.start();
});
after(async () => {
  await c?.stop();
  await slurm?.stop();
});

/** Submits `hq worker start` as a batch job with a time limit; returns the Slurm job id. */
function sbatchWorker(timeLimitMinutes: number): string {
  const script = `exec ${hqShellCommand()} --server-dir ${c.serverDir} worker start --cpus 1`;
  const r = slurm.run('sbatch', ['--parsable', '--time', String(timeLimitMinutes), '-o', path.join(c.dir, 'slurm-%j.out'), '--wrap', script]);
  assert.equal(r.code, 0, `sbatch failed: ${r.stderr}`);
  return r.stdout.trim().split(';')[0]!;
}

test('a worker started by sbatch reports its Slurm job, takes its time limit and runs tasks inside it', { skip, timeout: 120_000 }, async () => {
  const jobId = sbatchWorker(10);
  const worker = await eventually(async () => {
    const list = await c.hqJson<WorkerJson[]>(['worker', 'list']);
    return list[0];
  }, 'the batch job\'s worker to register', 30_000);

  assert.deepEqual(worker.allocation, { manager: 'Slurm', id: jobId });
  // squeue's time left of a 10-minute job that started moments ago.
  const limit = worker.configuration.time_limit;
  assert.ok(limit !== null && limit > 540 && limit <= 600, `time_limit ${limit}`);
  assert.equal(worker.configuration.group, `slurm-${jobId}`);

  const table = await c.hqOk(['worker', 'list']);
  assert.match(table, new RegExp(`SLURM\\s*\\|\\s*${jobId}\\b`));

  // A task runs inside the allocation: it sees Slurm's variables of that job.
  const work = c.mkdir('slurm-task');
  await c.hqOk(['submit', '--wait', '--', 'sh', '-c', 'echo "$SLURM_JOB_ID"'], { cwd: work });
  assert.equal(fs.readFileSync(path.join(work, 'job-1', '0.stdout'), 'utf8').trim(), jobId);

  // Stopping the worker ends the batch job, which Slurm records as completed.
  await c.hqOk(['worker', 'stop', String(worker.id)]);
  const state = await eventually(() => {
    const s = slurm.jobFields(jobId).get('JobState');
    return s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED' ? s : undefined;
  }, 'the batch job to end', 30_000);
  assert.equal(state, 'COMPLETED');
});

test('a worker started with --manager slurm outside any allocation refuses to start', { skip, timeout: 30_000 }, async () => {
  const r = await c.hq(['worker', 'start', '--manager', 'slurm'], { env: { SLURM_JOB_ID: '' } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--manager slurm given, but this process is not inside a Slurm job/);
});
