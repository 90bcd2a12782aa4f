import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutput } from '../../src/cli/output/output.js';
import { JOB_DETAIL, JOBS, SERVER, T0, TASKS, TEMPLATE, WORKERS, capture } from './output-samples.js';

// Task start/end are shown in local time; pin the zone so the text is fixed.
process.env['TZ'] = 'UTC';

const NOW = T0 + 120_000;

function cli(colors = false) {
  const io = capture();
  const output = createOutput('cli', { colors, write: io.write, writeError: io.writeError, now: () => NOW });
  return { output, stdout: () => io.out.join(''), stderr: () => io.err.join('') };
}

const lines = (...rows: string[]): string => rows.map((r) => r + '\n').join('');

test('submit prints the job id in a sentence', () => {
  const { output, stdout } = cli();
  output.jobSubmitted(3);
  assert.equal(stdout(), 'Job submitted successfully, job ID: 3\n');
});

test('job list table, open-job marker and hidden-jobs note', () => {
  const { output, stdout } = cli();
  output.jobList(JOBS, 5);
  assert.equal(
    stdout(),
    lines(
      '+-----+------------+----------+-------+',
      '| ID  | Name       | State    | Tasks |',
      '+-----+------------+----------+-------+',
      '|   1 | ls         | FINISHED | 1     |',
      '|   2 | simulation | RUNNING  | 10    |',
      '| *12 | pipeline   | OPENED   | 0     |',
      '+-----+------------+----------+-------+',
      '* = Open jobs',
      'There are 5 jobs in total. Use `--all` to display all jobs.',
    ),
  );
});

test('job list with one job and nothing hidden', () => {
  const { output, stdout } = cli();
  output.jobList(JOBS.slice(0, 1));
  assert.equal(
    stdout(),
    lines(
      '+----+------+----------+-------+',
      '| ID | Name | State    | Tasks |',
      '+----+------+----------+-------+',
      '|  1 | ls   | FINISHED | 1     |',
      '+----+------+----------+-------+',
    ),
  );
});

test('job info: key/value table followed by the failed tasks', () => {
  const { output, stdout } = cli();
  output.jobDetail([JOB_DETAIL]);
  assert.equal(
    stdout(),
    lines(
      '+----------------------+--------------------------------------------+',
      '| ID                   | 2                                          |',
      '| Name                 | simulation                                 |',
      '| State                | [####################....................] |',
      '|                      | RUNNING (2)                                |',
      '|                      | FAILED (1)                                 |',
      '|                      | FINISHED (2)                               |',
      '|                      | WAITING (5)                                |',
      '| Session              | closed                                     |',
      '| Tasks                | 10; Ids: 1-10                              |',
      '| Workers              | node1, node2                               |',
      '| Resources            | cpus: 4 compact!                           |',
      '|                      | gpus: 0.5 compact                          |',
      '| Priority             | 3                                          |',
      '| Command              | ./sim                                      |',
      '|                      | --seed                                     |',
      '|                      | 1                                          |',
      '| Stdout               | %{CWD}/job-%{JOB_ID}/%{TASK_ID}.stdout     |',
      '| Stderr               | <None>                                     |',
      '| Environment          | A=b                                        |',
      '|                      | OMP_NUM_THREADS=4                          |',
      '| Working directory    | /home/user                                 |',
      '| Task time limit      | 1m 30s                                     |',
      '| Crash limit          | 5                                          |',
      '| Submission date      | 2024-03-05 10:20:30 UTC                    |',
      '| Submission directory | /home/user                                 |',
      '| Makespan             | 2m                                         |',
      '+----------------------+--------------------------------------------+',
      '+---------+--------+-------------------------------------+',
      '| Task ID | Worker | Error                               |',
      '+---------+--------+-------------------------------------+',
      '| 2       | node2  | Program terminated with exit code 1 |',
      '+---------+--------+-------------------------------------+',
      '1 tasks failed.',
    ),
  );
});

