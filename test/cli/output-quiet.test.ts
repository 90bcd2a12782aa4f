import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutput } from '../../src/cli/output/output.js';
import { JOB_DETAIL, JOBS, SERVER, T0, TASKS, WORKERS, capture } from './output-samples.js';

function quiet() {
  const io = capture();
  const output = createOutput('quiet', { colors: true, write: io.write, writeError: io.writeError, now: () => T0 });
  return { output, stdout: () => io.out.join(''), stderr: () => io.err.join('') };
}

test('submit prints only the job id', () => {
  const { output, stdout } = quiet();
  output.jobSubmitted(42);
  assert.equal(stdout(), '42\n');
});

test('job list prints "ID STATE" lines', () => {
  const { output, stdout } = quiet();
  output.jobList(JOBS, 99);
  assert.equal(stdout(), '1 FINISHED\n2 RUNNING\n12 OPENED\n');
});

test('worker list prints "ID STATE" lines', () => {
  const { output, stdout } = quiet();
  output.workerList(WORKERS);
  assert.equal(stdout(), '1 RUNNING\n2 CONNECTION LOST\n');
});

test('server info prints the server directory', () => {
  const { output, stdout } = quiet();
  output.serverInfo(SERVER);
  output.serverInfo({ ...SERVER, serverDir: '' });
  assert.equal(stdout(), '/home/user/.hq-server/001\n');
});

test('job summary prints "STATE COUNT" lines', () => {
  const { output, stdout } = quiet();
  output.jobSummary(JOBS);
  assert.equal(stdout(), 'RUNNING 1\nWAITING 0\nFINISHED 1\nFAILED 0\nCANCELED 0\n');
});

test('detail commands print nothing; errors go to stderr without colour', () => {
  const { output, stdout, stderr } = quiet();
  output.jobDetail([JOB_DETAIL]);
  output.taskList(2, TASKS);
  output.taskDetail(TASKS);
  output.workerDetail(WORKERS[0]!);
  output.hwdetect(WORKERS[0]!.resources);
  output.jobWaitResult({ durationMs: 1, finished: 1, failed: 0, canceled: 0, invalid: 0 });
  output.jobProgress({ jobCount: 1, completedJobs: 1, taskCount: 1, counts: JOBS[0]!.counts, done: true });
  output.message('hello');
  assert.equal(stdout(), '');
  output.error('Job 5 not found');
  assert.equal(stderr(), 'Job 5 not found\n');
});

test('close and forget print the ids of the jobs they closed or forgot; failures go to stderr', () => {
  const { output, stdout, stderr } = quiet();
  output.jobCloseResult([
    { jobId: 7, result: 'closed' },
    { jobId: 3, result: 'closed' },
    { jobId: 5, result: 'already-closed' },
  ]);
  output.jobForgetResult({ forgotten: [9, 8], ignored: [10] });
  assert.equal(stdout(), '3\n7\n8\n9\n');
  assert.match(stderr().replace(/\x1b\[[0-9;]*m/g, ''), /^\S+ ERROR Closing job 5 failed; job is already closed\n$/);
});
