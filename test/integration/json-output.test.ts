// `--output-mode json` of every inspecting command, on a real cluster, checked
// against the hand-written schemas in test/schemas (HyperQueue's keys and
// nesting), plus the values the schemas cannot express.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, type ClusterWorker } from '../support/cluster.js';
import { assertMatchesSchema, testSchema as schema } from '../support/json-schema.js';


interface TaskJson {
  id: number;
  state: string;
  started_at?: string;
  finished_at?: string;
  cwd?: string;
  stdout?: string | null;
  stderr?: string | null;
  worker?: number;
  workers?: number[];
  error?: string;
}

interface JobDetailJson {
  info: { id: number; name: string; task_count: number; is_open: boolean; task_stats: Record<string, number> };
  max_fails: number | null;
  started_at: string | null;
  finished_at: string | null;
  submits: Array<{ array: { program: { args: string[] }; resources: Array<{ resources: Array<{ resource: string; request: unknown }> }> } }>;
  tasks: TaskJson[];
}

let c: Cluster;
let gpuWorker: ClusterWorker;
let smallWorker: ClusterWorker;
let work: string;
// Jobs made once, inspected by the tests below.
let finishedJob: number;
let mixedJob: number;
let gatedJob: number;
let impossibleJob: number;

before(async () => {
  c = await Cluster.start();
  // Every kind of resource descriptor: groups (cpus), list (gpus), range and sum.
  gpuWorker = await c.startWorker({
    cpus: '2x2',
    args: ['--resource', 'mem=sum(1000)', '--resource', 'ports=range(7000-7003)'],
    env: { CUDA_VISIBLE_DEVICES: '0,1' },
  });
  smallWorker = await c.startWorker({ cpus: 1, args: ['--time-limit', '1h', '--idle-timeout', '10min'] });
  work = c.mkdir('work');

  finishedJob = await submitJson(['--name', 'done', '--env', 'K=V', '--resource', 'mem=100', '--', 'bash', '-c', 'echo ok']);
  mixedJob = await submitJson(['--array', '1-3', '--max-fails', '5', '--', 'bash', '-c', 'exit $((HQ_TASK_ID == 2))']);
  assert.equal((await c.hq(['job', 'wait', `${finishedJob},${mixedJob}`])).code, 1);
  // Two tasks hold the gate (running), a third waits for them (one worker, two cpus each).
  gatedJob = await submitJson([
    '--array',
    '0-2',
    '--cpus',
    '2',
    '--',
    'bash',
    '-c',
    'touch started-$HQ_TASK_ID; while [ ! -e gate ]; do sleep 0.05; done',
  ]);
  impossibleJob = await submitJson(['--cpus', '64', '--', 'true']);
  await eventually(
    () => (fs.existsSync(path.join(work, 'started-0')) && fs.existsSync(path.join(work, 'started-1')) ? true : undefined),
    'two gated tasks running',
  );
});

after(async () => {
  if (work) fs.writeFileSync(path.join(work, 'gate'), '');
  await c?.stop();
});

async function submitJson(args: string[]): Promise<number> {
  const out = await c.hqJson<unknown>(['submit', ...args], { cwd: work });
  assertMatchesSchema(out, schema('submit'), 'submit');
  return (out as { id: number }).id;
}

test('submit prints {"id": N} and job list --all lists every job', async () => {
  const jobs = await c.hqJson<Array<{ id: number; name: string; task_count: number; is_open: boolean }>>(['job', 'list', '--all']);
  assertMatchesSchema(jobs, schema('job-list'), 'job list --all');
  assert.deepEqual(
    jobs.map((j) => j.id),
    [finishedJob, mixedJob, gatedJob, impossibleJob],
  );
  assert.equal(jobs[0]!.name, 'done');
  assert.deepEqual(
    jobs.map((j) => j.task_count),
    [1, 3, 3, 1],
  );
  // Without --all only unfinished jobs.
  const open = await c.hqJson<Array<{ id: number }>>(['job', 'list']);
  assertMatchesSchema(open, schema('job-list'), 'job list');
  assert.deepEqual(
    open.map((j) => j.id),
    [gatedJob, impossibleJob],
  );
});