test('job info of a single-task job shows its state word and pinning', () => {
  const { output, stdout } = cli();
  output.jobDetail([
    {
      ...JOB_DETAIL,
      ...JOBS[0]!,
      taskIds: [{ start: 0, end: 0, step: 1 }],
      failures: [],
      tasks: [],
      submits: [{ graph: false, templates: [{ ...TEMPLATE, pinMode: 'taskset', timeLimit: null }] }],
      endTime: T0 + 2000,
    },
  ]);
  const text = stdout();
  assert.match(text, /\n\| State {16}\| FINISHED {10}/);
  assert.match(text, /\| Tasks {16}\| 1; Ids: 0 /);
  // The marker follows the whole (multi-line) resources text.
  assert.match(text, /\| Resources {12}\| cpus: 4 compact! +\|\n\| {22}\| gpus: 0\.5 compact \[pin\] /);
  assert.match(text, /\| Task time limit {6}\| None /);
  assert.match(text, /\| Makespan {13}\| 2s /);
  assert.ok(!text.includes('tasks failed'));
});

test('task list of one job has no job column and shortens errors', () => {
  const { output, stdout, stderr } = cli();
  output.taskList(2, TASKS);
  assert.equal(
    stdout(),
    lines(
      '+---------+----------+--------+----------+---------------------+',
      '| Task ID | State    | Worker | Makespan | Error               |',
      '+---------+----------+--------+----------+---------------------+',
      '|       1 | FINISHED | node1  | 2s 500ms |                     |',
      '|       2 | FAILED   | node2  | 1m 30s   | Program terminat... |',
      '|       3 | RUNNING  | node1  | 1m 58s   |                     |',
      '|       4 | WAITING  |        |          |                     |',
      '+---------+----------+--------+----------+---------------------+',
    ),
  );
  assert.equal(stderr(), '2024-03-05T10:22:30Z INFO An error message was truncated. Use -v to display the full error.\n');
});

test('task list of several jobs adds a job column; verbose keeps errors whole', () => {
  const { output, stdout, stderr } = cli();
  const other = { ...TASKS[0]!, jobId: 1, taskId: 0 };
  output.taskList([1, 2], [TASKS[1]!, other], { verbose: true });
  assert.equal(
    stdout(),
    lines(
      '+--------+---------+----------+--------+----------+-------------------------------------+',
      '| Job ID | Task ID | State    | Worker | Makespan | Error                               |',
      '+--------+---------+----------+--------+----------+-------------------------------------+',
      '|      1 |       0 | FINISHED | node1  | 2s 500ms |                                     |',
      '|      2 |       2 | FAILED   | node2  | 1m 30s   | Program terminated with exit code 1 |',
      '+--------+---------+----------+--------+----------+-------------------------------------+',
    ),
  );
  assert.equal(stderr(), '');
});

test('task info', () => {
  const { output, stdout } = cli();
  output.taskDetail([{ ...TASKS[1]!, dependencies: [1, 3], priority: 2, crashLimit: 5, taskDir: true }]);
  assert.equal(
    stdout(),
    lines(
      '+--------------+-------------------------------------+',
      '| Task ID      | 2                                   |',
      '| State        | FAILED                              |',
      '| Command      | ./sim                               |',
      '|              | --seed                              |',
      '|              | 1                                   |',
      '| Environment  |                                     |',
      '| Worker       | node2                               |',
      '| Start        | 05.03.2024 10:20:31                 |',
      '| End          | 05.03.2024 10:22:01                 |',
      '| Makespan     | 1m 30s                              |',
      '| Workdir      | /home/user                          |',
      '| Stdout       | /home/user/job-2/2.stdout           |',
      '| Stderr       | <None>                              |',
      '| Time limit   | None                                |',
      '| Resources    |                                     |',
      '| Priority     | 2                                   |',
      '| Pin          | none                                |',
      '| Task dir     | yes                                 |',
      '| Crash limit  | 5                                   |',
      '| Dependencies | 1,3                                 |',
      '| Error        | Program terminated with exit code 1 |',
      '+--------------+-------------------------------------+',
    ),
  );
});

test('worker list', () => {
  const { output, stdout } = cli();
  output.workerList(WORKERS);
  assert.equal(
    stdout(),
    lines(
      '+----+-----------------+----------+---------------------------------+---------+----------------+',
      '| ID | State           | Hostname | Resources                       | Manager | Manager Job ID |',
      '+----+-----------------+----------+---------------------------------+---------+----------------+',
      '|  1 | RUNNING         | node1    | cpus 2x4; gpus 2; mem 15.52 GiB | None    | N/A            |',
      '|  2 | CONNECTION LOST | node2    | cpus 4                          | SLURM   | 8812           |',
      '+----+-----------------+----------+---------------------------------+---------+----------------+',
    ),
  );
});

