// Resources and scheduling on real processes: GPUs taken from
// CUDA_VISIBLE_DEVICES (non-fungible and fractional), cpu pinning, cpu
// allocation policies, sum resources, requests no worker satisfies,
// multi-node tasks, priorities, time requests and work stealing.
//
// Order is never inferred from timing: tasks wait at gate files that the
// test creates, and the test waits for files the tasks write.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, lines, type ClusterOptions } from '../support/cluster.js';
import type { TaskDetail } from '../../src/client/types.js';

/** A cluster for one test, stopped when the test ends. */
async function cluster(t: TestContext, opts: ClusterOptions): Promise<Cluster> {
  const c = await Cluster.start(opts);
  t.after(() => c.stop());
  return c;
}

/** Submits in `cwd` and returns the job id. */
async function submit(c: Cluster, cwd: string, args: string[]): Promise<number> {
  return Number((await c.hqOk(['--output-mode=quiet', 'submit', ...args], { cwd })).trim());
}

async function tasksOf(c: Cluster, job: number): Promise<TaskDetail[]> {
  const client = await c.client();
  return client.tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'all' });
}

async function statesOf(c: Cluster, job: number): Promise<string[]> {
  return (await tasksOf(c, job)).map((t) => t.state);
}

async function jobState(c: Cluster, job: number): Promise<string> {
  const out = await c.hqOk(['--output-mode=quiet', 'job', 'list', '--all']);
  const row = lines(out).find((l) => l.startsWith(`${job} `));
  assert.ok(row, `job ${job} missing from:\n${out}`);
  return row.slice(String(job).length + 1);
}

async function waitOk(c: Cluster, job: number | string): Promise<void> {
  const r = await c.hq(['job', 'wait', String(job)], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `job ${job}: ${r.stdout}${r.stderr}`);
}

/**
 * Shell text that records `record` (evaluated by the task) into
 * `started-<task id>` and then holds until `gate-<task id>` or `gate` exists.
 */
function gated(record: string): string {
  return (
    `printf '%s\\n' "${record}" > started-$HQ_TASK_ID.tmp && mv started-$HQ_TASK_ID.tmp started-$HQ_TASK_ID; ` +
    'while [ ! -e gate-$HQ_TASK_ID ] && [ ! -e gate ]; do sleep 0.05; done'
  );
}

/** Task id -> what it recorded, for every task that started so far. */
function started(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of fs.readdirSync(dir)) {
    const m = /^started-(\d+)$/.exec(f);
    if (m) out.set(Number(m[1]), fs.readFileSync(path.join(dir, f), 'utf8').trimEnd());
  }
  return out;
}

async function waitStarted(dir: string, count: number): Promise<Map<number, string>> {
  return eventually(() => {
    const s = started(dir);
    return s.size >= count ? s : undefined;
  }, `${count} tasks started`);
}

function openGate(dir: string, name = 'gate'): void {
  fs.writeFileSync(path.join(dir, name), '');
}

/**
 * A work dir whose gate opens when the test ends, whatever happened (unless
 * the cluster, stopped first, already removed it with its tasks).
 */
function workDir(t: TestContext, c: Cluster, name: string): string {
  const dir = c.mkdir(name);
  t.after(() => {
    if (fs.existsSync(dir)) openGate(dir);
  });
  return dir;
}

/** `0-2,5` -> [0, 1, 2, 5]: the format of Cpus_allowed_list. */
function expandCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.push(i);
  }
  return out;
}

/** CPU ids this process may run on: a pinned task must use ids that exist here. */
function allowedCpus(): number[] {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return expandCpuList(/^Cpus_allowed_list:\s*(.+)$/m.exec(status)![1]!);
}

const GPU_ENV = { CUDA_VISIBLE_DEVICES: '0,1,2,3' };

