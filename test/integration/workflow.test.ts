// The workflow of HyperQueue's quick start, on real processes: start a
// server and a worker, submit a task array, wait for it, read its outputs,
// stop the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, lines, oneLineError, processAlive } from '../support/cluster.js';
import { trueTemplate } from '../../bench/client-jobs.js';

test('a 1000-task array runs to the end and the server stops with its workers', async (t) => {
  const c = await Cluster.start({ workers: [{ cpus: 2 }] });
  t.after(() => c.stop());
  await c.hqOk(['worker', 'wait', '1']);

  const work = c.mkdir('work');
  const submitted = await c.hqOk(['submit', '--array', '1-1000', '--', 'bash', '-c', 'echo $HQ_JOB_ID-$HQ_TASK_ID'], {
    cwd: work,
  });
  assert.match(submitted, /job ID: 1\b/);

  // Generous: a loaded machine may take long for 1000 processes.
  const waited = await c.hq(['job', 'wait', 'all'], { timeoutMs: 120_000 });
  assert.equal(waited.code, 0, waited.stderr);

  const table = await c.hqOk(['job', 'list', '--all']);
  const row = lines(table).find((l) => /^\|\s*1\s*\|/.test(l));
  assert.ok(row, `job 1 missing from:\n${table}`);
  assert.match(row, /\|\s*FINISHED\s*\|\s*1000\s*\|/);

  const outDir = path.join(work, 'job-1');
  for (let id = 1; id <= 1000; id++) {
    assert.equal(fs.readFileSync(path.join(outDir, `${id}.stdout`), 'utf8'), `1-${id}\n`, `task ${id}`);
    assert.equal(fs.readFileSync(path.join(outDir, `${id}.stderr`), 'utf8'), '', `task ${id}`);
  }
  assert.equal(fs.readdirSync(outDir).length, 2000);

  // The worker knows by now that such tasks are short: it reports most of
  // them once they ended, start and end together. Job and tasks still have
  // both times.
  const short = await c.hqJson<{ id: number }>(['submit', '--array', '1-100', '--stdout', 'none', '--stderr', 'none', '--', 'true'], { cwd: work });
  assert.equal((await c.hq(['job', 'wait', String(short.id)], { timeoutMs: 120_000 })).code, 0);
  const [job] = await (await c.client()).jobInfo({ kind: 'ids', ranges: [{ start: short.id, end: short.id, step: 1 }] });
  assert.ok(job!.startTime > 0 && job!.startTime <= job!.endTime, `job times: ${job!.startTime}, ${job!.endTime}`);
  type Times = { started_at?: string; finished_at?: string };
  const [json] = await c.hqJson<Array<{ tasks: Array<Times & { id: number }> }>>(['job', 'info', String(short.id)]);
  assert.equal(json!.tasks.length, 100);
  for (const task of json!.tasks) {
    assert.ok(task.started_at && task.finished_at, `task ${task.id}: ${JSON.stringify(task)}`);
    assert.ok(Date.parse(task.started_at) <= Date.parse(task.finished_at), `task ${task.id} started before it ended`);
  }

  const stop = await c.hq(['server', 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
  const serverExit = await c.server.waitExit();
  assert.equal(serverExit.code, 0, c.server.log());
  const workerExit = await c.workers[0]!.waitExit();
  assert.equal(workerExit.code, 0, c.workers[0]!.log());

  const info = await c.hq(['server', 'info']);
  assert.match(oneLineError(info), /No server is running/);
});

test('hq server stop ends running tasks and tells waiting clients', async (t) => {
  const c = await Cluster.start({ workers: [{ cpus: 1 }] });
  t.after(() => c.stop());
  const work = c.mkdir('work');
  await c.hqOk(['submit', '--', 'bash', '-c', 'echo $$ > pid; exec sleep 100'], { cwd: work });
  const pidFile = path.join(work, 'pid');
  const readPid = () => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) || undefined : undefined);
  const pid = await eventually(readPid, 'task started');
  // A client already waiting for the job when the server goes.
  const client = await c.client();
  const waiting = client.waitJobs({ kind: 'all' }).then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  await client.serverInfo(); // answered after the wait request was read

  assert.equal((await c.hq(['server', 'stop'])).code, 0);
  assert.equal((await c.server.waitExit()).code, 0, c.server.log());
  assert.equal((await c.workers[0]!.waitExit()).code, 0, c.workers[0]!.log());
  await eventually(() => (processAlive(pid) ? undefined : true), 'task process ends with the server');
  assert.match(await waiting, /Connection to the server lost/);
});

