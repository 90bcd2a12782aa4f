// Minimal output for shell scripts: bare ids and "ID STATE" lines, nothing
// for commands that have no single essential value.

import type { JobDetail, JobState, JobSummary, ServerDetail, TaskDetail, TaskExplainResult, WorkerDetail, WorkerResource } from '../../client/types.js';
import type {
  JobCancelOutcome,
  JobCloseOutcome,
  JobForgetResult,
  JobProgress,
  JobWaitResult,
  Output,
  OutputSink,
  TaskOutputOptions,
  WorkerStopOutcome,
} from './output.js';
import { reportJobCancel, reportJobCloseFailure, reportWorkerStop } from './request-results.js';

export class QuietOutput implements Output {
  constructor(private readonly sink: OutputSink) {}

  private line(text: string): void {
    this.sink.write(`${text}\n`);
  }

  jobSubmitted(jobId: number): void {
    this.line(String(jobId));
  }

  jobOpened(jobId: number): void {
    this.line(String(jobId));
  }

  jobList(jobs: readonly JobSummary[]): void {
    this.sink.write(jobs.map((job) => `${job.id} ${job.state}\n`).join(''));
  }

  jobSummary(jobs: readonly JobSummary[]): void {
    const order: JobState[] = ['RUNNING', 'WAITING', 'FINISHED', 'FAILED', 'CANCELED'];
    for (const state of order) this.line(`${state} ${jobs.filter((job) => job.state === state).length}`);
  }

  jobDetail(_jobs: readonly JobDetail[]): void {}

  jobWaitResult(_result: JobWaitResult): void {}

  jobProgress(_progress: JobProgress): void {}

  jobCancelResult(results: readonly JobCancelOutcome[]): void {
    reportJobCancel(this.sink, results);
  }

  /** The ids of the closed jobs; those that could not be closed as errors on stderr. */
  jobCloseResult(results: readonly JobCloseOutcome[]): void {
    for (const outcome of [...results].sort((a, b) => a.jobId - b.jobId)) {
      if (outcome.result === 'closed') this.line(String(outcome.jobId));
      else reportJobCloseFailure(this.sink, outcome);
    }
  }

  /** The ids of the forgotten jobs. */
  jobForgetResult(result: JobForgetResult): void {
    for (const id of [...result.forgotten].sort((a, b) => a - b)) this.line(String(id));
  }

  taskList(_jobIds: number | readonly number[], _tasks: readonly TaskDetail[], _options?: TaskOutputOptions): void {}

  taskDetail(_tasks: readonly TaskDetail[], _options?: TaskOutputOptions): void {}

  workerList(workers: readonly WorkerDetail[]): void {
    this.sink.write(workers.map((worker) => `${worker.id} ${worker.state}\n`).join(''));
  }

  workerDetail(_worker: WorkerDetail): void {}

  workerStopResult(results: readonly WorkerStopOutcome[]): void {
    reportWorkerStop(this.sink, results);
  }

  /** Only the server directory, and only when known. */
  serverInfo(info: ServerDetail): void {
    if (info.serverDir !== '') this.line(info.serverDir);
  }

  /** One line per worker: id and whether the task can run there now. */
  taskExplain(_jobId: number, _taskId: number, result: TaskExplainResult): void {
    for (const w of result.workers) this.sink.write(`${w.workerId} ${w.runnableNow ? 'now' : w.runnableEver ? 'later' : 'never'}\n`);
  }

  hwdetect(_resources: readonly WorkerResource[]): void {}

  error(message: string): void {
    this.sink.writeError(`${message}\n`);
  }

  message(_text: string): void {}
}
