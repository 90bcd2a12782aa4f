// What the `hq` client prints, independent of how: one method per printed
// thing, implemented once per output mode (cli tables, json, quiet).

import type {
  JobDetail,
  JobSummary,
  ServerDetail,
  TaskCounts,
  TaskDetail,
  TaskExplainResult,
  WorkerDetail,
  WorkerResource,
} from '../../client/types.js';
import { CliOutput } from './cli.js';
import { JsonOutput } from './json.js';
import type { OutputMode } from './output-mode.js';
import { QuietOutput } from './quiet.js';

/** Where an output writes, and how. */
export interface OutputSink {
  colors: boolean;
  /** Standard output. */
  write(text: string): void;
  /** Standard error: errors and log lines. */
  writeError(text: string): void;
  /** Current time in ms since the epoch: makespans of running work and log timestamps. */
  now(): number;
}

/** Outcome of `hq job wait`: how many of the waited-for jobs ended which way. */
export interface JobWaitResult {
  /** Time spent waiting, in milliseconds. */
  durationMs: number;
  finished: number;
  failed: number;
  canceled: number;
  /** Requested ids that named no job. */
  invalid: number;
  /** Details of the waited jobs; failed tasks among them are summarised. */
  jobs?: readonly JobDetail[];
}

/** One update of `hq job progress`. */
export interface JobProgress {
  jobCount: number;
  completedJobs: number;
  taskCount: number;
  counts: TaskCounts;
  /** The last update: the progress line is finished with a newline. */
  done?: boolean;
}

/** Result of canceling one job. */
export type JobCancelOutcome =
  | { jobId: number; result: 'canceled'; canceledTasks: number; alreadyFinished: number }
  | { jobId: number; result: 'not-found' }
  | { jobId: number; result: 'failed'; message: string };

/** Result of closing one job. */
export type JobCloseOutcome = { jobId: number; result: 'closed' | 'already-closed' | 'not-found' };

/** Result of `hq job forget`. */
export interface JobForgetResult {
  forgotten: readonly number[];
  /** Selected jobs that were kept: not ended, or not in the asked states. */
  ignored: readonly number[];
}

/** Result of stopping one worker. */
export type WorkerStopOutcome =
  | { workerId: number; result: 'stopped' | 'not-found' | 'already-stopped' }
  | { workerId: number; result: 'failed'; message: string };

export interface TaskOutputOptions {
  /** Print task errors in full instead of shortening them. */
  verbose?: boolean;
}

export interface Output {
  /** `hq submit`: the new job's id. */
  jobSubmitted(jobId: number): void;
  /** `hq job open`: the opened job's id. */
  jobOpened(jobId: number): void;
  /** `hq job list`; `totalJobs` is how many exist when a filter hid some. */
  jobList(jobs: readonly JobSummary[], totalJobs?: number): void;
  /** `hq job summary`: how many jobs are in each state. */
  jobSummary(jobs: readonly JobSummary[]): void;
  /** `hq job info`. */
  jobDetail(jobs: readonly JobDetail[]): void;
  /** `hq job wait`. */
  jobWaitResult(result: JobWaitResult): void;
  /** `hq job progress`: called on each change. */
  jobProgress(progress: JobProgress): void;
  /** `hq job cancel`. */
  jobCancelResult(results: readonly JobCancelOutcome[]): void;
  /** `hq job close`. */
  jobCloseResult(results: readonly JobCloseOutcome[]): void;
  /** `hq job forget`. */
  jobForgetResult(result: JobForgetResult): void;
  /** `hq task list`: tasks of the given jobs (grouped per job by `TaskDetail.jobId`). */
  taskList(jobIds: number | readonly number[], tasks: readonly TaskDetail[], options?: TaskOutputOptions): void;
  /** `hq task info`. */
  taskDetail(tasks: readonly TaskDetail[], options?: TaskOutputOptions): void;
  /** `hq worker list`. */
  workerList(workers: readonly WorkerDetail[]): void;
  /** `hq worker info`. */
  workerDetail(worker: WorkerDetail): void;
  /** `hq worker stop`. */
  workerStopResult(results: readonly WorkerStopOutcome[]): void;
  /** `hq server info`. */
  serverInfo(info: ServerDetail): void;
  /** `hq task explain`. */
  taskExplain(jobId: number, taskId: number, result: TaskExplainResult): void;
  /** `hq worker hwdetect`. */
  hwdetect(resources: readonly WorkerResource[]): void;
  /** A failed command: one line on stderr, or an error object in json mode. */
  error(message: string): void;
  /** Free text for people; machine-readable modes leave it out. */
  message(text: string): void;
}

export interface CreateOutputOptions {
  colors: boolean;
  /** Defaults to process.stdout. */
  write?: (text: string) => void;
  /** Defaults to process.stderr. */
  writeError?: (text: string) => void;
  /** Defaults to Date.now. */
  now?: () => number;
}

export function createOutput(mode: OutputMode, options: CreateOutputOptions): Output {
  const sink: OutputSink = {
    colors: options.colors,
    write: options.write ?? ((text) => void process.stdout.write(text)),
    writeError: options.writeError ?? ((text) => void process.stderr.write(text)),
    now: options.now ?? Date.now,
  };
  switch (mode) {
    case 'cli':
      return new CliOutput(sink);
    case 'json':
      return new JsonOutput(sink);
    case 'quiet':
      return new QuietOutput(sink);
  }
}
