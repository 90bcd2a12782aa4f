import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkPlaceholders,
  DEFAULT_CWD_TEMPLATE,
  DEFAULT_STDERR_TEMPLATE,
  DEFAULT_STDOUT_TEMPLATE,
  fillPlaceholders,
  hasPlaceholder,
  listPlaceholders,
  resolveStreamDir,
  resolveTaskPaths,
  splitTemplate,
} from '../../src/common/placeholders.js';
import { expectUserError } from './expect-user-error.js';

test('templates split into text and placeholders', () => {
  assert.deepEqual(splitTemplate(''), []);
  assert.deepEqual(splitTemplate('foo'), [{ text: 'foo' }]);
  assert.deepEqual(splitTemplate('%{FOO}'), [{ placeholder: 'FOO' }]);
  assert.deepEqual(splitTemplate('A%{B}C%{D}E'), [
    { text: 'A' },
    { placeholder: 'B' },
    { text: 'C' },
    { placeholder: 'D' },
    { text: 'E' },
  ]);
  assert.deepEqual(splitTemplate('%'), [{ text: '%' }]);
  assert.deepEqual(splitTemplate('50%{x'), [{ text: '50%{x' }]);
  assert.deepEqual(listPlaceholders('%{}%{a b}'), ['', 'a b']);
});

test('default templates', () => {
  assert.equal(DEFAULT_STDOUT_TEMPLATE, '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stdout');
  assert.equal(DEFAULT_STDERR_TEMPLATE, '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stderr');
  assert.equal(DEFAULT_CWD_TEMPLATE, '%{SUBMIT_DIR}');
  assert.ok(hasPlaceholder(DEFAULT_STDOUT_TEMPLATE, 'TASK_ID'));
  assert.ok(!hasPlaceholder(DEFAULT_STDOUT_TEMPLATE, 'INSTANCE_ID'));
});

test('every placeholder is filled', () => {
  const values = { jobId: 5, taskId: 10, instanceId: 6, submitDir: '/foo', cwd: '/work', serverUid: 'aBc123' };
  assert.equal(
    fillPlaceholders('%{SUBMIT_DIR}/%{JOB_ID}-%{TASK_ID}-%{INSTANCE_ID}-%{SERVER_UID} in %{CWD}', values),
    '/foo/5-10-6-aBc123 in /work',
  );
  assert.equal(fillPlaceholders(DEFAULT_STDOUT_TEMPLATE, values), '/work/job-5/10.stdout');
});

test('placeholders without a value and unknown ones stay verbatim', () => {
  assert.equal(fillPlaceholders('%{SUBMIT_DIR}/%{JOB_ID}-%{TASK_ID}', { jobId: 5, submitDir: '/foo' }), '/foo/5-%{TASK_ID}');
  assert.equal(fillPlaceholders('%{DATE}/%{JOB_ID}', { jobId: 1 }), '%{DATE}/1');
});

test('unknown placeholders are user errors at submit', () => {
  checkPlaceholders(DEFAULT_STDOUT_TEMPLATE, 'stdout');
  checkPlaceholders('%{TASK_ID}-%{INSTANCE_ID}', 'cwd');
  checkPlaceholders('%{SUBMIT_DIR}/log-%{JOB_ID}-%{SERVER_UID}', 'log');
  checkPlaceholders('plain/path', 'stderr');
  expectUserError(() => checkPlaceholders('out-%{TASKID}.txt', 'stdout'), '%{TASKID}', /Unknown placeholder.*out-%\{TASKID\}\.txt/);
  expectUserError(() => checkPlaceholders('%{job_id}'), '%{job_id}');
});

test('placeholders a path cannot use are user errors', () => {
  expectUserError(() => checkPlaceholders('%{CWD}/sub', 'cwd'), '%{CWD}', /cwd path/);
  expectUserError(() => checkPlaceholders('%{SUBMIT_DIR}/%{TASK_ID}.log', 'log'), '%{TASK_ID}', /log path/);
});

test('task paths: cwd first, then output paths relative to the submit dir', () => {
  const values = { jobId: 1, taskId: 2, instanceId: 3, submitDir: '/foo', serverUid: 'uid' };
  assert.deepEqual(
    resolveTaskPaths({ cwd: 'bar/%{JOB_ID}', stdout: '%{CWD}/%{TASK_ID}.out', stderr: null }, values),
    { cwd: '/foo/bar/1', stdout: '/foo/bar/1/2.out', stderr: null },
  );
  assert.deepEqual(
    resolveTaskPaths({ cwd: '%{TASK_ID}-%{INSTANCE_ID}', stdout: '%{JOB_ID}/stdout', stderr: '/abs/%{JOB_ID}.err' }, values),
    { cwd: '/foo/2-3', stdout: '/foo/1/stdout', stderr: '/abs/1.err' },
  );
  assert.deepEqual(
    resolveTaskPaths(
      { cwd: DEFAULT_CWD_TEMPLATE, stdout: DEFAULT_STDOUT_TEMPLATE, stderr: DEFAULT_STDERR_TEMPLATE },
      values,
    ),
    { cwd: '/foo', stdout: '/foo/job-1/2.stdout', stderr: '/foo/job-1/2.stderr' },
  );
});

test('stream directories: placeholders filled as far as known, then made absolute against the submit dir', () => {
  assert.equal(resolveStreamDir('log-%{JOB_ID}', { jobId: 7, submitDir: '/foo', serverUid: 'uid' }), '/foo/log-7');
  assert.equal(resolveStreamDir('%{SUBMIT_DIR}/%{SERVER_UID}/s', { submitDir: '/foo', serverUid: 'abc' }), '/foo/abc/s');
  // Before the job has its id, %{JOB_ID} stays for the server to fill.
  assert.equal(resolveStreamDir('out/%{JOB_ID}', { submitDir: '/foo' }), '/foo/out/%{JOB_ID}');
  assert.equal(resolveStreamDir('/abs/%{JOB_ID}', { jobId: 1, submitDir: '/foo' }), '/abs/1');
});
