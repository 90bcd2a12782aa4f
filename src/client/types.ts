// Plain data the client library returns for each query: what the CLI renders
// in cli, json and quiet modes. Times are milliseconds since the epoch (0 = none),
// durations are seconds.

export type JobState = 'WAITING' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED' | 'OPENED';
export type TaskStateName = 'WAITING' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED';
export type WorkerStateName =
  | 'RUNNING'
  | 'CONNECTION LOST'
  | 'HEARTBEAT LOST'
  | 'STOPPED'
  | 'IDLE TIMEOUT'
  | 'TIME LIMIT REACHED';

export interface TaskCounts {
  waiting: number;
  running: number;
  finished: number;
  failed: number;
  canceled: number;
}

export interface ResourceAmount {
  name: string;
  /** In resource units (cpus, gpus, MiB ...), may be fractional. */
  amount: number;
  /** Allocation policy, e.g. 'compact'. */
  policy: string;
}

/** One way a task may run: its resources, or `nodes` whole workers (multi-node). */
export interface ResourceVariantSpec {
  nodes: number;
  resources: ResourceAmount[];
}

/** What happens to an output file when its task ends. */
export type OnCloseBehavior = 'none' | 'rm-if-finished';

export interface ProgramDescription {
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Path template, or '' for none. */
  stdout: string;
  stderr: string;
  /** Given to every task on its standard input (`--stdin`). */
  stdin?: Uint8Array;
  /** 'rm-if-finished': the file is removed once its task finished successfully (absent = 'none'). */
  stdoutOnClose?: OnCloseBehavior;
  stderrOnClose?: OnCloseBehavior;
}

export interface JobSummary {
  id: number;
  name: string;
  state: JobState;
  taskCount: number;
  counts: TaskCounts;
  isOpen: boolean;
}

export interface TaskFailure {
  taskId: number;
  workers: number[];
  error: string;
}

export interface JobDetail extends JobSummary {
  /** Task ids of the job (as ranges: start,end inclusive,step). */
  taskIds: Array<{ start: number; end: number; step: number }>;
  maxFails: number | null;
  submitDir: string;
  submitTime: number;
  startTime: number;
  endTime: number;
  failures: TaskFailure[];
  entriesCount: number;
  /** The job's submissions in order: one per `hq submit` or job file. */
  submits: SubmitDetail[];
  /** The job's tasks, when fetched with it (job info shows their workers and failures). */
  tasks?: TaskDetail[];
}

/** How a group of a job's tasks runs, as job info and task info show it. */
export interface TemplateDetail {
  program: ProgramDescription;
  variants: ResourceVariantSpec[];
  priority: number;
  crashLimit: number;
  /** Seconds; null = none. */
  timeLimit: number | null;
  /** Seconds of worker lifetime a task needs. */
  timeRequest: number;
  taskDir: boolean;
  /** 'none', 'openmp' or 'taskset'. */
  pinMode: string;
  /** Directory the outputs are streamed into; '' when they go to files. */
  streamDir: string;
}

/** One submission into a job. */
export interface SubmitDetail {
  /** A job file of `[[task]]` tables (HyperQueue's task graph); else an array. */
  graph: boolean;
  /** One per task for a graph, one for an array. */
  templates: TemplateDetail[];
}

export interface TaskDetail {
  jobId: number;
  taskId: number;
  state: TaskStateName;
  /** Worker ids, empty when never assigned. */
  workers: number[];
  hostnames: string[];
  instance: number;
  crashCount: number;
  startTime: number;
  endTime: number;
  error: string;
  cwd: string;
  stdout: string;
  stderr: string;
  program: ProgramDescription;
  /** Index of the job's template the task follows. */
  template?: number;
  /** Submit settings of the task, when fetched with its template (task info). */
  variants?: ResourceVariantSpec[];
  timeLimit?: number | null;
  priority?: number;
  pinMode?: string;
  taskDir?: boolean;
  crashLimit?: number;
  /** Where its outputs are streamed; '' or absent when they go to files. */
  streamDir?: string;
  /** Task ids (same job) this task waits for. */
  dependencies?: number[];
}

export interface WorkerResource {
  name: string;
  kind: 'list' | 'groups' | 'range' | 'sum';
  groups: string[][];
  sum: number;
}

export interface WorkerDetail {
  id: number;
  state: WorkerStateName;
  hostname: string;
  group: string;
  startTime: number;
  endTime: number;
  lastHeartbeat: number;
  heartbeatInterval: number;
  idleTimeout: number | null;
  timeLimit: number | null;
  workDir: string;
  managerType: string;
  managerJobId: string;
  resources: WorkerResource[];
  runningTasks: number;
  assignedTasks: number;
  listenAddress: string;
  /** Pid of the worker process, when it reported one. */
  pid?: number;
  /** What the worker does when the server goes away: 'stop' (default) or 'finish-running'. */
  onServerLost?: string;
  /** The most recent task started on the worker. */
  lastTaskStarted?: { jobId: number; taskId: number; time: number } | null;
}

export interface ServerDetail {
  serverUid: string;
  serverDir: string;
  host: string;
  clientPort: number;
  workerPort: number;
  version: string;
  pid: number;
  startTime: number;
  /** Address workers connect to, when it differs from `host`. */
  workerHost?: string;
}

/** `hq task explain`: the task's dependencies and, per worker, whether it can run there. */
export interface TaskExplainResult {
  state: string;
  /** Dependencies of the task, and how many of them have not finished while it waits. */
  taskDeps: number;
  waitingDeps: number;
  workers: TaskExplanation[];
}

/** Why a task does or does not run on one worker (`hq task explain`); amounts in resource units. */
export interface TaskExplanation {
  workerId: number;
  hostname: string;
  runnableNow: boolean;
  runnableEver: boolean;
  timeRequest: number;
  /** Seconds the worker has left; null when it has no time limit. */
  workerRemaining: number | null;
  timeFits: boolean;
  unfinishedDependencies: number;
  variants: Array<{
    index: number;
    nodes: number;
    fitsNow: boolean;
    fitsEver: boolean;
    group: { name: string; workers: number; idleWorkers: number } | null;
    resources: Array<{ name: string; amount: number; policy: string; workerTotal: number; workerFree: number; fitsNow: boolean; fitsEver: boolean }>;
  }>;
}

/** How a group of a job's tasks runs: one per `hq submit`, one per job-file task. */
export interface TaskTemplate {
  /** Task ids; empty = the single task 0. */
  ids: Array<{ start: number; end: number; step: number }>;
  /** --each-line / --from-json: entry of the i-th id. */
  entries: string[];
  program: ProgramDescription;
  variants: ResourceVariantSpec[];
  priority: number;
  crashLimit: number;
  timeLimit: number;
  timeRequest: number;
  taskDir: boolean;
  pin: string;
  /** Dependencies between task ids of the job (job files). */
  deps?: Array<{ taskId: number; deps: number[] }>;
}
