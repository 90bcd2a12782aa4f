// User mistakes against a live server: each is one line on stderr naming the
// bad value, a non-zero exit, no stack trace, and no effect on the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, oneLineError } from '../support/cluster.js';

let c: Cluster;
let work: string;

before(async () => {
  c = await Cluster.start({ workers: [{ cpus: 1 }] });
  work = c.mkdir('work');
});
after(() => c?.stop());

/** [arguments, text the error line must contain]. */
const MISTAKES: Array<[string[], string]> = [
  [['submit', '--array', '1-x', '--', 'true'], '1-x'],
  [['submit', '--array', '5-1', '--', 'true'], '5-1'],
  [['submit', '--time-limit', '5parsecs', '--', 'true'], '5parsecs'],
  [['submit', '--cpus', 'abc', '--', 'true'], 'abc'],
  [['submit', '--cpus', '0', '--', 'true'], "'0'"],
  [['submit', '--resource', 'gpus', '--', 'true'], 'gpus'],
  [['submit', '--resource', 'gpus=lots', '--', 'true'], 'gpus=lots'],
  [['submit', '--stdout', '%{NOPE}/out', '--', 'true'], '%{NOPE}'],
  [['submit', '--stderr', 'err-%{TASKID}', '--', 'true'], '%{TASKID}'],
  [['submit', '--cwd', 'dir-%{CWD}', '--', 'true'], '%{CWD}'],
  [['submit', '--max-fails', 'some', '--', 'true'], 'some'],
  [['submit', '--crash-limit', '0', '--', 'true'], "'0'"],
  [['submit', '--each-line', 'no-such-file.txt', '--', 'true'], 'no-such-file.txt'],
  [['submit', '--name', '--', 'true'], '--name'],
  [['submit', '--cwd'], '--cwd'],
  [['submit'], 'program'],
  [['submit', '--'], 'program'],
  [['job', 'info', '99'], '99'],
  [['job', 'info', 'abc'], 'abc'],
  [['job', 'wait', '99'], '99'],
  [['job', 'cancel', '99'], '99'],
  [['task', 'list', '99'], '99'],
  [['job', 'list', '--filter', 'sleeping'], 'sleeping'],
  [['worker', 'info', '999'], '999'],
  [['worker', 'start', '--cpus', 'x'], "'x'"],
  [['worker', 'start', '--idle-timeout', '1xyz'], '1xyz'],
];

test('each mistake is one line naming the bad value, and nothing is submitted', async () => {
  const failures: string[] = [];
  // Two at a time: each is a separate process.
  for (let i = 0; i < MISTAKES.length; i += 2) {
    const batch = MISTAKES.slice(i, i + 2);
    const results = await Promise.all(batch.map(([args]) => c.hq(args, { cwd: work })));
    results.forEach((r, j) => {
      const [args, named] = batch[j]!;
      try {
        const line = oneLineError(r);
        if (!line.includes(named)) throw new Error(`'${line}' does not name '${named}'`);
        if (r.stdout !== '') throw new Error(`unexpected stdout: ${r.stdout}`);
      } catch (e) {
        failures.push(`hq ${args.join(' ')}: ${(e as Error).message}`);
      }
    });
  }
  assert.deepEqual(failures, []);
  assert.equal(await c.hqOk(['--output-mode=quiet', 'job', 'list', '--all']), '');
  // Only the cluster's own worker ever registered.
  assert.equal(await c.hqOk(['--output-mode=quiet', 'worker', 'list', '--all']), `${c.workers[0]!.id} RUNNING\n`);
  assert.deepEqual(fs.readdirSync(work), []);
});

test('a second server on a live server directory is refused', async () => {
  const r = await c.hq(['server', 'start'], { timeoutMs: 10_000 });
  assert.match(oneLineError(r), /already running/);
  assert.match(r.stderr, new RegExp(String(c.server.pid)));
  assert.ok(c.server.running);
  const info = await c.hqJson<{ pid: number }>(['server', 'info']);
  assert.equal(info.pid, c.server.pid);
});

test('a directory where no server ever ran, or whose server was killed, says no server is running', async () => {
  const empty = c.mkdir('never-used');
  const none = await c.hq(['--server-dir', empty, 'job', 'list'], { noServerDir: true, timeoutMs: 10_000 });
  assert.match(oneLineError(none), /No server is running/);

  c.server.kill('SIGKILL');
  await c.server.waitExit();
  assert.ok(fs.existsSync(path.join(c.serverDir, 'hq-current', 'access.json')), 'a killed server leaves its access file');
  const r = await c.hq(['job', 'list'], { timeoutMs: 5_000 });
  assert.match(oneLineError(r), /No server is running/);
});