test('gpus from CUDA_VISIBLE_DEVICES are given out one device per task', async (t) => {
  const c = await cluster(t, { workers: [{ cpus: 8, env: GPU_ENV }] });
  const dir = workDir(t, c, 'gpus');
  const job = await submit(c, dir, [
    '--array',
    '1-8',
    '--resource',
    'gpus/nvidia=1',
    '--',
    'bash',
    '-c',
    gated('$CUDA_VISIBLE_DEVICES|$HQ_RESOURCE_VALUES_gpus_nvidia|$CUDA_DEVICE_ORDER'),
  ]);
  const first = await waitStarted(dir, 4);
  // The four devices are taken: nothing else can start.
  assert.equal(first.size, 4);
  const states = await statesOf(c, job);
  assert.equal(states.filter((s) => s === 'RUNNING').length, 4, states.join());
  assert.equal(states.filter((s) => s === 'WAITING').length, 4, states.join());
  const deviceOf = new Map<number, string>();
  for (const [task, record] of first) {
    const [visible, values, order] = record.split('|');
    assert.equal(visible, values, `task ${task}: ${record}`);
    assert.equal(order, 'PCI_BUS_ID');
    deviceOf.set(task, visible!);
  }
  assert.deepEqual([...deviceOf.values()].sort(), ['0', '1', '2', '3']);
  assert.equal(started(dir).size, 4, 'a fifth task started while every device was taken');

  // One task ends: the next one gets exactly the device it gave back.
  const [leaving, freed] = [...deviceOf][0]!;
  openGate(dir, `gate-${leaving}`);
  const next = await waitStarted(dir, 5);
  const [fifth] = [...next.keys()].filter((id) => !first.has(id));
  assert.equal(next.get(fifth!)!.split('|')[0], freed);

  openGate(dir);
  await waitOk(c, job);
  const all = started(dir);
  assert.equal(all.size, 8);
  for (const record of all.values()) assert.match(record, /^[0-3]\|[0-3]\|PCI_BUS_ID$/);
});

test('fractional gpu requests share a device: eight halves run at once on four gpus', async (t) => {
  const c = await cluster(t, { workers: [{ cpus: 8, env: GPU_ENV }] });
  const dir = workDir(t, c, 'halves');
  const job = await submit(c, dir, [
    '--array',
    '1-8',
    '--resource',
    'gpus/nvidia=0.5',
    '--',
    'bash',
    '-c',
    gated('$CUDA_VISIBLE_DEVICES|$HQ_RESOURCE_REQUEST_gpus_nvidia'),
  ]);
  const all = await waitStarted(dir, 8);
  const perDevice = new Map<string, number>();
  for (const record of all.values()) {
    const [device, request] = record.split('|');
    assert.match(device!, /^[0-3]$/, record);
    assert.equal(request, '0.5');
    perDevice.set(device!, (perDevice.get(device!) ?? 0) + 1);
  }
  assert.deepEqual([...perDevice.values()], [2, 2, 2, 2]);
  openGate(dir);
  await waitOk(c, job);
});

test('--pin taskset confines the task to its cpus; --pin omp sets the OpenMP variables', async (t) => {
  // Pinning needs cpu ids that exist on this machine.
  const ids = allowedCpus().slice(0, 2);
  const c = await cluster(t, { workers: [{ cpus: `[${ids.join(',')}]` }] });
  const dir = c.mkdir('pin');
  const pinned = await submit(c, dir, [
    '--pin',
    'taskset',
    '--cpus',
    '1',
    '--',
    'bash',
    '-c',
    'echo "$HQ_CPUS|$HQ_PIN|$(grep Cpus_allowed_list /proc/self/status | cut -f2)"',
  ]);
  await waitOk(c, pinned);
  const [cpus, pin, allowed] = fs.readFileSync(path.join(dir, `job-${pinned}`, '0.stdout'), 'utf8').trimEnd().split('|');
  assert.equal(pin, 'taskset');
  assert.ok(ids.map(String).includes(cpus!), `HQ_CPUS=${cpus}`);
  assert.deepEqual(expandCpuList(allowed!), [Number(cpus)]);

  const omp = await submit(c, dir, [
    '--pin',
    'omp',
    '--cpus',
    String(ids.length),
    '--',
    'bash',
    '-c',
    'echo "$HQ_CPUS|$HQ_PIN|$OMP_PLACES|$OMP_PROC_BIND|$OMP_NUM_THREADS"',
  ]);
  await waitOk(c, omp);
  const [ompCpus, ompPin, places, bind, threads] = fs
    .readFileSync(path.join(dir, `job-${omp}`, '0.stdout'), 'utf8')
    .trimEnd()
    .split('|');
  assert.equal(ompPin, 'omp');
  const given = ompCpus!.split(',');
  assert.deepEqual([...given].sort(), ids.map(String).sort());
  assert.equal(places, given.map((id) => `{${id}}`).join(','));
  assert.equal(bind, 'close');
  assert.equal(threads, String(ids.length));
});