test('job info carries the submit description and every task with resolved paths', async () => {
  const details = await c.hqJson<JobDetailJson[]>(['job', 'info', `${finishedJob}-${impossibleJob}`]);
  assertMatchesSchema(details, schema('job-info'), 'job info');
  assert.equal(details.length, 4);
  const [done, mixed, gated, impossible] = details as [JobDetailJson, JobDetailJson, JobDetailJson, JobDetailJson];

  assert.deepEqual(done.info.task_stats, { running: 0, finished: 1, failed: 0, canceled: 0, waiting: 0 });
  assert.notEqual(done.finished_at, null);
  assert.deepEqual(done.submits[0]!.array.program.args, ['bash', '-c', 'echo ok']);
  const requests = done.submits[0]!.array.resources[0]!.resources;
  assert.deepEqual(requests, [
    { resource: 'cpus', request: { Compact: 10_000 } },
    { resource: 'mem', request: { Compact: 1_000_000 } },
  ]);
  assert.equal(mixed.max_fails, 5);
  assert.deepEqual(mixed.info.task_stats, { running: 0, finished: 2, failed: 1, canceled: 0, waiting: 0 });
  assert.equal(gated.finished_at, null);
  assert.equal(impossible.info.task_stats.waiting, 1);

  // HyperQueue lists the tasks of the job, their paths filled in for each task.
  assert.deepEqual(
    mixed.tasks.map((t) => [t.id, t.state]),
    [
      [1, 'finished'],
      [2, 'failed'],
      [3, 'finished'],
    ],
  );
  for (const task of mixed.tasks) {
    assert.equal(task.cwd, work);
    assert.equal(task.stdout, path.join(work, `job-${mixedJob}`, `${task.id}.stdout`));
    assert.equal(task.stderr, path.join(work, `job-${mixedJob}`, `${task.id}.stderr`));
  }
  assert.match(mixed.tasks[1]!.error ?? '', /exit code 1/);
  for (const job of [done, mixed]) {
    assert.ok(job.started_at !== null && job.finished_at !== null, `job ${job.info.id} has start and end times`);
    assert.ok(Date.parse(job.started_at) <= Date.parse(job.finished_at), `job ${job.info.id} started before it ended`);
    for (const task of job.tasks) {
      assert.ok(task.started_at && task.finished_at, `task ${task.id} of job ${job.info.id} has start and end times`);
      assert.ok(Date.parse(task.started_at) <= Date.parse(task.finished_at), `task ${task.id} of job ${job.info.id} started before it ended`);
    }
  }
  assert.deepEqual(
    impossible.tasks.map((t) => [t.id, t.state]),
    [[0, 'waiting']],
  );
});

test('task list groups tasks by job; task info gives the selected ones', async () => {
  const list = await c.hqJson<Record<string, TaskJson[]>>(['task', 'list', `${mixedJob},${gatedJob}`]);
  assertMatchesSchema(list, schema('task-list'), 'task list');
  assert.deepEqual(Object.keys(list), [String(mixedJob), String(gatedJob)]);
  const gated = list[String(gatedJob)]!;
  assert.deepEqual(
    gated.map((t) => t.state),
    ['running', 'running', 'waiting'],
  );
  for (const t of gated.slice(0, 2)) assert.equal(t.worker, gpuWorker.id);

  const info = await c.hqJson<TaskJson[]>(['task', 'info', String(mixedJob), '2-3']);
  assertMatchesSchema(info, schema('task-info'), 'task info');
  assert.deepEqual(
    info.map((t) => [t.id, t.state]),
    [
      [2, 'failed'],
      [3, 'finished'],
    ],
  );
  assert.ok(info.every((t) => !JSON.stringify(t).includes('%{')), JSON.stringify(info));
});

