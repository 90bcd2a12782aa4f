// Where streamed output goes, on real clusters: placeholders in `--stream`,
// a stream directory per submission into an open job, and one directory
// shared by two servers, read apart with `hq output-log --server-uid`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, lines, oneLineError } from '../support/cluster.js';

let c: Cluster;
let uid: string;

before(async () => {
  c = await Cluster.start({ workers: [{ cpus: 2 }] });
  uid = c.access().server_uid;
});
after(() => c?.stop());

async function submit(cluster: Cluster, cwd: string, args: string[]): Promise<number> {
  return Number((await cluster.hqOk(['--output-mode=quiet', 'submit', ...args], { cwd })).trim());
}

const streamFiles = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith('.hqs'));

test('--stream fills %{JOB_ID}, %{SERVER_UID} and %{SUBMIT_DIR} as HyperQueue does', async () => {
  const dir = c.mkdir('placeholders');
  const job = await submit(c, dir, ['--stream', 'streams/%{SERVER_UID}/job-%{JOB_ID}', '--array', '1-2', '--', 'bash', '-c', 'echo "out $HQ_TASK_ID"']);
  const other = await submit(c, dir, ['--stream', '%{SUBMIT_DIR}/s-%{JOB_ID}', '--', 'echo', 'other']);
  assert.equal((await c.hq(['job', 'wait', `${job},${other}`])).code, 0);

  const first = path.join(dir, 'streams', uid, `job-${job}`);
  assert.ok(streamFiles(first).length > 0, `no stream file in ${first}`);
  assert.equal(await c.hqOk(['output-log', first, 'cat', 'stdout']), 'out 1\nout 2\n');
  assert.equal(await c.hqOk(['output-log', path.join(dir, `s-${other}`), 'cat', 'stdout']), 'other\n');
  assert.equal(await c.hqOk(['job', 'cat', String(job), 'stdout']), 'out 1\nout 2\n');
  // Nothing was created under a name that still holds a placeholder.
  const names: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      names.push(entry.name);
      if (entry.isDirectory()) walk(path.join(at, entry.name));
    }
  };
  walk(dir);
  assert.ok(!names.some((n) => n.includes('%{')), names.join(' '));

  // Task ids are not known per stream: refused before any job exists.
  const before = (await (await c.client()).listJobs(true)).length;
  const error = oneLineError(await c.hq(['submit', '--stream', 'x-%{TASK_ID}', '--', 'true'], { cwd: dir }));
  assert.match(error, /%\{TASK_ID\}/);
  assert.equal((await (await c.client()).listJobs(true)).length, before);
});

test('each submit into an open job streams where it asked to, or writes files', async () => {
  const dir = c.mkdir('open');
  const job = Number((await c.hqOk(['--output-mode=quiet', 'job', 'open'], { cwd: dir })).trim());
  await submit(c, dir, ['--job', String(job), '--stream', 'a', '--', 'bash', '-c', 'echo "a $HQ_TASK_ID"']);
  await submit(c, dir, ['--job', String(job), '--stream', 'b', '--', 'bash', '-c', 'echo "b $HQ_TASK_ID"']);
  await submit(c, dir, ['--job', String(job), '--', 'bash', '-c', 'echo "c $HQ_TASK_ID"']);
  await c.hqOk(['job', 'close', String(job)]);
  assert.equal((await c.hq(['job', 'wait', String(job)])).code, 0);

  assert.equal(await c.hqOk(['output-log', 'a', 'cat', 'stdout'], { cwd: dir }), 'a 0\n');
  assert.equal(await c.hqOk(['output-log', 'b', 'cat', 'stdout'], { cwd: dir }), 'b 1\n');
  assert.equal(fs.readFileSync(path.join(dir, `job-${job}`, '2.stdout'), 'utf8'), 'c 2\n');
  assert.equal(fs.existsSync(path.join(dir, `job-${job}`, '0.stdout')), false);
  // job cat gathers them in task order, from wherever each went.
  assert.equal(await c.hqOk(['job', 'cat', String(job), 'stdout']), 'a 0\nb 1\nc 2\n');
  assert.equal(
    await c.hqOk(['job', 'cat', String(job), 'stdout', '--print-task-header', '--tasks', '1-2']),
    `# Job ${job}, task 1\nb 1\n# Job ${job}, task 2\nc 2\n`,
  );
  const info = await c.hqOk(['task', 'info', String(job), '0']);
  assert.match(info, /\| Stdout +\| <Stream> +\|/, info);
});

test('a stream directory shared by two servers is read one server at a time with --server-uid', async (t) => {
  const other = await Cluster.start({ workers: [{ cpus: 1 }] });
  t.after(() => other.stop());
  const otherUid = other.access().server_uid;
  assert.notEqual(otherUid, uid);
  const shared = c.mkdir('shared');
  const mine = await submit(c, shared, ['--stream', shared, '--', 'echo', 'from the first server']);
  const theirs = await submit(other, shared, ['--stream', shared, '--', 'echo', 'from the second server']);
  assert.equal((await c.hq(['job', 'wait', String(mine)])).code, 0);
  assert.equal((await other.hq(['job', 'wait', String(theirs)])).code, 0);

  const mixed = oneLineError(await c.hq(['output-log', shared, 'summary']));
  assert.match(mixed, /--server-uid/);
  assert.equal(await c.hqOk(['output-log', shared, '--server-uid', uid, 'cat', 'stdout']), 'from the first server\n');
  assert.equal(await c.hqOk(['output-log', shared, 'cat', 'stdout', '--server-uid', otherUid]), 'from the second server\n');
  const summary = await c.hqOk(['output-log', shared, 'summary', '--server-uid', otherUid]);
  assert.deepEqual(
    lines(summary).filter((l) => /^(Files|Jobs|Tasks):/.test(l)),
    ['Files: 1', 'Jobs: 1', 'Tasks: 1'],
  );
  assert.match(oneLineError(await c.hq(['output-log', shared, 'summary', '--server-uid', 'nosuch'])), /nosuch/);
  // Each server's job cat reads its own part of the directory.
  assert.equal(await c.hqOk(['job', 'cat', String(mine), 'stdout']), 'from the first server\n');
  assert.equal(await other.hqOk(['job', 'cat', String(theirs), 'stdout']), 'from the second server\n');
});
