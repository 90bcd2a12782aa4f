// Jobs larger than one answer frame part, and forgotten jobs whose rows the
// next jobs reuse, through the real CLI, server and a zero-work worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../support/cluster.js';

interface TaskJson {
  id: number;
  state: string;
  started_at?: string;
  finished_at?: string;
}

let c: Cluster;

before(async () => {
  c = await Cluster.start();
  await c.startWorker({ args: ['--zero-work'] });
});

after(async () => {
  await c?.stop();
});

async function submitAndWait(args: string[]): Promise<number> {
  const { id } = await c.hqJson<{ id: number }>(['submit', '--stdout', 'none', '--stderr', 'none', ...args, '--', '/bin/true']);
  assert.equal((await c.hq(['job', 'wait', String(id)], { timeoutMs: 120_000 })).code, 0);
  return id;
}

test('job info and task list of a job far longer than one answer part list every task once, in order', async () => {
  const tasks = 30_000;
  const job = await submitAndWait(['--array', `1-${tasks}`]);
  const [info] = await c.hqJson<Array<{ tasks: TaskJson[]; info: { task_stats: Record<string, number> } }>>(['job', 'info', String(job)], {
    timeoutMs: 120_000,
  });
  assert.equal(info!.info.task_stats.finished, tasks);
  assert.equal(info!.tasks.length, tasks);
  assert.ok(info!.tasks.every((t, i) => t.id === i + 1 && t.state === 'finished'));
  // A zero-work worker reports its tasks ended only (start and end would
  // leave in one report): the job and each task still get a start time.
  const [times] = await (await c.client()).jobInfo({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] });
  assert.ok(times!.startTime > 0 && times!.startTime <= times!.endTime, `job times: ${times!.startTime}, ${times!.endTime}`);
  assert.ok(info!.tasks.every((t) => t.started_at && t.finished_at && Date.parse(t.started_at) <= Date.parse(t.finished_at)));
  // The job started when its first task did and ended when its last task did.
  const tasksOfJob = await (await c.client()).tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'all' });
  let firstStart = Infinity;
  let lastEnd = 0;
  for (const t of tasksOfJob) {
    firstStart = Math.min(firstStart, t.startTime);
    lastEnd = Math.max(lastEnd, t.endTime);
  }
  assert.deepEqual([times!.startTime, times!.endTime], [firstStart, lastEnd]);

  // Task lists print {"<job id>": [tasks]}.
  const listed = await c.hqJson<Record<string, TaskJson[]>>(['task', 'list', String(job), '--tasks', '100-29999:100'], { timeoutMs: 120_000 });
  assert.deepEqual(
    listed[String(job)]!.map((t) => t.id),
    Array.from({ length: 299 }, (_, i) => 100 * (i + 1)),
  );
});

test('a job submitted after a forget runs in the forgotten rows with its own ids and states', async () => {
  const old = await submitAndWait(['--array', '1-5000']);
  const forget = await c.hq(['job', 'forget', String(old)]);
  assert.equal(forget.code, 0, forget.stderr);
  assert.equal((await c.hq(['job', 'info', String(old)])).code, 1);

  const job = await submitAndWait(['--array', '1,5,10-20:2']);
  const [info] = await c.hqJson<Array<{ tasks: TaskJson[]; info: { task_count: number } }>>(['job', 'info', String(job)]);
  assert.equal(info!.info.task_count, 8);
  assert.deepEqual(
    info!.tasks.map((t) => [t.id, t.state]),
    [1, 5, 10, 12, 14, 16, 18, 20].map((id) => [id, 'finished']),
  );
  const ids = (await c.hqOk(['--output-mode', 'quiet', 'job', 'task-ids', String(job)])).trim();
  assert.equal(ids, '1,5,10,12,14,16,18,20');
});