test('worker list and worker info, including a worker that is gone', async () => {
  const extra = await c.startWorker({ cpus: 1 });
  await c.killWorker(c.workers.indexOf(extra));
  await eventually(async () => {
    const all = await c.hqJson<Array<{ id: number; ended: unknown }>>(['worker', 'list', '--all']);
    return all.find((w) => w.id === extra.id)?.ended ? true : undefined;
  }, 'killed worker seen as ended');

  const running = await c.hqJson<Array<{ id: number }>>(['worker', 'list']);
  assertMatchesSchema(running, schema('worker-list'), 'worker list');
  assert.deepEqual(
    running.map((w) => w.id),
    [gpuWorker.id, smallWorker.id],
  );
  const all = await c.hqJson<unknown[]>(['worker', 'list', '--all']);
  assertMatchesSchema(all, schema('worker-list'), 'worker list --all');
  assert.equal(all.length, 3);

  interface WorkerJson {
    id: number;
    allocation: unknown;
    ended: { at: string } | null;
    runtime_info: unknown;
    configuration: { time_limit: number | null; idle_timeout: number | null; resources: { resources: Array<{ name: string; kind: string }> } };
  }
  const gpu = await c.hqJson<WorkerJson>(['worker', 'info', String(gpuWorker.id)]);
  assertMatchesSchema(gpu, schema('worker-info'), 'worker info (gpus)');
  assert.equal(gpu.allocation, null, 'a worker outside any allocation');
  assert.equal(gpu.ended, null);
  assert.deepEqual(
    gpu.configuration.resources.resources.map((r) => [r.name, r.kind]).sort(),
    [
      ['cpus', 'groups'],
      ['gpus/nvidia', 'list'],
      ['mem', 'sum'],
      ['ports', 'range'],
    ],
  );
  const small = await c.hqJson<WorkerJson>(['worker', 'info', String(smallWorker.id)]);
  assertMatchesSchema(small, schema('worker-info'), 'worker info (limits)');
  assert.equal(small.configuration.time_limit, 3600);
  assert.equal(small.configuration.idle_timeout, 600);
  const gone = await c.hqJson<WorkerJson>(['worker', 'info', String(extra.id)]);
  assertMatchesSchema(gone, schema('worker-info'), 'worker info (ended)');
  assert.notEqual(gone.ended, null);
  assert.equal(gone.runtime_info, null);
});

test('server info', async () => {
  const info = await c.hqJson<{ server_dir: string; server_uid: string; pid: number; client_port: number }>(['server', 'info']);
  assertMatchesSchema(info, schema('server-info'), 'server info');
  const access = c.access();
  assert.equal(info.server_uid, access.server_uid);
  assert.equal(info.pid, access.pid);
  assert.equal(info.client_port, access.client.port);
  assert.equal(fs.realpathSync(info.server_dir), fs.realpathSync(c.serverDir));
});

test('task explain in HyperQueue\'s terms: per worker and variant, what the task asks for and what the worker has', async () => {
  type Item = { Resources?: { resource: string; request_amount: number; worker_amount: number } };
  interface ExplainJson {
    task_id: { job_id: number; job_task_id: number };
    explanation: { n_task_deps: number; n_waiting_deps: number; workers: Array<{ worker_id: number; variants: Item[][] }> };
  }
  const never = await c.hqJson<ExplainJson>(['task', 'explain', String(impossibleJob), '0']);
  assertMatchesSchema(never, schema('task-explain'), 'task explain (never)');
  assert.deepEqual(never.task_id, { job_id: impossibleJob, job_task_id: 0 });
  assert.equal(never.explanation.n_task_deps, 0);
  assert.equal(never.explanation.n_waiting_deps, 0);
  // Amounts in ten-thousandths: 64 cpus asked, 4 (2x2) and 1 offered.
  assert.deepEqual(
    never.explanation.workers.map((w) => [w.worker_id, w.variants]),
    [
      [gpuWorker.id, [[{ Resources: { resource: 'cpus', request_amount: 640_000, worker_amount: 40_000 } }]]],
      [smallWorker.id, [[{ Resources: { resource: 'cpus', request_amount: 640_000, worker_amount: 10_000 } }]]],
    ],
  );
  const later = await c.hqJson<ExplainJson>(['task', 'explain', String(gatedJob), '2', '--worker', String(gpuWorker.id)]);
  assertMatchesSchema(later, schema('task-explain'), 'task explain (busy)');
  assert.deepEqual(later.explanation.workers, [
    { worker_id: gpuWorker.id, variants: [[{ Resources: { resource: 'cpus', request_amount: 20_000, worker_amount: 40_000 } }]] },
  ]);
  // No camelCase key anywhere.
  assert.doesNotMatch(JSON.stringify([never, later]), /"[a-z]+[A-Z]/);
});
