// Output streaming at scale: 10000 tasks on two workers write their stdout
// and stderr into one stream directory (`hq submit --stream`), and
// `hq output-log` and `hq job cat` give every line back exactly once, in
// task order. A file of its own: it is the slowest toolbox check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster } from '../support/cluster.js';

test('--stream: 10000 tasks write one stream that output-log and job cat read back in task order', async (t) => {
  // Two workers, so that the streams of several writers are merged back in order.
  const c = await Cluster.start({ workers: [{ cpus: 2 }, { cpus: 2 }] });
  t.after(() => c.stop());
  const dir = c.mkdir('stream');
  const count = 10_000;
  // A small shell keeps 10000 processes cheap.
  const submitted = await c.hqOk(
    ['--output-mode=quiet', 'submit', '--stream', 'out', '--array', `1-${count}`, '--', '/bin/sh', '-c', 'echo out-$HQ_TASK_ID; echo err-$HQ_TASK_ID >&2'],
    { cwd: dir },
  );
  const job = Number(submitted.trim());
  // About 20 s alone on two cores; far longer while other test files compete for them.
  const waited = await c.hq(['job', 'wait', String(job)], { timeoutMs: 240_000 });
  assert.equal(waited.code, 0, waited.stderr);
  const expected = (prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}\n`).join('');

  const summary = await c.hqOk(['output-log', 'out', 'summary'], { cwd: dir });
  assert.match(summary, /^Tasks: 10000$/m, summary);
  assert.match(summary, /^Failed tasks: 0$/m, summary);
  assert.match(summary, /^Incomplete tasks: 0$/m, summary);
  // Outputs far larger than a pipe's buffer come through whole.
  assert.equal(await c.hqOk(['output-log', 'out', 'cat', 'stdout'], { cwd: dir }), expected('out'));
  assert.equal(await c.hqOk(['output-log', 'out', 'cat', 'stderr'], { cwd: dir }), expected('err'));
  assert.equal(await c.hqOk(['job', 'cat', String(job), 'stderr']), expected('err'));
  assert.equal(await c.hqOk(['job', 'cat', String(job), 'stdout', '--tasks', '9998-10000']), 'out-9998\nout-9999\nout-10000\n');
  // Nothing went to per-task files.
  assert.equal(fs.existsSync(path.join(dir, `job-${job}`)), false);
});
