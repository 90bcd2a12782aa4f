// What the job toolbox shows of jobs and tasks on a real cluster: task info
// rows filled from each task's own template, job info json of arrays, task
// graphs and open jobs, task explain json in HyperQueue's keys, job close and
// forget in every output mode, and output files removed once their task
// finished (`:rm-if-finished`, `on_close = "rm-if-finished"`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, lines } from '../support/cluster.js';
import { assertMatchesSchema, testSchema as schema } from '../support/json-schema.js';
import type { TaskStateName } from '../../src/client/types.js';


let c: Cluster;

before(async () => {
  c = await Cluster.start({ workers: [{ cpus: 2 }] });
});
after(() => c?.stop());

async function submit(cwd: string, args: string[]): Promise<number> {
  return Number((await c.hqOk(['--output-mode=quiet', 'submit', ...args], { cwd })).trim());
}

async function submitFile(cwd: string, name: string, text: string): Promise<number> {
  fs.writeFileSync(path.join(cwd, name), text);
  return Number((await c.hqOk(['--output-mode=quiet', 'job', 'submit-file', name], { cwd })).trim());
}

async function taskState(job: number, task: number): Promise<TaskStateName | undefined> {
  const client = await c.client();
  const [t] = await client.tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'ids', ranges: [{ start: task, end: task, step: 1 }] });
  return t?.state;
}

/**
 * The key/value tables of cli output, in order: each row's key with its value,
 * the lines of a multi-line value joined by newlines.
 */
function verticalTables(text: string): Array<Map<string, string>> {
  const tables: Array<Map<string, string>> = [];
  let current: Map<string, string> | null = null;
  let lastKey = '';
  for (const line of lines(text)) {
    if (line.startsWith('+')) {
      if (current) tables.push(current);
      current = null;
      continue;
    }
    const cells = line.split('|');
    if (cells.length < 4) continue;
    current ??= new Map();
    const key = cells[1]!.trim();
    const value = cells.slice(2, -1).join('|').trim();
    if (key !== '') {
      lastKey = key;
      current.set(key, value);
    } else {
      current.set(lastKey, `${current.get(lastKey)}\n${value}`);
    }
  }
  return tables;
}

const GRAPH_FILE = `name = "graph"

[[task]]
id = 0
command = ["bash", "-c", "echo zero"]
env = { MODE = "fast" }
  [[task.request]]
  resources = { cpus = 1 }
  [[task.request]]
  resources = { cpus = "2 compact!" }

[[task]]
id = 1
deps = [0]
command = ["bash", "-c", "echo one"]
env = { MODE = "slow", LEVEL = "3" }
priority = 5
crash_limit = 2
task_dir = true
time_limit = "1m"
`;

test('task info shows the command, environment, resources and dependencies of each task, from its own template', async () => {
  const dir = c.mkdir('task-info');
  const graph = await submitFile(dir, 'graph.toml', GRAPH_FILE);
  const array = await submit(dir, ['--array', '3-4', '--cpus', '2', '--env', 'B=2', '--env', 'A=1', '--', 'bash', '-c', 'echo $A$B']);
  assert.equal((await c.hq(['job', 'wait', `${graph},${array}`])).code, 0);

  const [zero, one] = verticalTables(await c.hqOk(['task', 'info', String(graph), '0-1']));
  assert.equal(zero!.get('Task ID'), '0');
  assert.equal(zero!.get('Command'), 'bash\n-c\necho zero');
  assert.equal(zero!.get('Environment'), 'MODE=fast');
  assert.equal(zero!.get('Resources'), '# Variant 1\ncpus: 1 compact\n\n# Variant 2\ncpus: 2 compact!');
  assert.equal(zero!.get('Dependencies'), '');
  assert.equal(zero!.get('Task dir'), 'no');
  assert.equal(zero!.get('Stdout'), path.join(dir, `job-${graph}`, '0.stdout'));

  assert.equal(one!.get('Command'), 'bash\n-c\necho one');
  assert.equal(one!.get('Environment'), 'LEVEL=3\nMODE=slow');
  assert.equal(one!.get('Resources'), 'cpus: 1 compact');
  assert.equal(one!.get('Dependencies'), '0');
  assert.equal(one!.get('Priority'), '5');
  assert.equal(one!.get('Crash limit'), '2');
  assert.equal(one!.get('Task dir'), 'yes');
  assert.equal(one!.get('Time limit'), '1m');

  const [four] = verticalTables(await c.hqOk(['task', 'info', String(array), '4']));
  assert.equal(four!.get('Command'), 'bash\n-c\necho $A$B');
  assert.equal(four!.get('Environment'), 'A=1\nB=2');
  assert.equal(four!.get('Resources'), 'cpus: 2 compact');
  assert.equal(four!.get('Pin'), 'none');

  // json keeps HyperQueue's task shape; quiet prints nothing, as HyperQueue's.
  const json = await c.hqJson<Array<{ id: number; stdout: string }>>(['task', 'info', String(graph), '0-1']);
  assertMatchesSchema(json, schema('task-info'), 'task info');
  assert.deepEqual(
    json.map((t) => [t.id, t.stdout]),
    [
      [0, path.join(dir, `job-${graph}`, '0.stdout')],
      [1, path.join(dir, `job-${graph}`, '1.stdout')],
    ],
  );
  assert.equal(await c.hqOk(['--output-mode=quiet', 'task', 'info', String(graph), '0-1']), '');
});

