// What a task sees (environment, working directory, output paths) and how
// failing and canceled tasks end, on a real worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, lines, processAlive } from '../support/cluster.js';

let c: Cluster;

before(async () => {
  // Four cpus, so that every task of the small jobs below can run at once.
  c = await Cluster.start({ workers: [{ cpus: 4 }] });
});
after(() => c?.stop());

const read = (...parts: string[]) => fs.readFileSync(path.join(...parts), 'utf8');

/** Submits in `cwd`; returns the new job id. */
async function submit(cwd: string, args: string[]): Promise<number> {
  const out = await c.hqOk(['--output-mode=quiet', 'submit', ...args], { cwd });
  return Number(out.trim());
}

async function waitJob(id: number): Promise<number> {
  return (await c.hq(['job', 'wait', String(id)])).code;
}

test('a task sees its ids, cpus, submit dir and --env values', async () => {
  const dir = c.mkdir('env');
  const script = 'echo "$HQ_JOB_ID|$HQ_TASK_ID|$HQ_INSTANCE_ID|$HQ_CPUS|$HQ_SUBMIT_DIR|$PWD|$K|$EQ|$SPACED"';
  const job = await submit(dir, [
    '--array',
    '3-4',
    '--cpus',
    '2',
    '--env',
    'K=V',
    '--env',
    'EQ=a=b',
    '--env',
    'SPACED=x y',
    '--',
    'bash',
    '-c',
    script,
  ]);
  assert.equal(await waitJob(job), 0);
  for (const task of [3, 4]) {
    const [jobId, taskId, instance, cpus, submitDir, cwd, k, eq, spaced] = read(dir, `job-${job}`, `${task}.stdout`)
      .trimEnd()
      .split('|');
    assert.equal(jobId, String(job));
    assert.equal(taskId, String(task));
    assert.equal(instance, '0');
    const ids = cpus!.split(',');
    assert.equal(ids.length, 2, `HQ_CPUS=${cpus}`);
    assert.equal(new Set(ids).size, 2);
    for (const id of ids) assert.ok(['0', '1', '2', '3'].includes(id), `HQ_CPUS=${cpus}`);
    assert.equal(submitDir, dir);
    assert.equal(cwd, dir);
    assert.equal(k, 'V');
    assert.equal(eq, 'a=b');
    assert.equal(spaced, 'x y');
  }

  // One cpu by default; `all` takes every cpu of the worker.
  const single = await submit(dir, ['--', 'bash', '-c', 'echo "$HQ_CPUS"']);
  const whole = await submit(dir, ['--cpus', 'all', '--', 'bash', '-c', 'echo "$HQ_CPUS"']);
  assert.equal(await waitJob(single), 0);
  assert.equal(await waitJob(whole), 0);
  assert.match(read(dir, `job-${single}`, '0.stdout'), /^[0-3]\n$/);
  assert.deepEqual(read(dir, `job-${whole}`, '0.stdout').trim().split(',').sort(), ['0', '1', '2', '3']);
});

test('--each-line and --from-json hand each task its entry in HQ_ENTRY', async () => {
  const dir = c.mkdir('entries');
  fs.writeFileSync(path.join(dir, 'lines.txt'), 'first line\nsecond\n\nfourth $HOME\n');
  fs.writeFileSync(path.join(dir, 'items.json'), JSON.stringify([{ a: 1 }, 'text', 3, [1, 2]]));
  const show = ['--', 'bash', '-c', 'printf "%s|%s" "$HQ_TASK_ID" "$HQ_ENTRY"'];

  const byLine = await submit(dir, ['--each-line', 'lines.txt', ...show]);
  const byJson = await submit(dir, ['--from-json', 'items.json', ...show]);
  assert.equal(await waitJob(byLine), 0);
  assert.equal(await waitJob(byJson), 0);

  const lineOut = [0, 1, 2, 3].map((t) => read(dir, `job-${byLine}`, `${t}.stdout`));
  assert.deepEqual(lineOut, ['0|first line', '1|second', '2|', '3|fourth $HOME']);
  const jsonOut = [0, 1, 2, 3].map((t) => read(dir, `job-${byJson}`, `${t}.stdout`));
  assert.deepEqual(jsonOut, ['0|{"a":1}', '1|"text"', '2|3', '3|[1,2]']);
});

test('--cwd and --stdout/--stderr placeholders are resolved per task; none writes nothing', async () => {
  const dir = c.mkdir('paths');
  const serverUid = c.access().server_uid;
  const job = await submit(dir, [
    '--array',
    '1-2',
    '--cwd',
    'run-%{JOB_ID}-%{TASK_ID}',
    '--stdout',
    '%{CWD}/out-%{JOB_ID}-%{TASK_ID}-%{INSTANCE_ID}-%{SERVER_UID}.txt',
    '--stderr',
    '%{SUBMIT_DIR}/err-%{TASK_ID}.txt',
    '--',
    'bash',
    '-c',
    'echo "out $PWD"; echo "err $HQ_TASK_ID" >&2',
  ]);
  assert.equal(await waitJob(job), 0);
  for (const task of [1, 2]) {
    const cwd = path.join(dir, `run-${job}-${task}`);
    assert.equal(read(cwd, `out-${job}-${task}-0-${serverUid}.txt`), `out ${cwd}\n`);
    assert.equal(read(dir, `err-${task}.txt`), `err ${task}\n`);
  }
  assert.equal(fs.existsSync(path.join(dir, `job-${job}`)), false);

  const silentDir = c.mkdir('silent');
  const silent = await submit(silentDir, ['--stdout', 'none', '--stderr', 'none', '--', 'bash', '-c', 'echo out; echo err >&2']);
  assert.equal(await waitJob(silent), 0);
  assert.deepEqual(fs.readdirSync(silentDir), []);
});

