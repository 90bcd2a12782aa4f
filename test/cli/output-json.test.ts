import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutput } from '../../src/cli/output/output.js';
import { JOB_DETAIL, JOBS, SERVER, T0, TASKS, TEMPLATE, WORKERS, capture } from './output-samples.js';

function json() {
  const io = capture();
  const output = createOutput('json', { colors: true, write: io.write, writeError: io.writeError, now: () => T0 });
  return { output, stdout: () => io.out.join(''), stderr: () => io.err.join('') };
}

/** Runs one print and parses stdout, which must hold exactly one JSON value. */
function printed(print: (o: ReturnType<typeof json>['output']) => void): any {
  const { output, stdout } = json();
  print(output);
  const text = stdout();
  assert.ok(text.endsWith('}\n') || text.endsWith(']\n'), text);
  return JSON.parse(text);
}

const sortedKeys = (value: object): string[] => Object.keys(value).sort();

test('submit and open print the id object', () => {
  assert.deepEqual(printed((o) => o.jobSubmitted(7)), { id: 7 });
  assert.deepEqual(printed((o) => o.jobOpened(8)), { id: 8 });
});

test('job list entries', () => {
  const jobs = printed((o) => o.jobList(JOBS, 10));
  assert.equal(jobs.length, 3);
  assert.deepEqual(jobs[1], {
    id: 2,
    is_open: false,
    name: 'simulation',
    task_count: 10,
    task_stats: { canceled: 0, failed: 1, finished: 2, running: 2, waiting: 5 },
  });
  assert.equal(jobs[2].is_open, true);
});

test('job info keys and nesting', () => {
  const [job] = printed((o) => o.jobDetail([JOB_DETAIL]));
  assert.deepEqual(sortedKeys(job), ['finished_at', 'info', 'max_fails', 'started_at', 'submits', 'tasks']);
  assert.equal(job.finished_at, null);
  assert.equal(job.max_fails, null);
  assert.equal(job.started_at, '2024-03-05T10:20:30Z');
  assert.deepEqual(sortedKeys(job.info), ['id', 'is_open', 'name', 'task_count', 'task_stats']);
  const array = job.submits[0].array;
  assert.deepEqual(sortedKeys(array), [
    'crash_limit',
    'pin_mode',
    'priority',
    'program',
    'resources',
    'task_dir',
    'time_limit',
  ]);
  assert.deepEqual(array.program, {
    args: ['./sim', '--seed', '1'],
    cwd: '/home/user',
    env: { A: 'b', HQ_JOB_ID: '2', OMP_NUM_THREADS: '4' },
    stderr: null,
    stdout: '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stdout',
  });
  assert.deepEqual(array.resources, [
    {
      min_time: 0,
      n_nodes: 0,
      resources: [
        { resource: 'gpus', request: { Compact: 5000 } },
        { resource: 'cpus', request: { ForceCompact: 40000 } },
      ],
    },
  ]);
  assert.equal(array.time_limit, 90);
  assert.equal(array.pin_mode, null);
  assert.equal(job.tasks.length, 4);
  assert.deepEqual(job.tasks[0], {
    cwd: '/home/user',
    finished_at: '2024-03-05T10:20:33.500Z',
    id: 1,
    started_at: '2024-03-05T10:20:31Z',
    state: 'finished',
    stderr: '/home/user/job-2/1.stderr',
    stdout: '/home/user/job-2/1.stdout',
    worker: 1,
  });
  assert.equal(job.tasks[1].error, 'Program terminated with exit code 1');
  assert.deepEqual(job.tasks[3], { id: 4, state: 'waiting' });
});

test('finished job carries its completion time', () => {
  const done = { ...JOB_DETAIL, ...JOBS[0]!, endTime: T0 + 5000 };
  const [job] = printed((o) => o.jobDetail([done]));
  assert.equal(job.finished_at, '2024-03-05T10:20:35Z');
});

test('durations are printed as floats', () => {
  const { output, stdout } = json();
  output.workerDetail(WORKERS[0]!);
  assert.match(stdout(), /"heartbeat_interval": 8\.0,/);
  assert.match(stdout(), /"time_limit": 3600\.0,/);
  const wait = printed((o) => o.jobWaitResult({ durationMs: 1500, finished: 2, failed: 0, canceled: 1, invalid: 0 }));
  assert.deepEqual(wait, { canceled: 1, duration: 1.5, failed: 0, finished: 2, invalid: 0 });
});

