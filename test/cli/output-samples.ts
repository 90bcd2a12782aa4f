// Sample client data shared by the output tests.

import type { JobDetail, JobSummary, ServerDetail, TaskDetail, TemplateDetail, WorkerDetail } from '../../src/client/types.js';

/** 2024-03-05T10:20:30Z */
export const T0 = Date.UTC(2024, 2, 5, 10, 20, 30);

export const JOBS: JobSummary[] = [
  {
    id: 1,
    name: 'ls',
    state: 'FINISHED',
    taskCount: 1,
    counts: { waiting: 0, running: 0, finished: 1, failed: 0, canceled: 0 },
    isOpen: false,
  },
  {
    id: 2,
    name: 'simulation',
    state: 'RUNNING',
    taskCount: 10,
    counts: { waiting: 5, running: 2, finished: 2, failed: 1, canceled: 0 },
    isOpen: false,
  },
  {
    id: 12,
    name: 'pipeline',
    state: 'OPENED',
    taskCount: 0,
    counts: { waiting: 0, running: 0, finished: 0, failed: 0, canceled: 0 },
    isOpen: true,
  },
];

export function task(overrides: Partial<TaskDetail> & Pick<TaskDetail, 'taskId' | 'state'>): TaskDetail {
  return {
    jobId: 2,
    workers: [],
    hostnames: [],
    instance: 0,
    crashCount: 0,
    startTime: 0,
    endTime: 0,
    error: '',
    cwd: '',
    stdout: '',
    stderr: '',
    program: { args: ['./sim', '--seed', '1'], env: {}, cwd: '/home/user', stdout: '', stderr: '' },
    ...overrides,
  };
}

export const TASKS: TaskDetail[] = [
  task({
    taskId: 1,
    state: 'FINISHED',
    workers: [1],
    hostnames: ['node1'],
    startTime: T0 + 1000,
    endTime: T0 + 3500,
    cwd: '/home/user',
    stdout: '/home/user/job-2/1.stdout',
    stderr: '/home/user/job-2/1.stderr',
  }),
  task({
    taskId: 2,
    state: 'FAILED',
    workers: [2],
    hostnames: ['node2'],
    startTime: T0 + 1000,
    endTime: T0 + 91_000,
    error: 'Program terminated with exit code 1',
    cwd: '/home/user',
    stdout: '/home/user/job-2/2.stdout',
    stderr: '',
  }),
  task({ taskId: 3, state: 'RUNNING', workers: [1], hostnames: ['node1'], startTime: T0 + 2000, cwd: '/home/user' }),
  task({ taskId: 4, state: 'WAITING' }),
];

/** How the tasks of JOB_DETAIL run: its one array submission. */
export const TEMPLATE: TemplateDetail = {
  program: {
    args: ['./sim', '--seed', '1'],
    env: { OMP_NUM_THREADS: '4', HQ_JOB_ID: '2', A: 'b' },
    cwd: '/home/user',
    stdout: '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stdout',
    stderr: '',
  },
  variants: [
    {
      nodes: 0,
      resources: [
        { name: 'gpus', amount: 0.5, policy: 'compact' },
        { name: 'cpus', amount: 4, policy: 'compact!' },
      ],
    },
  ],
  priority: 3,
  crashLimit: 5,
  timeLimit: 90,
  timeRequest: 0,
  taskDir: false,
  pinMode: 'none',
  streamDir: '',
};

export const JOB_DETAIL: JobDetail = {
  ...JOBS[1]!,
  taskIds: [{ start: 1, end: 10, step: 1 }],
  maxFails: null,
  submits: [{ graph: false, templates: [TEMPLATE] }],
  submitDir: '/home/user',
  submitTime: T0,
  startTime: T0 + 1000,
  endTime: 0,
  failures: [{ taskId: 2, workers: [2], error: 'Program terminated with exit code 1' }],
  entriesCount: 0,
  tasks: TASKS,
};

export const WORKERS: WorkerDetail[] = [
  {
    id: 1,
    state: 'RUNNING',
    hostname: 'node1',
    group: 'default',
    startTime: T0,
    endTime: 0,
    lastHeartbeat: T0 + 8000,
    heartbeatInterval: 8,
    idleTimeout: null,
    timeLimit: 3600,
    workDir: '/tmp/hq-worker',
    managerType: '',
    managerJobId: '',
    resources: [
      { name: 'cpus', kind: 'groups', groups: [['0', '1', '2', '3'], ['4', '5', '6', '7']], sum: 0 },
      { name: 'gpus', kind: 'list', groups: [['0', '1']], sum: 0 },
      { name: 'mem', kind: 'sum', groups: [], sum: 15890 },
    ],
    runningTasks: 2,
    assignedTasks: 3,
    listenAddress: 'node1:40123',
    pid: 4242,
  },
  {
    id: 2,
    state: 'CONNECTION LOST',
    hostname: 'node2',
    group: 'default',
    startTime: T0,
    endTime: T0 + 60_000,
    lastHeartbeat: T0 + 56_000,
    heartbeatInterval: 8,
    idleTimeout: 300,
    timeLimit: null,
    workDir: '/tmp/hq-worker',
    managerType: 'slurm',
    managerJobId: '8812',
    resources: [{ name: 'cpus', kind: 'range', groups: [['0', '1', '2', '3']], sum: 0 }],
    runningTasks: 0,
    assignedTasks: 0,
    listenAddress: 'node2:40999',
  },
];

export const SERVER: ServerDetail = {
  serverUid: 'aBcDeF',
  serverDir: '/home/user/.hq-server/001',
  host: 'login1',
  clientPort: 6789,
  workerPort: 1234,
  version: '0.1.0',
  pid: 777,
  startTime: T0 + 999,
};

/** Collects what an output writes to stdout and stderr. */
export function capture(): { out: string[]; err: string[]; write: (s: string) => void; writeError: (s: string) => void } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, write: (s) => void out.push(s), writeError: (s) => void err.push(s) };
}
