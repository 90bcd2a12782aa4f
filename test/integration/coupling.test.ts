// Resource coupling on a real worker: cpus and gpus of one NUMA group go
// together (`--coupling`), and a strict request waits for a matching pair.
//
// Order is never inferred from timing: tasks wait at gate files that the
// test creates, and the test waits for files the tasks write.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually } from '../support/cluster.js';
import type { TaskDetail } from '../../src/client/types.js';

/**
 * Shell text that writes the task's cpus and gpus to `started-<task id>` and
 * then holds until `gate-<task id>` exists.
 */
const RECORD_AND_WAIT =
  'printf "%s|%s|%s\\n" "$HQ_CPUS" "$CUDA_VISIBLE_DEVICES" "$HQ_RESOURCE_VALUES_gpus_nvidia" > started-$HQ_JOB_ID.tmp && ' +
  'mv started-$HQ_JOB_ID.tmp started-$HQ_JOB_ID; while [ ! -e gate-$HQ_JOB_ID ]; do sleep 0.05; done';

/** [cpus, gpus] a job's task recorded once it started. */
async function placement(dir: string, job: number): Promise<[string[], string[]]> {
  const file = path.join(dir, `started-${job}`);
  const text = await eventually(() => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined), `job ${job} started`);
  const [cpus, visible, values] = text.trimEnd().split('|');
  assert.equal(visible, values, `CUDA_VISIBLE_DEVICES and HQ_RESOURCE_VALUES_gpus_nvidia differ: ${text}`);
  return [cpus!.split(','), visible!.split(',')];
}

async function submit(c: Cluster, cwd: string, args: string[]): Promise<number> {
  return Number((await c.hqOk(['--output-mode=quiet', 'submit', ...args, '--', 'bash', '-c', RECORD_AND_WAIT], { cwd })).trim());
}

async function stateOf(c: Cluster, job: number): Promise<string> {
  const client = await c.client();
  const tasks: TaskDetail[] = await client.tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'all' });
  return tasks[0]!.state;
}

const CPU_GROUP = (id: string) => (['0', '1'].includes(id) ? 0 : 1);
const GPU_GROUP = (id: string) => (['10', '11'].includes(id) ? 0 : 1);

test('with --coupling a task gets its cpus and gpus in one group; a strict one waits for such a pair', async (t: TestContext) => {
  // Two NUMA groups: cpus 0,1 with gpus 10,11 and cpus 2,3 with gpus 12,13.
  const c = await Cluster.start({
    workers: [
      {
        cpus: '[[0,1],[2,3]]',
        args: ['--resource', 'gpus/nvidia=[[10,11],[12,13]]', '--coupling', 'cpus[0]:gpus/nvidia[0],cpus[1]:gpus/nvidia[1]'],
      },
    ],
  });
  t.after(() => c.stop());
  const dir = c.mkdir('coupling');
  t.after(() => {
    for (let job = 1; job <= 5; job++) if (fs.existsSync(dir)) fs.writeFileSync(path.join(dir, `gate-${job}`), '');
  });

  // Both cpus of group 0 taken by a cpu-only task.
  const cpusOnly = await submit(c, dir, ['--cpus', '2']);
  const [blocked] = await placement(dir, cpusOnly);
  assert.deepEqual(blocked.map(CPU_GROUP), [0, 0]);

  // One cpu (only group 1 has any) and two gpus: the gpus of group 1, not the
  // first free ones (10, 11), which an uncoupled worker would give.
  const coupled = await submit(c, dir, ['--cpus', '1', '--resource', 'gpus/nvidia=2']);
  const [cpus, gpus] = await placement(dir, coupled);
  assert.deepEqual(cpus.map(CPU_GROUP), [1], `cpus ${cpus}`);
  assert.deepEqual(gpus, ['12', '13']);

  // Free now: cpu 3 (group 1) and gpus 10, 11 (group 0). A strict request
  // would get a cpu and a gpu of different groups: it waits.
  const strict = await submit(c, dir, ['--cpus', '1 compact!', '--resource', 'gpus/nvidia=1 compact!']);
  const explain = await c.hqOk(['task', 'explain', String(strict), '0']);
  assert.match(explain, /cannot run now/, explain);
  assert.equal(await stateOf(c, strict), 'WAITING');

  // Group 0's cpus come free: it starts there, next to its gpu.
  fs.writeFileSync(path.join(dir, `gate-${cpusOnly}`), '');
  const [strictCpus, strictGpus] = await placement(dir, strict);
  assert.deepEqual(strictCpus.map(CPU_GROUP), [0], `cpus ${strictCpus}`);
  assert.deepEqual(strictGpus.map(GPU_GROUP), [0], `gpus ${strictGpus}`);
});

test('a --coupling naming a resource the worker lacks stops the worker with a clear error', async (t: TestContext) => {
  const c = await Cluster.start();
  t.after(() => c.stop());
  const r = await c.hq(['worker', 'start', '--cpus', '2x2', '--coupling', 'cpus[0]:gpus[0]']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /coupled resource 'gpus' is not an indexed resource of the worker/);
  const bad = await c.hq(['worker', 'start', '--cpus', '2x2', '--coupling', 'cpus[0]-cpus[1]']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid coupling 'cpus\[0\]-cpus\[1\]'/);
});