interface TaskDescriptionJson {
  program: { args: string[]; env: Record<string, string>; cwd: string; stdout: string | null; stderr: string | null };
  resources: Array<{ n_nodes: number; resources: Array<{ resource: string; request: unknown }>; min_time: number }>;
  pin_mode: string | null;
  priority: number;
  time_limit: number | null;
  task_dir: boolean;
  crash_limit: number;
}
type SubmitJson = { array: TaskDescriptionJson } | { graph: TaskDescriptionJson[] };

async function jobInfoJson(job: number): Promise<{ submits: SubmitJson[] }> {
  const [detail] = await c.hqJson<Array<{ submits: SubmitJson[] }>>(['job', 'info', String(job)]);
  assertMatchesSchema([detail], schema('job-info'), `job info ${job}`);
  return detail!;
}

test('job info json describes every submission: pin mode, task dir and limits of an array, each task of a graph', async () => {
  const dir = c.mkdir('job-info');
  const array = await submit(dir, [
    '--pin',
    'taskset',
    '--task-dir',
    '--priority',
    '4',
    '--crash-limit',
    '3',
    '--time-limit',
    '10s',
    '--time-request',
    '2s',
    '--env',
    'A=b',
    '--stdout',
    'none',
    '--',
    'true',
  ]);
  const { submits } = await jobInfoJson(array);
  assert.equal(submits.length, 1);
  assert.ok('array' in submits[0]!, JSON.stringify(submits));
  const desc = (submits[0] as { array: TaskDescriptionJson }).array;
  assert.equal(desc.pin_mode, 'taskset');
  assert.equal(desc.task_dir, true);
  assert.equal(desc.priority, 4);
  assert.equal(desc.crash_limit, 3);
  assert.equal(desc.time_limit, 10);
  assert.deepEqual(desc.program.env, { A: 'b' });
  assert.equal(desc.program.stdout, null);
  assert.deepEqual(desc.resources, [{ n_nodes: 0, resources: [{ resource: 'cpus', request: { Compact: 10_000 } }], min_time: 2 }]);

  const graph = await submitFile(dir, 'graph.toml', GRAPH_FILE);
  const graphInfo = await jobInfoJson(graph);
  assert.equal(graphInfo.submits.length, 1);
  const tasks = (graphInfo.submits[0] as { graph: TaskDescriptionJson[] }).graph;
  assert.ok(Array.isArray(tasks), JSON.stringify(graphInfo.submits));
  assert.deepEqual(
    tasks.map((t) => [t.program.args[2], t.resources.length, t.task_dir, t.pin_mode, t.time_limit]),
    [
      ['echo zero', 2, false, null, null],
      ['echo one', 1, true, null, 60],
    ],
  );
  assert.deepEqual(tasks[0]!.resources[1]!.resources, [{ resource: 'cpus', request: { ForceCompact: 20_000 } }]);

  // An open job lists each submit into it; one that streams shows its outputs as a pipe.
  const open = Number((await c.hqOk(['--output-mode=quiet', 'job', 'open'], { cwd: dir })).trim());
  await submit(dir, ['--job', String(open), '--', 'echo', 'first']);
  await submit(dir, ['--job', String(open), '--stream', 'open-stream', '--', 'echo', 'second']);
  const openInfo = await jobInfoJson(open);
  const descs = openInfo.submits.map((s) => ('array' in s ? s.array : null));
  assert.deepEqual(
    descs.map((d) => d?.program.args[1]),
    ['first', 'second'],
  );
  assert.match(descs[0]!.program.stdout ?? '', /\.stdout$/);
  assert.deepEqual([descs[1]!.program.stdout, descs[1]!.program.stderr], ['<pipe>', '<pipe>']);
  // The cli table shows a shared description only for a single array submission, as HyperQueue does.
  const [table] = verticalTables(await c.hqOk(['job', 'info', String(open)]));
  assert.equal(table!.has('Command'), false);
  assert.equal(table!.get('Tasks'), '2; Ids: 0-1');
  const [single] = verticalTables(await c.hqOk(['job', 'info', String(array)]));
  assert.equal(single!.get('Resources'), 'cpus: 1 compact [pin]');
  assert.equal(single!.get('Submission directory'), dir);
  await c.hqOk(['job', 'close', String(open)]);
  // Not asserted: --pin taskset needs taskset(1) on the worker; the wait only keeps later tests alone.
  await c.hq(['job', 'wait', `${array},${graph},${open}`]);
});

