// Workers that die, are stopped, or end on their own: what happens to them
// and to the tasks they were running.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, lines, processAlive, type ClusterWorker } from '../support/cluster.js';
import type { TaskDetail } from '../../src/client/types.js';

let c: Cluster;

before(async () => {
  c = await Cluster.start({ workers: [{ cpus: 1 }, { cpus: 1 }] });
});
after(() => c?.stop());

/**
 * A task that records where it runs (`<task>-<instance>.where` holds the
 * worker id and its pid) and then waits until the test creates `gate`.
 */
const GATED_TASK = [
  'bash',
  '-c',
  'echo "$HQ_WORKER_ID $$" > "$HQ_TASK_ID-$HQ_INSTANCE_ID.where"; while [ ! -e gate ]; do sleep 0.05; done; echo "done $HQ_INSTANCE_ID"',
];

/** A fresh directory for gated tasks; its gate opens when the test ends, whatever happened. */
function gatedDir(t: TestContext, name: string): string {
  const dir = c.mkdir(name);
  t.after(() => fs.writeFileSync(path.join(dir, 'gate'), ''));
  return dir;
}

async function submit(cwd: string, args: string[]): Promise<number> {
  return Number((await c.hqOk(['--output-mode=quiet', 'submit', ...args], { cwd })).trim());
}

async function tasksOf(job: number): Promise<TaskDetail[]> {
  const client = await c.client();
  return client.tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'all' });
}

/** Waits until the given instance of a task runs, reading its .where file: [worker id, pid]. */
async function runningOn(dir: string, task: number, instance: number): Promise<[number, number]> {
  const file = path.join(dir, `${task}-${instance}.where`);
  return eventually(() => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const m = /^(\d+) (\d+)\n$/.exec(text);
    return m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
  }, `task ${task} instance ${instance} running`);
}

/** Worker states by id, from `hq --output-mode=quiet worker list --all`. */
async function workerStates(): Promise<Map<number, string>> {
  const out = await c.hqOk(['--output-mode=quiet', 'worker', 'list', '--all']);
  return new Map(
    lines(out).map((l) => {
      const [id, ...state] = l.split(' ');
      return [Number(id), state.join(' ')];
    }),
  );
}

/**
 * Waits until the server knows the job's first task runs: a worker reports
 * starts in batches, so the task's process may run a moment before that, and
 * only a task the server knows as running counts a crash when its worker is lost.
 */
async function serverSeesRunning(job: number): Promise<void> {
  await eventually(async () => ((await tasksOf(job))[0]?.state === 'RUNNING' ? true : undefined), `job ${job} running on the server`);
}

function workerById(id: number): ClusterWorker {
  const w = c.workers.find((x) => x.id === id);
  assert.ok(w, `no worker process with id ${id}`);
  return w;
}

function liveWorkers(): ClusterWorker[] {
  return c.workers.filter((w) => w.running);
}

test('the running task of a worker killed with SIGKILL reruns on the other worker', async (t) => {
  const dir = gatedDir(t, 'killed');
  const job = await submit(dir, ['--stdout', '%{CWD}/%{TASK_ID}-%{INSTANCE_ID}.out', ...GATED_TASK]);
  const [workerId, pid] = await runningOn(dir, 0, 0);
  await serverSeesRunning(job);
  const victim = workerById(workerId);
  const survivor = liveWorkers().find((w) => w !== victim)!;

  await c.killWorker(c.workers.indexOf(victim), 'SIGKILL');
  const [rerunWorker] = await runningOn(dir, 0, 1);
  assert.equal(rerunWorker, survivor.id);

  const states = await workerStates();
  assert.equal(states.get(victim.id), 'CONNECTION LOST');
  assert.equal(states.get(survivor.id), 'RUNNING');
  const table = await c.hqOk(['worker', 'list', '--all']);
  const row = lines(table).find((l) => new RegExp(`^\\|\\s*${victim.id}\\s*\\|`).test(l));
  assert.match(row ?? '', /CONNECTION LOST/, table);

  // The first instance did not outlive its worker.
  await eventually(() => (processAlive(pid) ? undefined : true), 'task process of the killed worker ends');
  fs.writeFileSync(path.join(dir, 'gate'), '');
  assert.equal((await c.hq(['job', 'wait', String(job)])).code, 0);
  assert.equal(fs.readFileSync(path.join(dir, '0-1.out'), 'utf8'), 'done 1\n');
  const [task] = await tasksOf(job);
  assert.equal(task!.state, 'FINISHED');
  assert.equal(task!.instance, 1);
  assert.equal(task!.crashCount, 1);
  assert.deepEqual(task!.workers, [survivor.id]);
});

test('with --crash-limit never-restart a task lost with its worker fails', async (t) => {
  await c.startWorker({ cpus: 1 });
  const dir = gatedDir(t, 'never-restart');
  const job = await submit(dir, ['--crash-limit', 'never-restart', ...GATED_TASK]);
  const [workerId, pid] = await runningOn(dir, 0, 0);
  await serverSeesRunning(job);
  const victim = workerById(workerId);
  victim.kill('SIGKILL');
  await victim.waitExit();
  await eventually(() => (processAlive(pid) ? undefined : true), 'task process of the killed worker ends');

  const waited = await c.hq(['job', 'wait', String(job)]);
  assert.notEqual(waited.code, 0);
  const [task] = await tasksOf(job);
  assert.equal(task!.state, 'FAILED');
  assert.match(task!.error, /crash limit/i);
  const info = await c.hqOk(['job', 'info', String(job)]);
  assert.match(info, /FAILED/);
  assert.match(info, /crash limit/i);
  // The task never ran again.
  assert.equal(fs.existsSync(path.join(dir, '0-1.where')), false);
});