test('jobs waiting before any worker run with their own commands on the worker that comes, also an open job extended later', async (t) => {
  const c = await Cluster.start();
  t.after(() => c.stop());
  const work = c.mkdir('work');
  // The first assignment to the worker names tasks of all of these jobs at once.
  for (const word of ['alpha', 'beta', 'gamma']) {
    await c.hqOk(['submit', '--array', '1-3', '--env', `WORD=${word}`, '--', 'bash', '-c', 'echo $WORD $HQ_TASK_ID'], { cwd: work });
  }
  // An open job's tasks run in the directory it was opened in.
  const open = (await c.hqJson<{ id: number }>(['job', 'open'], { cwd: work })).id;
  await c.hqOk(['submit', '--job', String(open), '--', 'bash', '-c', 'echo first'], { cwd: work });
  await c.startWorker({ cpus: 2 });
  const firstOut = path.join(work, `job-${open}`, '0.stdout');
  await eventually(() => (fs.existsSync(firstOut) && fs.readFileSync(firstOut, 'utf8') === 'first\n' ? true : undefined), 'first task of the open job');
  // The worker knows the open job already: the new submission's definition reaches it on its own.
  await c.hqOk(['submit', '--job', String(open), '--', 'bash', '-c', 'echo second'], { cwd: work });
  await c.hqOk(['job', 'close', String(open)]);
  const waited = await c.hq(['job', 'wait', 'all'], { timeoutMs: 60_000 });
  assert.equal(waited.code, 0, waited.stderr);
  ['alpha', 'beta', 'gamma'].forEach((word, i) => {
    for (let task = 1; task <= 3; task++) {
      assert.equal(fs.readFileSync(path.join(work, `job-${i + 1}`, `${task}.stdout`), 'utf8'), `${word} ${task}\n`);
    }
  });
  assert.equal(fs.readFileSync(path.join(work, `job-${open}`, '1.stdout'), 'utf8'), 'second\n');
});

test('a job canceled right after its submit, over the same connection, never runs', async (t) => {
  // The submit is answered before the scheduler thread has taken the job;
  // the cancel must still reach the scheduler after it.
  const c = await Cluster.start();
  t.after(() => c.stop());
  const work = c.mkdir('work');
  const client = await c.client();
  const spec = (name: string, tasks: number) => ({
    name,
    maxFails: null,
    submitDir: work,
    streamDir: '',
    templates: [trueTemplate(tasks, { args: ['bash', '-c', `touch ${name}-$HQ_TASK_ID`], cwd: work })],
  });
  const canceled = await client.submit(spec('canceled', 20));
  const result = await client.cancelJobs({ kind: 'ids', ranges: [{ start: canceled, end: canceled, step: 1 }] });
  assert.deepEqual(
    result.canceled.map((r) => [r.jobId, r.canceledTasks]),
    [[canceled, 20]],
  );
  // A worker that comes afterwards runs the next job, and nothing of the canceled one.
  const next = await client.submit(spec('next', 2));
  await c.startWorker({ cpus: 2 });
  const [first, second] = await client.waitJobs({ kind: 'ids', ranges: [{ start: canceled, end: next, step: 1 }] });
  assert.equal(first!.state, 'CANCELED');
  assert.equal(first!.counts.canceled, 20);
  assert.equal(second!.state, 'FINISHED');
  assert.deepEqual(fs.readdirSync(work).sort(), ['next-1', 'next-2']);
});
