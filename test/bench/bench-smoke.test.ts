// Runs the benchmark suite at its tiny --quick sizes so it keeps working; the
// figures themselves are not checked, only that every benchmark reports a row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN_SCRIPT = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PERFORMANCE_DOC = fileURLToPath(new URL('../../../docs/performance.md', import.meta.url));

const EXPECTED_ROWS = [
  'Native zero-loop (empty function call)',
  'Zero-work array, 1 worker: submit to all finished',
  'Zero-work array, 1 worker: server peak RSS',
  'Zero-work array, 1 worker: server memory per task',
  'Zero-work array, 1 worker: client peak RSS',
  'Zero-work array, 16 workers: submit to all finished',
  'Zero-work array, 16 workers: server peak RSS',
  'Zero-work array, 16 workers: server memory per task',
  'Zero-work array, 16 workers: client peak RSS',
  'Array memory: first job, per task',
  'Array memory: held per task',
  'Array memory: job after forgetting, per task',
  'Array memory: given back by forgetting both jobs',
  'hq job forget of a 100,000-task job',
  'Zero-work array of 200,000 tasks: server peak RSS',
  '100 jobs of 100 tasks: running, per task',
  '100 jobs of 100 tasks: submitting, per job',
  'Workflow of 200 one-task jobs: submit to all finished',
  'Workflow of 200 one-task jobs: server memory per ended job',
  'Workflow of 200 one-task jobs: worker memory per ended job',
  'Workflow of 200 one-task jobs: launcher memory per ended job',
  '/bin/true via hq, --stdout none',
  '/bin/true via hq, output files',
  '/bin/true via posix_spawn (spawn-loop -P 2)',
  '/bin/true via xargs -P 2',
  '/bin/true via GNU parallel -j 2',
  'CLI latency: node -e 0 (Node start alone)',
  'CLI latency: hq job list',
  'CLI latency: hq submit',
  'Server CPU, sleep 0.01 tasks on 2 workers',
  '6-task job array via Slurm (sbatch --array)',
  'Micro: TaskTable.fillJob',
  'Micro: TaskTable.state reads',
  'Micro: TaskTable.countStates',
  'Micro: RingBuffer push+drain',
  'Micro: flatbuffers encodeAssign+decode',
  'Micro: FrameCipher seal+open',
  'scheduler, ',
];

function readDoc(): string | null {
  return fs.existsSync(PERFORMANCE_DOC) ? fs.readFileSync(PERFORMANCE_DOC, 'utf8') : null;
}

test('quick benchmark run reports every benchmark and leaves the docs alone', { timeout: 240_000 }, () => {
  const docBefore = readDoc();
  const result = spawnSync(process.execPath, [RUN_SCRIPT, '--quick'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 230_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.equal(result.status, 0, `benchmark exited with ${result.status}\n${result.stderr}`);

  const tableRows = result.stdout.split('\n').filter((line) => line.startsWith('| '));
  for (const label of EXPECTED_ROWS) {
    const row = tableRows.find((line) => line.startsWith(`| ${label}`));
    assert.ok(row, `no table row for '${label}' in:\n${result.stdout}`);
    const figure = row.split(' | ')[1]?.trim();
    assert.ok(figure, `row '${label}' has no figure`);
  }
  assert.match(result.stdout, /### Targets/);
  assert.match(result.stdout, /quick mode/);
  assert.equal(readDoc(), docBefore, 'quick mode must not rewrite docs/performance.md');
});

test('an unknown benchmark option is refused with a one-line message', () => {
  const result = spawnSync(process.execPath, [RUN_SCRIPT, '--quick', '--frobnicate'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^Error: Unknown benchmark option '--frobnicate'$/m);
});
