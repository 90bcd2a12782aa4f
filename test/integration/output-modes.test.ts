// What `hq` prints in quiet and json modes, chosen by flag or by
// $HQ_OUTPUT_MODE, against a live server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, lines } from '../support/cluster.js';

let c: Cluster;
let work: string;

before(async () => {
  c = await Cluster.start({ workers: [{ cpus: 1 }] });
  work = c.mkdir('work');
});
after(() => c?.stop());

test('quiet submit prints the job id alone, quiet job list prints ID STATE lines', async () => {
  assert.equal(await c.hqOk(['--output-mode=quiet', 'submit', '--', 'true'], { cwd: work }), '1\n');
  assert.equal(await c.hqOk(['--output-mode', 'quiet', 'submit', '--array', '1-2', '--', 'false'], { cwd: work }), '2\n');
  await c.hq(['job', 'wait', 'all']);
  assert.deepEqual(lines(await c.hqOk(['--output-mode=quiet', 'job', 'list', '--all'])), ['1 FINISHED', '2 FAILED']);
});

test('json job list, job info, worker list and server info parse', async () => {
  const jobs = await c.hqJson<Array<{ id: number; name: string; task_count: number }>>(['job', 'list', '--all']);
  assert.deepEqual(
    jobs.map((j) => [j.id, j.name, j.task_count]),
    [
      [1, 'true', 1],
      [2, 'false', 2],
    ],
  );

  const info = await c.hqJson<Array<{ info: { id: number; task_count: number } }>>(['job', 'info', '2']);
  assert.equal(info.length, 1);
  assert.equal(info[0]!.info.id, 2);
  assert.equal(info[0]!.info.task_count, 2);

  const workers = await c.hqJson<Array<{ id: number }>>(['worker', 'list']);
  assert.deepEqual(
    workers.map((w) => w.id),
    [c.workers[0]!.id],
  );

  const server = await c.hqJson<{ server_dir: string; server_uid: string; pid: number }>(['server', 'info']);
  assert.equal(server.server_dir, c.serverDir);
  assert.equal(server.server_uid, c.access().server_uid);
  assert.equal(server.pid, c.server.pid);
});

test('HQ_OUTPUT_MODE chooses the mode; the flag wins over it', async () => {
  const json = await c.hqOk(['job', 'list', '--all'], { env: { HQ_OUTPUT_MODE: 'json' } });
  assert.equal((JSON.parse(json) as unknown[]).length, 2);

  const quiet = await c.hqOk(['submit', '--', 'true'], { cwd: work, env: { HQ_OUTPUT_MODE: 'quiet' } });
  assert.equal(quiet, '3\n');

  const cli = await c.hqOk(['--output-mode', 'cli', 'job', 'list', '--all'], { env: { HQ_OUTPUT_MODE: 'json' } });
  assert.throws(() => JSON.parse(cli));
  assert.match(cli, /\|\s*3\s*\|/);
});