test('worker entries', () => {
  const workers = printed((o) => o.workerList(WORKERS));
  assert.equal(workers.length, 2);
  const [alive, lost] = workers;
  assert.deepEqual(sortedKeys(alive), ['allocation', 'configuration', 'ended', 'id', 'last_task_started', 'runtime_info', 'started']);
  assert.deepEqual(sortedKeys(alive.configuration), [
    'group',
    'heartbeat_interval',
    'hostname',
    'idle_timeout',
    'listen_address',
    'on_server_lost',
    'resources',
    'time_limit',
    'work_dir',
  ]);
  assert.deepEqual(alive.configuration.resources.resources, [
    { groups: [['0', '1', '2', '3'], ['4', '5', '6', '7']], kind: 'groups', name: 'cpus' },
    { kind: 'list', name: 'gpus', values: ['0', '1'] },
    { kind: 'sum', name: 'mem', size: 158_900_000 },
  ]);
  assert.deepEqual(alive.runtime_info, { SingleNodeTasks: { assigned_tasks: 3, is_reserved: false, running_tasks: 2 } });
  assert.equal(alive.allocation, null);
  assert.equal(alive.ended, null);
  assert.equal(alive.started, '2024-03-05T10:20:30Z');
  assert.deepEqual(lost.allocation, { id: '8812', manager: 'Slurm' });
  assert.deepEqual(lost.ended, { at: '2024-03-05T10:21:30Z' });
  assert.equal(lost.runtime_info, null);
  assert.deepEqual(lost.configuration.resources.resources, [{ end: 3, kind: 'range', name: 'cpus', start: 0 }]);
});

test('server info', () => {
  assert.deepEqual(
    printed((o) => o.serverInfo(SERVER)),
    {
      client_host: 'login1',
      client_port: 6789,
      pid: 777,
      server_dir: '/home/user/.hq-server/001',
      server_uid: 'aBcDeF',
      start_date: '2024-03-05T10:20:30.999Z',
      version: '0.1.0',
      worker_host: 'login1',
      worker_port: 1234,
    },
  );
});

test('task list is keyed by job id, task info is an array', () => {
  const byJob = printed((o) => o.taskList([2, 5], TASKS));
  assert.deepEqual(Object.keys(byJob), ['2', '5']);
  assert.equal(byJob['2'].length, 4);
  assert.deepEqual(byJob['5'], []);
  const info = printed((o) => o.taskDetail([TASKS[2]!]));
  assert.deepEqual(info, [
    { cwd: '/home/user', id: 3, started_at: '2024-03-05T10:20:32Z', state: 'running', stderr: null, stdout: null, worker: 1 },
  ]);
});

test('hwdetect and job summary', () => {
  assert.deepEqual(printed((o) => o.hwdetect(WORKERS[1]!.resources)), {
    resources: [{ end: 3, kind: 'range', name: 'cpus', start: 0 }],
  });
  assert.deepEqual(printed((o) => o.jobSummary(JOBS)), {
    Canceled: 0,
    Failed: 0,
    Finished: 1,
    Opened: 1,
    Running: 1,
    Waiting: 0,
  });
});

test('errors are a JSON object on stdout; prose and progress print nothing', () => {
  const { output, stdout, stderr } = json();
  output.message('hello');
  output.jobProgress({ jobCount: 1, completedJobs: 0, taskCount: 1, counts: JOBS[0]!.counts });
  assert.equal(stdout(), '');
  output.error('Job 5 not found');
  assert.equal(stdout(), '{\n  "error": "Job 5 not found"\n}\n');
  assert.equal(stderr(), '');
});

test('cancel results go to stderr so stdout stays clean', () => {
  const { output, stdout, stderr } = json();
  output.jobCancelResult([{ jobId: 1, result: 'canceled', canceledTasks: 1, alreadyFinished: 0 }]);
  assert.equal(stdout(), '');
  assert.match(stderr(), /Job 1 canceled \(1 tasks canceled, 0 tasks already finished\)/);
});

