// Tasks of one job file with different crash limits and time requests: each
// task is scheduled with its own, not with those of the job's first task.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, processAlive } from '../support/cluster.js';
import type { TaskDetail } from '../../src/client/types.js';

/** Records `<task>-<instance>.where` (the worker's id and the task's pid), then waits for `gate`. */
const GATED = 'echo "$HQ_WORKER_ID $$" > "$HQ_TASK_ID-$HQ_INSTANCE_ID.where"; while [ ! -e gate ]; do sleep 0.05; done';

async function submitFile(c: Cluster, cwd: string, text: string): Promise<number> {
  fs.writeFileSync(path.join(cwd, 'job.toml'), text);
  return Number((await c.hqOk(['--output-mode=quiet', 'job', 'submit-file', 'job.toml'], { cwd })).trim());
}

async function tasksOf(c: Cluster, job: number): Promise<Map<number, TaskDetail>> {
  const client = await c.client();
  const tasks = await client.tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'all' });
  return new Map(tasks.map((t) => [t.taskId, t]));
}

/** [worker id, pid] of a task instance, once it runs. */
async function runningOn(dir: string, task: number, instance: number): Promise<[number, number]> {
  const file = path.join(dir, `${task}-${instance}.where`);
  return eventually(() => {
    const m = /^(\d+) (\d+)\n$/.exec(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    return m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
  }, `task ${task} instance ${instance} running`);
}

test('tasks of one job file fail at their own crash limits when their worker is killed', async (t: TestContext) => {
  const c = await Cluster.start({ workers: [{ cpus: 2 }] });
  t.after(() => c.stop());
  const dir = c.mkdir('crash');
  t.after(() => fs.existsSync(dir) && fs.writeFileSync(path.join(dir, 'gate'), ''));
  // The first task's limit (1) used to apply to both.
  const job = await submitFile(
    c,
    dir,
    [
      '[[task]]',
      'id = 1',
      'crash_limit = 1',
      `command = ["bash", "-c", ${JSON.stringify(GATED)}]`,
      '[[task]]',
      'id = 2',
      'crash_limit = 3',
      `command = ["bash", "-c", ${JSON.stringify(GATED)}]`,
      '',
    ].join('\n'),
  );
  const [, pid1] = await runningOn(dir, 1, 0);
  const [, pid2] = await runningOn(dir, 2, 0);
  // Only tasks the server knows as running count a crash: starts are reported in batches.
  await eventually(async () => {
    const tasks = await tasksOf(c, job);
    return tasks.get(1)!.state === 'RUNNING' && tasks.get(2)!.state === 'RUNNING' ? true : undefined;
  }, 'both tasks running on the server');
  await c.killWorker(0, 'SIGKILL');
  for (const pid of [pid1, pid2]) await eventually(() => (processAlive(pid) ? undefined : true), `task process ${pid} ends`);

  const lost = await eventually(async () => {
    const tasks = await tasksOf(c, job);
    return tasks.get(1)!.state === 'FAILED' && tasks.get(2)!.state === 'WAITING' ? tasks : undefined;
  }, 'task 1 failed and task 2 waiting');
  assert.match(lost.get(1)!.error, /crash limit/i);
  assert.equal(lost.get(2)!.crashCount, 1);

  // Task 2 runs again on a new worker and finishes; task 1 never does.
  await c.startWorker({ cpus: 2 });
  await runningOn(dir, 2, 1);
  fs.writeFileSync(path.join(dir, 'gate'), '');
  const done = await eventually(async () => {
    const tasks = await tasksOf(c, job);
    return tasks.get(2)!.state === 'FINISHED' ? tasks : undefined;
  }, 'task 2 finished');
  assert.equal(done.get(2)!.crashCount, 1);
  assert.equal(done.get(1)!.state, 'FAILED');
  assert.equal(fs.existsSync(path.join(dir, '1-1.where')), false);
});

test('tasks of one job file wait for workers that live as long as their own time request', async (t: TestContext) => {
  const c = await Cluster.start({ workers: [{ cpus: 2, args: ['--time-limit', '1h'] }] });
  t.after(() => c.stop());
  const dir = c.mkdir('time');
  // The first task's time request (2h) used to apply to both.
  const job = await submitFile(
    c,
    dir,
    [
      '[[task]]',
      'id = 1',
      'command = ["true"]',
      '[[task.request]]',
      'resources = { cpus = 1 }',
      'time_request = "2h"',
      '[[task]]',
      'id = 2',
      'command = ["true"]',
      '[[task.request]]',
      'resources = { cpus = 1 }',
      'time_request = "10min"',
      '',
    ].join('\n'),
  );
  const tasks = await eventually(async () => {
    const all = await tasksOf(c, job);
    return all.get(2)!.state === 'FINISHED' ? all : undefined;
  }, 'task 2 finished');
  assert.equal(tasks.get(1)!.state, 'WAITING');
  const explain = await c.hqOk(['task', 'explain', String(job), '1']);
  assert.match(explain, /time request 2h.*too short/, explain);
  const short = await c.hqOk(['task', 'explain', String(job), '2']);
  assert.match(short, /time request 10m/, short);

  // A worker without a time limit takes task 1.
  await c.startWorker({ cpus: 1 });
  await eventually(async () => ((await tasksOf(c, job)).get(1)!.state === 'FINISHED' ? true : undefined), 'task 1 finished');
});
