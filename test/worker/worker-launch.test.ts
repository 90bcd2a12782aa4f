// Tasks of real workers through their launcher: output streaming through the
// native launcher, which channels a stream takes, the Node fallback, and what
// a worker killed with SIGKILL leaves behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, processAlive, processesUnder } from '../support/cluster.js';
import { nativeLauncherPath } from '../../src/worker/launcher.js';

const noNative = nativeLauncherPath() === null ? 'hq-launcher was not built' : false;

async function submit(c: Cluster, cwd: string, args: string[]): Promise<number> {
  return Number((await c.hqOk(['--output-mode=quiet', 'submit', ...args], { cwd })).trim());
}

async function waitOk(c: Cluster, job: number, timeoutMs = 120_000): Promise<void> {
  const r = await c.hq(['job', 'wait', String(job)], { timeoutMs });
  assert.equal(r.code, 0, `job ${job}: ${r.stderr}${r.stdout}`);
}

function range(count: number, line: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => line(i + 1)).join('');
}

test('streamed tasks start through the native launcher; their outputs come back whole and in task order', { skip: noNative }, async (t) => {
  const c = await Cluster.start({ workers: [{ cpus: 2 }] });
  t.after(() => c.stop());
  await c.workers[0]!.waitForLog(/tasks start through the native launcher/, 'the launcher in the worker log');
  const dir = c.mkdir('stream');
  const count = 3000;
  // Task 1 names the process that started it; task 7 writes far more than a pipe holds.
  const script =
    'echo "out-$HQ_TASK_ID"; echo "err-$HQ_TASK_ID" >&2; ' +
    'if [ "$HQ_TASK_ID" = 1 ]; then cat /proc/$PPID/comm; fi; if [ "$HQ_TASK_ID" = 7 ]; then seq 1 100000; fi';
  const job = await submit(c, dir, ['--stream', 'out', '--array', `1-${count}`, '--', 'sh', '-c', script]);
  await waitOk(c, job);

  const stdout = range(count, (i) => `out-${i}\n${i === 1 ? 'hq-launcher\n' : ''}${i === 7 ? range(100_000, (k) => `${k}\n`) : ''}`);
  assert.equal(await c.hqOk(['output-log', 'out', 'cat', 'stdout'], { cwd: dir }), stdout);
  assert.equal(await c.hqOk(['output-log', 'out', 'cat', 'stderr'], { cwd: dir }), range(count, (i) => `err-${i}\n`));
  const summary = await c.hqOk(['output-log', 'out', 'summary'], { cwd: dir });
  assert.match(summary, new RegExp(`^Tasks: ${count}$`, 'm'), summary);
  assert.match(summary, /^Incomplete tasks: 0$/m, summary);
  assert.equal(fs.existsSync(path.join(dir, `job-${job}`)), false, 'no per-task files');
});

test('with --stream, a channel given a path or none does not go to the stream', async (t) => {
  const c = await Cluster.start({ workers: [{ cpus: 2 }] });
  t.after(() => c.stop());
  const dir = c.mkdir('partial');
  const both = ['--array', '1-3', '--', 'sh', '-c', 'echo "o$HQ_TASK_ID"; echo "e$HQ_TASK_ID" >&2'];
  const noStdout = await submit(c, dir, ['--stream', 'out', '--stdout', 'none', ...both]);
  const stderrFiles = await submit(c, dir, ['--stream', 'out', '--stderr', '%{CWD}/err-%{TASK_ID}.txt', ...both]);
  fs.writeFileSync(
    path.join(dir, 'job.toml'),
    ['stream = "out"', '[array]', 'ids = "1-3"', 'command = ["sh", "-c", "echo o$HQ_TASK_ID; echo e$HQ_TASK_ID >&2"]', 'stdout = "none"', ''].join('\n'),
  );
  const fromFile = Number((await c.hqOk(['--output-mode=quiet', 'job', 'submit-file', 'job.toml'], { cwd: dir })).trim());
  for (const job of [noStdout, stderrFiles, fromFile]) await waitOk(c, job);

  const cat = (job: number, channel: string) => c.hqOk(['output-log', 'out', 'cat', channel, '--job', String(job)], { cwd: dir });
  const three = (prefix: string) => range(3, (i) => `${prefix}${i}\n`);
  assert.equal(await cat(noStdout, 'stdout'), '');
  assert.equal(await cat(noStdout, 'stderr'), three('e'));
  assert.equal(await cat(stderrFiles, 'stdout'), three('o'));
  assert.equal(await cat(stderrFiles, 'stderr'), '');
  for (let i = 1; i <= 3; i++) assert.equal(fs.readFileSync(path.join(dir, `err-${i}.txt`), 'utf8'), `e${i}\n`);
  // A job file's task without stdout/stderr keys streams them; `none` discards.
  assert.equal(await cat(fromFile, 'stdout'), '');
  assert.equal(await cat(fromFile, 'stderr'), three('e'));
  for (const job of [noStdout, stderrFiles, fromFile]) assert.equal(fs.existsSync(path.join(dir, `job-${job}`)), false);
});