test('job info lists every submission: arrays, graphs, and streamed outputs as a pipe', () => {
  const graphTask = { ...TEMPLATE, variants: [{ nodes: 2, resources: [] }], pinMode: 'openmp', taskDir: true, timeRequest: 1.5 };
  const streamed = { ...TEMPLATE, streamDir: '/scratch/out', program: { ...TEMPLATE.program, stderr: '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stderr' } };
  const detail = {
    ...JOB_DETAIL,
    submits: [
      { graph: false, templates: [streamed] },
      { graph: true, templates: [graphTask, TEMPLATE] },
    ],
    tasks: [{ ...TASKS[0]!, template: 0 }, { ...TASKS[1]!, template: 2 }],
  };
  const [job] = printed((o) => o.jobDetail([detail]));
  assert.deepEqual(job.submits.map((s: object) => Object.keys(s)), [['array'], ['graph']]);
  assert.deepEqual([job.submits[0].array.program.stdout, job.submits[0].array.program.stderr], ['<pipe>', '<pipe>']);
  // A channel given its own path (or none) is not streamed.
  const withFile = printed((o) => o.jobDetail([{ ...detail, submits: [{ graph: false, templates: [{ ...streamed, program: TEMPLATE.program }] }] }]));
  assert.deepEqual([withFile[0].submits[0].array.program.stdout, withFile[0].submits[0].array.program.stderr], ['<pipe>', null]);
  const [multiNode, plain] = job.submits[1].graph;
  assert.deepEqual(multiNode.resources, [{ min_time: 1.5, n_nodes: 2, resources: [] }]);
  assert.equal(multiNode.pin_mode, 'openmp');
  assert.equal(multiNode.task_dir, true);
  assert.equal(plain.program.stdout, '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stdout');
  // Tasks of the streamed submission show a pipe; the others their files.
  assert.deepEqual(
    job.tasks.map((t: { stdout: string }) => t.stdout),
    ['<pipe>', '/home/user/job-2/2.stdout'],
  );
});

test('task explain: HyperQueue\'s keys, amounts in ten-thousandths, durations as secs and nanos', () => {
  const explained = printed((o) =>
    o.taskExplain(7, 3, {
      state: 'WAITING',
      taskDeps: 2,
      waitingDeps: 1,
      workers: [
        {
          workerId: 4,
          hostname: 'node4',
          runnableNow: false,
          runnableEver: true,
          timeRequest: 90.5,
          workerRemaining: 3600,
          timeFits: true,
          unfinishedDependencies: 1,
          variants: [
            {
              index: 0,
              nodes: 0,
              fitsNow: false,
              fitsEver: true,
              group: null,
              resources: [{ name: 'cpus', amount: 2, policy: 'compact', workerTotal: 8, workerFree: 1, fitsNow: false, fitsEver: true }],
            },
            { index: 1, nodes: 3, fitsNow: false, fitsEver: false, group: { name: 'g', workers: 2, idleWorkers: 1 }, resources: [] },
          ],
        },
      ],
    }),
  );
  assert.deepEqual(explained, {
    explanation: {
      n_task_deps: 2,
      n_waiting_deps: 1,
      workers: [
        {
          variants: [
            [
              { Time: { min_time: { nanos: 500_000_000, secs: 90 }, remaining_time: { nanos: 0, secs: 3600 } } },
              { Resources: { request_amount: 20_000, resource: 'cpus', worker_amount: 80_000 } },
            ],
            [
              { Time: { min_time: { nanos: 500_000_000, secs: 90 }, remaining_time: { nanos: 0, secs: 3600 } } },
              { WorkerGroup: { group_size: 2, n_nodes: 3 } },
            ],
          ],
          worker_id: 4,
        },
      ],
    },
    task_id: { job_id: 7, job_task_id: 3 },
  });
});

test('close and forget results are log lines on stderr, stdout stays empty', () => {
  const { output, stdout, stderr } = json();
  output.jobCloseResult([
    { jobId: 4, result: 'already-closed' },
    { jobId: 3, result: 'closed' },
    { jobId: 9, result: 'not-found' },
  ]);
  output.jobForgetResult({ forgotten: [1], ignored: [] });
  output.jobForgetResult({ forgotten: [1, 2], ignored: [5] });
  output.jobCloseResult([]);
  assert.equal(stdout(), '');
  assert.deepEqual(
    stderr()
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+ /, '')),
    [
      'INFO Job 3 closed',
      'ERROR Closing job 4 failed; job is already closed',
      'ERROR Closing job 9 failed; job not found',
      'INFO 1 job were forgotten',
      'INFO 2 jobs were forgotten, 1 were ignored due to wrong state or invalid ID',
      'INFO There is nothing to close',
    ],
  );
});