test('a worker stopped by the user ends STOPPED and its task reruns without counting a crash', async (t) => {
  await c.startWorker({ cpus: 1 });
  assert.equal(liveWorkers().length, 2);
  const dir = gatedDir(t, 'stopped');
  const job = await submit(dir, GATED_TASK);
  const [workerId, pid] = await runningOn(dir, 0, 0);
  const stopped = workerById(workerId);
  const other = liveWorkers().find((w) => w !== stopped)!;

  const stop = await c.hq(['worker', 'stop', String(workerId)]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await stopped.waitExit()).code, 0, stopped.log());
  await eventually(() => (processAlive(pid) ? undefined : true), 'task process of the stopped worker ends');
  await eventually(async () => ((await workerStates()).get(workerId) === 'STOPPED' ? true : undefined), 'worker seen as stopped');

  const [rerunWorker] = await runningOn(dir, 0, 1);
  assert.equal(rerunWorker, other.id);
  fs.writeFileSync(path.join(dir, 'gate'), '');
  assert.equal((await c.hq(['job', 'wait', String(job)])).code, 0);
  const [task] = await tasksOf(job);
  assert.equal(task!.state, 'FINISHED');
  assert.equal(task!.instance, 1);
  assert.equal(task!.crashCount, 0);
});

test('workers end with IDLE TIMEOUT and TIME LIMIT REACHED on their own', async () => {
  const idle = await c.startWorker({ cpus: 1, args: ['--idle-timeout', '1s'] });
  const limited = await c.startWorker({ cpus: 1, args: ['--time-limit', '2s'] });
  assert.equal((await idle.waitExit()).code, 0, idle.log());
  assert.equal((await limited.waitExit()).code, 0, limited.log());
  const states = await eventually(async () => {
    const s = await workerStates();
    return s.get(idle.id) !== 'RUNNING' && s.get(limited.id) !== 'RUNNING' ? s : undefined;
  }, 'ended workers seen by the server');
  assert.equal(states.get(idle.id), 'IDLE TIMEOUT');
  assert.equal(states.get(limited.id), 'TIME LIMIT REACHED');
});

test('tasks queued on a lost worker move to the others; only its running ones count a crash', async (t) => {
  const victim = await c.startWorker({ cpus: 2 });
  await c.startWorker({ cpus: 2 });
  const slots = liveWorkers().reduce((n, w) => n + w.cpus, 0);
  const dir = gatedDir(t, 'queued');
  const count = 60;
  const job = await submit(dir, ['--array', `1-${count}`, '--stdout', '%{CWD}/%{TASK_ID}-%{INSTANCE_ID}.out', ...GATED_TASK]);
  // Every slot busy, the rest queued on the workers or in the server.
  const startedFiles = () => fs.readdirSync(dir).filter((f) => f.endsWith('-0.where'));
  await eventually(() => (startedFiles().length === slots ? true : undefined), `${slots} tasks running`);
  const onVictim = new Map<number, number>();
  for (const f of startedFiles()) {
    const [worker, pid] = fs.readFileSync(path.join(dir, f), 'utf8').trim().split(' ').map(Number);
    if (worker === victim.id) onVictim.set(Number(f.split('-')[0]), pid!);
  }
  assert.equal(onVictim.size, 2);
  // Only tasks the server knows as running count a crash (see serverSeesRunning).
  await eventually(async () => {
    const running = (await tasksOf(job)).filter((task) => task.state === 'RUNNING').map((task) => task.taskId);
    return [...onVictim.keys()].every((id) => running.includes(id)) ? true : undefined;
  }, 'the victim\'s tasks running on the server');

  victim.kill('SIGKILL');
  await victim.waitExit();
  for (const pid of onVictim.values()) {
    await eventually(() => (processAlive(pid) ? undefined : true), 'task process of the killed worker ends');
  }
  await eventually(async () => ((await workerStates()).get(victim.id) === 'CONNECTION LOST' ? true : undefined), 'worker seen as lost');
  fs.writeFileSync(path.join(dir, 'gate'), '');
  assert.equal((await c.hq(['job', 'wait', String(job)])).code, 0);

  const tasks = await tasksOf(job);
  assert.equal(tasks.length, count);
  for (const task of tasks) {
    assert.equal(task.state, 'FINISHED', `task ${task.taskId}`);
    assert.equal(task.crashCount, onVictim.has(task.taskId) ? 1 : 0, `crash count of task ${task.taskId}`);
    assert.notDeepEqual(task.workers, [victim.id], `task ${task.taskId} finished on the lost worker`);
    assert.equal(fs.readFileSync(path.join(dir, `${task.taskId}-${task.instance}.out`), 'utf8'), `done ${task.instance}\n`);
  }
});

test('when the server is killed, workers stop and end their tasks', async (t) => {
  const dir = gatedDir(t, 'server-killed');
  await submit(dir, GATED_TASK);
  const [, pid] = await runningOn(dir, 0, 0);
  const workers = liveWorkers();
  c.server.kill('SIGKILL');
  await c.server.waitExit();
  for (const w of workers) assert.equal((await w.waitExit()).code, 1, w.log());
  await eventually(() => (processAlive(pid) ? undefined : true), 'task process ends with its worker');
  const r = await c.hq(['job', 'list'], { timeoutMs: 5_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No server is running/);
});