test('cpu policies on a 2x2 worker: compact! takes one whole group, scatter one cpu of each', async (t) => {
  const c = await cluster(t, { workers: [{ cpus: '2x2' }] });
  const dir = c.mkdir('policies');
  const groups = [
    ['0', '1'],
    ['2', '3'],
  ];
  const groupOf = (cpu: string) => groups.findIndex((g) => g.includes(cpu));
  const show = ['--', 'bash', '-c', 'echo $HQ_CPUS'];
  const cpusOf = (job: number) => fs.readFileSync(path.join(dir, `job-${job}`, '0.stdout'), 'utf8').trim().split(',');

  const compact = await submit(c, dir, ['--cpus', '2 compact!', ...show]);
  await waitOk(c, compact);
  const whole = cpusOf(compact);
  assert.equal(whole.length, 2);
  assert.equal(groupOf(whole[0]!), groupOf(whole[1]!), `compact! gave ${whole}`);

  const scatter = await submit(c, dir, ['--cpus', '2 scatter', ...show]);
  await waitOk(c, scatter);
  const spread = cpusOf(scatter);
  assert.equal(spread.length, 2);
  assert.deepEqual(spread.map(groupOf).sort(), [0, 1], `scatter gave ${spread}`);
});

test('a sum resource: two tasks of 600 never run together on a pool of 1000', async (t) => {
  const c = await cluster(t, { workers: [{ cpus: 4, args: ['--resource', 'mem=sum(1000)'] }] });
  const dir = workDir(t, c, 'sum');
  const job = await submit(c, dir, ['--array', '1-3', '--resource', 'mem=600', '--', 'bash', '-c', gated('$HQ_RESOURCE_REQUEST_mem')]);
  // Each time one task holds the pool, the others wait; its end lets exactly one more start.
  const seen: number[] = [];
  for (let round = 1; round <= 3; round++) {
    const now = await waitStarted(dir, round);
    assert.equal(now.size, round, 'two tasks started together');
    const current = [...now.keys()].find((id) => !seen.includes(id))!;
    seen.push(current);
    assert.equal(now.get(current), '600');
    const states = await statesOf(c, job);
    assert.equal(states.filter((s) => s === 'RUNNING').length, 1, states.join());
    openGate(dir, `gate-${current}`);
  }
  await waitOk(c, job);
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
});

test('a request no worker can satisfy waits, other jobs still run, and explain says why', async (t) => {
  const c = await cluster(t, { workers: [{ cpus: 2 }] });
  const dir = c.mkdir('impossible');
  const big = await submit(c, dir, ['--cpus', '64', '--', 'true']);
  const small = await submit(c, dir, ['--array', '1-4', '--', 'true']);
  await waitOk(c, small);
  assert.equal(await jobState(c, big), 'WAITING');
  assert.equal(await jobState(c, small), 'FINISHED');

  const text = await c.hqOk(['task', 'explain', String(big), '0']);
  const workerLine = lines(text).find((l) => l.startsWith(`Worker ${c.workers[0]!.id} `));
  assert.match(workerLine ?? '', /can never run/, text);
  assert.match(text, /cpus: needs 64\b.*\[never\]/, text);

  // HyperQueue's json: what the variant asks for against what the worker has, in ten-thousandths.
  type Item = { Resources?: { resource: string; request_amount: number; worker_amount: number } };
  const json = await c.hqJson<{ explanation: { workers: Array<{ worker_id: number; variants: Item[][] }> } }>(['task', 'explain', String(big), '0']);
  assert.deepEqual(json.explanation.workers, [
    { worker_id: c.workers[0]!.id, variants: [[{ Resources: { resource: 'cpus', request_amount: 640_000, worker_amount: 20_000 } }]] },
  ]);
  assert.equal(await jobState(c, big), 'WAITING');
});

test('a multi-node task takes two whole workers of one group; other tasks run elsewhere meanwhile', async (t) => {
  const c = await cluster(t, {
    workers: [
      { cpus: 1, args: ['--group', 'g1'] },
      { cpus: 1, args: ['--group', 'g1'] },
      { cpus: 1, args: ['--group', 'g2'] },
    ],
  });
  const [a, b, other] = c.workers;
  const dir = workDir(t, c, 'nodes');
  const multi = await submit(c, dir, [
    '--nodes',
    '2',
    '--',
    'bash',
    '-c',
    'cat "$HQ_NODE_FILE" > nodes.txt; ' + gated('$HQ_NUM_NODES'),
  ]);
  const [record] = (await waitStarted(dir, 1)).values();
  assert.equal(record, '2');
  assert.equal(lines(fs.readFileSync(path.join(dir, 'nodes.txt'), 'utf8')).length, 2);
  const [task] = await tasksOf(c, multi);
  assert.equal(task!.state, 'RUNNING');
  assert.deepEqual([...task!.workers].sort(), [a!.id, b!.id].sort());

  // While it holds both g1 workers, ordinary tasks can only go to the g2 worker.
  const ordinary = await submit(c, dir, ['--array', '1-3', '--', 'bash', '-c', 'echo $HQ_WORKER_ID']);
  await waitOk(c, ordinary);
  for (const id of [1, 2, 3]) {
    assert.equal(fs.readFileSync(path.join(dir, `job-${ordinary}`, `${id}.stdout`), 'utf8').trim(), String(other!.id));
  }
  assert.equal((await tasksOf(c, multi))[0]!.state, 'RUNNING');
  openGate(dir);
  await waitOk(c, multi);
});