test('a task exiting with 3 fails its job; wait, job info and task list say so', async () => {
  const dir = c.mkdir('fail');
  const job = await submit(dir, ['--', 'bash', '-c', 'exit 3']);
  const waited = await c.hq(['job', 'wait', String(job)]);
  assert.notEqual(waited.code, 0);

  const quietList = await c.hqOk(['--output-mode=quiet', 'job', 'list', '--all']);
  assert.ok(lines(quietList).includes(`${job} FAILED`), quietList);

  const info = await c.hqOk(['job', 'info', String(job)]);
  assert.match(info, /FAILED/);
  assert.match(info, /exit code 3/);

  const taskTable = await c.hqOk(['task', 'list', String(job)]);
  assert.match(taskTable, /FAILED/);
  const tasks = await c.hqJson<Record<string, Array<{ id: number; state: string; error?: string }>>>(['task', 'list', String(job)]);
  const [task] = tasks[String(job)]!;
  assert.equal(task!.state, 'failed');
  assert.match(task!.error ?? '', /exit code 3/);
});

test('--max-fails cancels the rest of the job once more tasks failed', async () => {
  const dir = c.mkdir('max-fails');
  // Tasks 1 and 2 fail at once; 3 and 4 wait for a gate that never opens, so
  // only the cancellation can end them. All four fit on the worker at once.
  const job = await submit(dir, [
    '--array',
    '1-4',
    '--max-fails',
    '1',
    '--',
    'bash',
    '-c',
    'if [ "$HQ_TASK_ID" -le 2 ]; then exit 1; fi; echo $$ > pid-$HQ_TASK_ID; while [ ! -e gate ]; do sleep 0.05; done',
  ]);
  const waited = await c.hq(['job', 'wait', String(job)]);
  assert.notEqual(waited.code, 0);
  const [detail] = await (await c.client()).jobInfo({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] });
  assert.equal(detail!.state, 'FAILED');
  assert.deepEqual(detail!.counts, { waiting: 0, running: 0, finished: 0, failed: 2, canceled: 2 });
  // The canceled tasks' processes were ended (those that got to start).
  for (const task of [3, 4]) {
    const pidFile = path.join(dir, `pid-${task}`);
    if (!fs.existsSync(pidFile)) continue;
    const pid = Number(read(pidFile));
    await eventually(() => (processAlive(pid) ? undefined : true), `process of canceled task ${task} ends`);
  }
});

test('canceling a running job kills its process and marks it CANCELED', async () => {
  const dir = c.mkdir('cancel');
  const job = await submit(dir, ['--', 'bash', '-c', 'echo $$ > pid; exec sleep 100']);
  const pidFile = path.join(dir, 'pid');
  const pid = await eventually(() => (fs.existsSync(pidFile) ? Number(read(pidFile)) || undefined : undefined), 'task started');
  assert.ok(processAlive(pid));

  const cancel = await c.hq(['job', 'cancel', String(job)]);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stderr, new RegExp(`Job ${job} canceled \\(1 tasks? canceled`), cancel.stderr);
  await eventually(() => (processAlive(pid) ? undefined : true), 'canceled task process ends');

  assert.notEqual((await c.hq(['job', 'wait', String(job)])).code, 0);
  const list = await c.hqOk(['job', 'list', '--all']);
  const row = lines(list).find((l) => new RegExp(`^\\|\\s*${job}\\s*\\|`).test(l));
  assert.match(row ?? '', /CANCELED/, list);
});

test('a task over its --time-limit is killed and fails', async () => {
  const dir = c.mkdir('time-limit');
  const job = await submit(dir, ['--time-limit', '1s', '--', 'bash', '-c', 'echo $$ > pid; exec sleep 100']);
  assert.notEqual((await c.hq(['job', 'wait', String(job)])).code, 0);
  const pid = Number(read(dir, 'pid'));
  await eventually(() => (processAlive(pid) ? undefined : true), 'task process over its time limit ends');
  const [task] = await (await c.client()).tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'all' });
  assert.equal(task!.state, 'FAILED');
  assert.match(task!.error, /time limit/i);
});

test('a job whose definition is too large to ride with its assignment (over 1 MiB) still reaches the worker', async () => {
  const dir = c.mkdir('large-definition');
  // 45 tasks with a 110 000-character value each: about 5 MB of job definition.
  const tasks = 45;
  const value = (i: number) => String.fromCharCode(97 + (i % 26)).repeat(110_000);
  const toml = Array.from(
    { length: tasks },
    (_, i) => `[[task]]\nid = ${i}\ncommand = ["bash", "-c", "printf '%s %s' \\"\${#BIG}\\" \\"\${BIG:0:1}\\""]\nenv = { BIG = "${value(i)}" }\n`,
  ).join('\n');
  fs.writeFileSync(path.join(dir, 'big.toml'), toml);
  const job = Number((await c.hqOk(['--output-mode=quiet', 'job', 'submit-file', 'big.toml'], { cwd: dir, timeoutMs: 60_000 })).trim());
  assert.equal(await waitJob(job), 0);
  for (const i of [0, 1, 25, tasks - 1]) {
    assert.equal(read(dir, `job-${job}`, `${i}.stdout`), `110000 ${value(i)[0]}`);
  }
  // A small job after it still runs (its definition rides with its assignment).
  const small = await submit(dir, ['--', 'bash', '-c', 'printf ok']);
  assert.equal(await waitJob(small), 0);
  assert.equal(read(dir, `job-${small}`, '0.stdout'), 'ok');
});