test('a worker killed with SIGKILL leaves no task processes behind', { skip: noNative }, async (t) => {
  const c = await Cluster.start({ workers: [{ cpus: 4 }] });
  t.after(() => c.stop());
  const dir = c.mkdir('killed');
  const sleeper = (name: string) => ['sh', '-c', `echo $$ > ${name}-$HQ_TASK_ID; exec sleep 300`];
  await submit(c, dir, ['--array', '1-5', '--', ...sleeper('pid')]);
  await submit(c, dir, ['--stream', 'out', '--', ...sleeper('streamed')]);
  const pidFiles = () => fs.readdirSync(dir).filter((f) => /^(pid|streamed)-\d+$/.test(f));
  // Four cpus: three of the first job and the streamed task run, the fifth waits.
  await eventually(() => (pidFiles().length === 4 ? true : undefined), 'four tasks running');
  const pids = pidFiles().map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8')));
  const worker = c.workers[0]!;
  const launcher = fs
    .readFileSync(`/proc/${worker.pid}/task/${worker.pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number)
    .find((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'hq-launcher');
  assert.ok(launcher, 'the worker has an hq-launcher child');

  worker.kill('SIGKILL');
  await worker.waitExit();
  for (const pid of [...pids, launcher]) await eventually(() => (processAlive(pid) ? undefined : true), `process ${pid} ends`);
  assert.deepEqual(processesUnder(dir), []);
});

test("with HQ_LAUNCHER=node tasks start through Node's child_process and behave the same", async (t) => {
  const c = await Cluster.start({ workers: [{ cpus: 2, env: { HQ_LAUNCHER: 'node' } }] });
  t.after(() => c.stop());
  await c.workers[0]!.waitForLog(/tasks start through Node's child_process/, 'the launcher in the worker log');
  const dir = c.mkdir('node');
  const script = 'echo "o$HQ_TASK_ID $HQ_CPUS"; echo "e$HQ_TASK_ID" >&2; exit $((HQ_TASK_ID == 4))';
  const files = await submit(c, dir, ['--array', '1-4', '--', 'sh', '-c', script]);
  const streamed = await submit(c, dir, ['--stream', 'out', '--stderr', 'none', '--array', '1-50', '--', 'sh', '-c', 'echo "s$HQ_TASK_ID"']);
  assert.notEqual((await c.hq(['job', 'wait', String(files)])).code, 0);
  await waitOk(c, streamed);
  for (let i = 1; i <= 3; i++) {
    assert.match(fs.readFileSync(path.join(dir, `job-${files}`, `${i}.stdout`), 'utf8'), new RegExp(`^o${i} [01]\\n$`));
    assert.equal(fs.readFileSync(path.join(dir, `job-${files}`, `${i}.stderr`), 'utf8'), `e${i}\n`);
  }
  const info = await c.hqOk(['task', 'info', String(files), '4']);
  assert.match(info, /exit code 1/);
  assert.equal(await c.hqOk(['output-log', 'out', 'cat', 'stdout'], { cwd: dir }), range(50, (i) => `s${i}\n`));
});