test('worker info', () => {
  const { output, stdout } = cli();
  output.workerDetail(WORKERS[0]!);
  assert.equal(
    stdout(),
    lines(
      '+-------------------+------------------------+',
      '| Worker ID         | 1                      |',
      '| Hostname          | node1                  |',
      '| Started           | "2024-03-05T10:20:30Z" |',
      '| Data provider     | node1:40123            |',
      '| Working directory | /tmp/hq-worker         |',
      '| Heartbeat         | 8s                     |',
      '| Idle timeout      | None                   |',
      '| Resources         | cpus: 2x4              |',
      '|                   | gpus: 2                |',
      '|                   | mem: 15.52 GiB         |',
      '| Time Limit        | 1h                     |',
      '| Process pid       | 4242                   |',
      '| Group             | default                |',
      '| Manager           | None                   |',
      '| Manager Job ID    | N/A                    |',
      '+-------------------+------------------------+',
    ),
  );
});

test('server info', () => {
  const { output, stdout } = cli();
  output.serverInfo(SERVER);
  assert.equal(
    stdout(),
    lines(
      '+------------------+---------------------------+',
      '| Server directory | /home/user/.hq-server/001 |',
      '| Server UID       | aBcDeF                    |',
      '| Client host      | login1                    |',
      '| Client port      | 6789                      |',
      '| Worker host      | login1                    |',
      '| Worker port      | 1234                      |',
      '| Version          | 0.1.0                     |',
      '| Pid              | 777                       |',
      '| Start date       | 2024-03-05 10:20:30 UTC   |',
      '+------------------+---------------------------+',
    ),
  );
});

test('hwdetect prints a summary and the full description', () => {
  const { output, stdout } = cli();
  output.hwdetect(WORKERS[0]!.resources);
  assert.equal(
    stdout(),
    'Summary:\ncpus: 2x4\ngpus: 2\nmem: 15.52 GiB\n\n' +
      'Full Description:\ncpus: [[0,1,2,3],[4,5,6,7]]\ngpus: [0,1]\nmem: sum(15890)\n',
  );
});

test('wait result, progress line, summary counts', () => {
  const { output, stdout } = cli();
  output.jobWaitResult({ durationMs: 1234, finished: 2, failed: 1, canceled: 0, invalid: 1 });
  output.jobProgress({ jobCount: 2, completedJobs: 1, taskCount: 10, counts: JOBS[1]!.counts });
  output.jobSummary(JOBS);
  assert.equal(
    stdout(),
    lines(
      'Wait finished in 1s 234ms: 2 jobs finished, 1 job failed, 1 job invalid',
      '[####################....................] 1/2 jobs, 3/10 tasks 2 RUNNING 2 FINISHED 1 FAILED',
      '+----------+-------+',
      '| Status   | Count |',
      '+----------+-------+',
      '| RUNNING  |     1 |',
      '| WAITING  |     0 |',
      '| FINISHED |     1 |',
      '| FAILED   |     0 |',
      '| CANCELED |     0 |',
      '+----------+-------+',
    ),
  );
});

test('cancel and stop results are log lines on stderr; errors are one plain line', () => {
  const { output, stdout, stderr } = cli();
  output.jobCancelResult([
    { jobId: 4, result: 'failed', message: 'server busy' },
    { jobId: 2, result: 'canceled', canceledTasks: 7, alreadyFinished: 3 },
    { jobId: 3, result: 'canceled', canceledTasks: 0, alreadyFinished: 5 },
    { jobId: 9, result: 'not-found' },
  ]);
  output.jobCancelResult([]);
  output.workerStopResult([
    { workerId: 2, result: 'already-stopped' },
    { workerId: 1, result: 'stopped' },
  ]);
  output.error('Job 5 not found');
  assert.equal(stdout(), '');
  assert.equal(
    stderr(),
    lines(
      '2024-03-05T10:22:30Z INFO Job 2 canceled (7 tasks canceled, 3 tasks already finished)',
      '2024-03-05T10:22:30Z ERROR Canceling job 3 failed; all tasks are already finished',
      '2024-03-05T10:22:30Z ERROR Canceling job 4 failed; server busy',
      '2024-03-05T10:22:30Z ERROR Canceling job 9 failed; job not found',
      '2024-03-05T10:22:30Z INFO There is nothing to cancel',
      '2024-03-05T10:22:30Z INFO Worker 1 stopped',
      '2024-03-05T10:22:30Z WARN Stopping worker 2 failed; worker is already stopped',
      'Job 5 not found',
    ),
  );
});