test('task explain json: dependencies, the time request and each resource against the worker', async () => {
  const dir = c.mkdir('explain');
  const job = await submitFile(
    dir,
    'explain.toml',
    `[[task]]
id = 0
command = ["bash", "-c", "while [ ! -e gate ]; do sleep 0.05; done"]

[[task]]
id = 1
deps = [0]
command = ["true"]
  [[task.request]]
  resources = { cpus = 2 }
`,
  );
  await eventually(async () => ((await taskState(job, 0)) === 'RUNNING' ? true : undefined), 'gate task running');
  const worker = c.workers[0]!.id;
  const waiting = await c.hqJson<unknown>(['task', 'explain', String(job), '1']);
  assertMatchesSchema(waiting, schema('task-explain'), 'task explain');
  assert.deepEqual(waiting, {
    task_id: { job_id: job, job_task_id: 1 },
    explanation: {
      n_task_deps: 1,
      n_waiting_deps: 1,
      workers: [{ worker_id: worker, variants: [[{ Resources: { resource: 'cpus', request_amount: 20_000, worker_amount: 20_000 } }]] }],
    },
  });
  fs.writeFileSync(path.join(dir, 'gate'), '');
  assert.equal((await c.hq(['job', 'wait', String(job)])).code, 0);
  const done = await c.hqJson<{ explanation: { n_task_deps: number; n_waiting_deps: number } }>(['task', 'explain', String(job), '1']);
  assert.deepEqual([done.explanation.n_task_deps, done.explanation.n_waiting_deps], [1, 0]);

  // A time request comes first; the worker has no time limit, so no remaining time to compare with.
  const timed = await submit(dir, ['--time-request', '1h', '--', 'true']);
  const explained = await c.hqJson<{ explanation: { workers: Array<{ variants: unknown[][] }> } }>(['task', 'explain', String(timed), '0']);
  assertMatchesSchema(explained, schema('task-explain'), 'task explain (time request)');
  assert.deepEqual(explained.explanation.workers[0]!.variants, [
    [
      { Time: { min_time: { secs: 3600, nanos: 0 }, remaining_time: null } },
      { Resources: { resource: 'cpus', request_amount: 10_000, worker_amount: 20_000 } },
    ],
  ]);
  assert.equal((await c.hq(['job', 'wait', String(timed)])).code, 0);
});

/** Stderr log lines without their timestamps. */
const logged = (stderr: string) => lines(stderr).map((l) => l.replace(/^\S+ /, ''));

