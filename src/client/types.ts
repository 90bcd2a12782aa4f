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

export interface ProgramDescription {
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Path template, or '' for none. */
  stdout: string;
  stderr: string;
  /** Given to every task on its standard input (`--stdin`). */
  stdin?: Uint8Array;
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
  program: ProgramDescription;
  resources: ResourceAmount[];
  priority: number;
  maxFails: number | null;
  crashLimit: number;
  timeLimit: number | null;
  timeRequest: number;
  submitDir: string;
  submitTime: number;
  startTime: number;
  endTime: number;
  failures: TaskFailure[];
  entriesCount: number;
  /** Directory of the job's output stream ('' when outputs go to files). */
  streamDir?: string;
  /** The job's tasks, when fetched with it (job info shows their workers and failures). */
  tasks?: TaskDetail[];
  /** CPU pinning of the tasks: 'none' (default), 'openmp' or 'taskset'. */
  pinMode?: string;
  /** Whether each task gets its own temporary directory. */
  taskDir?: boolean;
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
  /** Submit settings of the task, shown by task info when known. */
  resources?: ResourceAmount[];
  timeLimit?: number | null;
  priority?: number;
  pinMode?: string;
  taskDir?: boolean;
  crashLimit?: number;
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
}