function everything(output: ReturnType<typeof cli>['output']): void {
  output.jobSubmitted(3);
  output.jobOpened(12);
  output.jobList(JOBS, 4);
  output.jobSummary(JOBS);
  output.jobDetail([JOB_DETAIL]);
  output.jobWaitResult({ durationMs: 5, finished: 1, failed: 1, canceled: 1, invalid: 1, jobs: [JOB_DETAIL] });
  output.jobProgress({ jobCount: 1, completedJobs: 0, taskCount: 10, counts: JOBS[1]!.counts, done: true });
  output.jobCancelResult([{ jobId: 1, result: 'not-found' }]);
  output.taskList([1, 2], TASKS);
  output.taskDetail(TASKS);
  output.workerList(WORKERS);
  output.workerDetail(WORKERS[1]!);
  output.workerStopResult([{ workerId: 1, result: 'stopped' }]);
  output.serverInfo(SERVER);
  output.hwdetect(WORKERS[0]!.resources);
  output.error('bad');
  output.message('hello');
}

test('no escape codes at all when colours are off', () => {
  const { output, stdout, stderr } = cli(false);
  everything(output);
  assert.ok(!stdout().includes('\x1b'));
  assert.ok(!stderr().includes('\x1b'));
});

test('colours on: states, headers and the progress line are styled', () => {
  const { output, stdout } = cli(true);
  everything(output);
  const text = stdout();
  assert.ok(text.includes('\x1b[32msuccessfully\x1b[0m'));
  assert.ok(text.includes('\x1b[33mRUNNING \x1b[0m'));
  assert.ok(text.includes('\x1b[1mName      \x1b[0m'));
  assert.ok(text.includes('\r\x1b[2K['));
  // Same layout as without colours once the codes are stripped.
  const plain = cli(false);
  everything(plain.output);
  const stripped = text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r\x1b\[2K/g, '');
  assert.equal(stripped, plain.stdout());
});

test('task info of a task with resource variants, streamed output and OpenMP pinning', () => {
  const { output, stdout } = cli();
  output.taskDetail([
    {
      ...TASKS[0]!,
      // stdout keeps the default path (streamed), stderr was given one.
      program: { ...TEMPLATE.program, env: { B: '2', HQ_ENTRY: 'x', A: '1' }, stderr: 'err.txt' },
      stderr: '/home/user/err.txt',
      variants: [
        { nodes: 0, resources: [{ name: 'cpus', amount: 1, policy: 'compact' }] },
        { nodes: 2, resources: [] },
      ],
      pinMode: 'openmp',
      streamDir: '/scratch/out',
    },
  ]);
  const text = stdout();
  assert.match(text, /\| Environment  \| A=1 +\|\n\| +\| B=2 +\|\n/);
  assert.match(text, /\| Stdout +\| <Stream> +\|\n\| Stderr +\| \/home\/user\/err\.txt +\|/);
  assert.match(text, /\| Resources +\| # Variant 1 +\|\n\| +\| cpus: 1 compact +\|\n\| +\| +\|\n\| +\| # Variant 2 +\|\n\| +\| nodes: 2 +\|/);
  assert.match(text, /\| Pin +\| omp +\|/);
});

test('job info of several submissions leaves out the shared description and submit directory', () => {
  const { output, stdout } = cli();
  output.jobDetail([{ ...JOB_DETAIL, submits: [JOB_DETAIL.submits[0]!, { graph: false, templates: [TEMPLATE] }] }]);
  const text = stdout();
  for (const row of ['Command', 'Resources', 'Stdout', 'Submission directory']) assert.ok(!text.includes(`| ${row} `), row);
  assert.match(text, /\| Submission date +\|/);
  const graph = cli();
  graph.output.jobDetail([{ ...JOB_DETAIL, submits: [{ graph: true, templates: [TEMPLATE, TEMPLATE] }] }]);
  assert.ok(!graph.stdout().includes('| Command '));
  assert.match(graph.stdout(), /\| Submission directory \| \/home\/user/);
});

test('close and forget report on stderr in the original words', () => {
  const { output, stdout, stderr } = cli();
  output.jobCloseResult([{ jobId: 2, result: 'closed' }]);
  output.jobForgetResult({ forgotten: [], ignored: [4] });
  assert.equal(stdout(), '');
  assert.equal(
    stderr(),
    '2024-03-05T10:22:30Z INFO Job 2 closed\n2024-03-05T10:22:30Z INFO 0 jobs were forgotten, 1 were ignored due to wrong state or invalid ID\n',
  );
});