test(
  'a job of higher priority starts before an earlier one of lower priority queued on the busy worker',
  async (t) => {
    const c = await cluster(t, { workers: [{ cpus: 1 }] });
    const dir = workDir(t, c, 'priority');
    const blocker = await submit(c, dir, ['--', 'bash', '-c', gated('busy')]);
    await waitStarted(dir, 1);
    const record = ['--', 'bash', '-c', 'echo "$HQ_JOB_ID" >> order'];
    const low = await submit(c, dir, ['--array', '1-2', ...record]);
    const high = await submit(c, dir, ['--priority', '10', '--array', '1-2', ...record]);
    // Both jobs sit on the busy worker (queued, not started) before it frees up.
    for (const job of [low, high]) {
      await eventually(async () => ((await tasksOf(c, job)).every((task) => task.workers.length > 0) ? true : undefined), `job ${job} queued`);
    }
    openGate(dir);
    await waitOk(c, `${blocker},${low},${high}`);
    const order = lines(fs.readFileSync(path.join(dir, 'order'), 'utf8'));
    assert.deepEqual(order, [high, high, low, low].map(String));
  },
);

test('a time request longer than the worker has left waits; a shorter one runs', async (t) => {
  const c = await cluster(t, { workers: [{ cpus: 1, args: ['--time-limit', '1h'] }] });
  const dir = c.mkdir('time');
  const long = await submit(c, dir, ['--time-request', '2h', '--', 'true']);
  const short = await submit(c, dir, ['--time-request', '10min', '--', 'true']);
  await waitOk(c, short);
  assert.equal(await jobState(c, long), 'WAITING');
  const text = await c.hqOk(['task', 'explain', String(long), '0']);
  assert.match(text, /can never run/, text);
  assert.match(text, /time request 2h.*too short/, text);
  type Duration = { secs: number; nanos: number };
  type Item = { Time?: { min_time: Duration; remaining_time: Duration | null } };
  const json = await c.hqJson<{ explanation: { workers: Array<{ variants: Item[][] }> } }>(['task', 'explain', String(long), '0']);
  const time = json.explanation.workers[0]!.variants[0]![0]!.Time!;
  assert.deepEqual(time.min_time, { secs: 7200, nanos: 0 });
  assert.ok(time.remaining_time !== null && time.remaining_time.secs <= 3600, JSON.stringify(time));
});

test('tasks queued on a busy worker are stolen by a worker that connects later', async (t) => {
  const c = await cluster(t, { workers: [{ cpus: 1 }] });
  const [first] = c.workers;
  const dir = workDir(t, c, 'steal');
  const job = await submit(c, dir, ['--array', '1-20', '--', 'bash', '-c', gated('$HQ_WORKER_ID')]);
  await waitStarted(dir, 1);
  // Everything but the running task is queued on the first worker or in the server.
  const states = await statesOf(c, job);
  assert.equal(states.filter((s) => s === 'RUNNING').length, 1);

  const second = await c.startWorker({ cpus: 1 });
  const onSecond = await eventually(() => {
    const s = [...started(dir)].find(([, worker]) => worker === String(second.id));
    return s ? s[0] : undefined;
  }, 'a task running on the new worker');
  // The first worker is still held by its task: the new one took queued work.
  const running = started(dir);
  assert.equal(running.size, 2);
  assert.deepEqual(
    [...running.values()].sort(),
    [String(first!.id), String(second.id)].sort(),
    `task ${onSecond} and one more`,
  );

  openGate(dir);
  await waitOk(c, job);
  const tasks = await tasksOf(c, job);
  assert.equal(tasks.length, 20);
  assert.ok(tasks.every((task) => task.state === 'FINISHED'));
  const workersUsed = new Set(tasks.flatMap((task) => task.workers));
  assert.deepEqual([...workersUsed].sort(), [first!.id, second.id].sort());
  const table = await c.hqOk(['task', 'list', String(job)]);
  assert.equal(lines(table).filter((l) => /\|\s*FINISHED\s*\|/.test(l)).length, 20, table);
});