test('job close and job forget report each job in every output mode', async () => {
  const dir = c.mkdir('close');
  const openJob = async () => Number((await c.hqOk(['--output-mode=quiet', 'job', 'open'], { cwd: dir })).trim());
  const first = await openJob();
  const second = await openJob();

  // json: HyperQueue's log lines on stderr, nothing on stdout.
  const closed = await c.hq(['--output-mode=json', 'job', 'close', String(first)]);
  assert.equal(closed.code, 0, closed.stderr);
  assert.equal(closed.stdout, '');
  assert.deepEqual(logged(closed.stderr), [`INFO Job ${first} closed`]);
  // cli: a job that is not open and an id that names no job are reported per job.
  const again = await c.hq(['job', 'close', `${first},9999`]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(logged(again.stderr), [
    `ERROR Closing job ${first} failed; job is already closed`,
    'ERROR Closing job 9999 failed; job not found',
  ]);
  // quiet: the ids of the closed jobs.
  const quiet = await c.hq(['--output-mode=quiet', 'job', 'close', String(second)]);
  assert.deepEqual([quiet.stdout, quiet.stderr], [`${second}\n`, '']);

  const running = await submit(dir, ['--', 'bash', '-c', 'while [ ! -e gate ]; do sleep 0.05; done']);
  // Both closed jobs had no tasks: they are FINISHED and can be forgotten; the running one cannot.
  const forgotten = await c.hq(['--output-mode=json', 'job', 'forget', `${first},${running}`]);
  assert.equal(forgotten.code, 0, forgotten.stderr);
  assert.equal(forgotten.stdout, '');
  assert.deepEqual(logged(forgotten.stderr), ['INFO 1 job were forgotten, 1 were ignored due to wrong state or invalid ID']);
  const quietForget = await c.hq(['--output-mode=quiet', 'job', 'forget', `${second},${running}`]);
  assert.deepEqual([quietForget.stdout, quietForget.stderr], [`${second}\n`, '']);
  const none = await c.hq(['job', 'forget', String(running)]);
  assert.deepEqual(logged(none.stderr), ['INFO 0 jobs were forgotten, 1 were ignored due to wrong state or invalid ID']);
  const listed = (await c.hqJson<Array<{ id: number }>>(['job', 'list', '--all'])).map((j) => j.id);
  assert.deepEqual(
    [first, second, running].filter((id) => listed.includes(id)),
    [running],
  );
  fs.writeFileSync(path.join(dir, 'gate'), '');
  assert.equal((await c.hq(['job', 'wait', String(running)])).code, 0);
});

test('rm-if-finished removes an output file once its task finished, not when it failed or was canceled', async () => {
  const dir = c.mkdir('rm-if-finished');
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const exists = (name: string) => fs.existsSync(path.join(dir, name));

  // The file is there while the task runs, and gone once it finished.
  const gated = await submit(dir, ['--stdout', 'gated.txt:rm-if-finished', '--', 'bash', '-c', 'echo hello; while [ ! -e gate ]; do sleep 0.05; done']);
  await eventually(() => (exists('gated.txt') && read('gated.txt') === 'hello\n' ? true : undefined), 'output written while running');
  fs.writeFileSync(path.join(dir, 'gate'), '');
  assert.equal((await c.hq(['job', 'wait', String(gated)])).code, 0);
  assert.equal(exists('gated.txt'), false, 'the output of a finished task was kept');

  // Task 1 finishes, task 2 fails; `:rm-if-finished` alone keeps the default path.
  const array = await submit(dir, [
    '--array',
    '1-2',
    '--stdout',
    'out-%{TASK_ID}.txt:rm-if-finished',
    '--stderr',
    ':rm-if-finished',
    '--',
    'bash',
    '-c',
    'echo out; echo err >&2; exit $((HQ_TASK_ID - 1))',
  ]);
  assert.equal((await c.hq(['job', 'wait', String(array)])).code, 1);
  assert.equal(exists('out-1.txt'), false);
  assert.equal(exists(`job-${array}/1.stderr`), false);
  assert.equal(read('out-2.txt'), 'out\n');
  assert.equal(read(`job-${array}/2.stderr`), 'err\n');

  // A canceled task keeps its output.
  const canceled = await submit(dir, ['--stdout', 'canceled.txt:rm-if-finished', '--', 'bash', '-c', 'echo started; exec sleep 100']);
  await eventually(() => (exists('canceled.txt') && read('canceled.txt') === 'started\n' ? true : undefined), 'canceled task running');
  await c.hqOk(['job', 'cancel', String(canceled)]);
  await eventually(async () => ((await taskState(canceled, 0)) === 'CANCELED' ? true : undefined), 'task canceled');
  // Give a wrong removal every chance to happen.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(read('canceled.txt'), 'started\n');

  // The job-file form.
  const fromFile = await submitFile(
    dir,
    'rm.toml',
    `[[task]]
command = ["bash", "-c", "echo file-out; echo file-err >&2"]
stdout = { path = "file-%{TASK_ID}.out", on_close = "rm-if-finished" }
stderr = "file.err"
`,
  );
  assert.equal((await c.hq(['job', 'wait', String(fromFile)])).code, 0);
  assert.equal(read('file.err'), 'file-err\n');
  assert.equal(exists('file-0.out'), false);
});
