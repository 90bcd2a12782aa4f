// Results of cancel and stop requests. They are reported as log lines on
// stderr in every output mode, as the original client does.

import { formatLogLine, type LogLevel } from './log-line.js';
import type { JobCancelOutcome, JobCloseOutcome, JobForgetResult, OutputSink, WorkerStopOutcome } from './output.js';
import { pluralize } from './text.js';

function log(sink: OutputSink, level: LogLevel, message: string): void {
  sink.writeError(formatLogLine(level, message, sink.now(), sink.colors));
}

export function reportJobCancel(sink: OutputSink, results: readonly JobCancelOutcome[]): void {
  if (results.length === 0) {
    log(sink, 'INFO', 'There is nothing to cancel');
    return;
  }
  for (const outcome of [...results].sort((a, b) => a.jobId - b.jobId)) {
    const id = outcome.jobId;
    switch (outcome.result) {
      case 'canceled':
        if (outcome.canceledTasks > 0) {
          log(
            sink,
            'INFO',
            `Job ${id} canceled (${outcome.canceledTasks} tasks canceled, ${outcome.alreadyFinished} tasks already finished)`,
          );
        } else {
          log(sink, 'ERROR', `Canceling job ${id} failed; all tasks are already finished`);
        }
        break;
      case 'not-found':
        log(sink, 'ERROR', `Canceling job ${id} failed; job not found`);
        break;
      case 'failed':
        log(sink, 'ERROR', `Canceling job ${id} failed; ${outcome.message}`);
        break;
    }
  }
}

export function reportJobClose(sink: OutputSink, results: readonly JobCloseOutcome[]): void {
  if (results.length === 0) {
    log(sink, 'INFO', 'There is nothing to close');
    return;
  }
  for (const outcome of [...results].sort((a, b) => a.jobId - b.jobId)) {
    if (outcome.result === 'closed') log(sink, 'INFO', `Job ${outcome.jobId} closed`);
    else reportJobCloseFailure(sink, outcome);
  }
}

/** Logs why a job could not be closed. */
export function reportJobCloseFailure(sink: OutputSink, outcome: JobCloseOutcome): void {
  if (outcome.result === 'not-found') log(sink, 'ERROR', `Closing job ${outcome.jobId} failed; job not found`);
  else if (outcome.result === 'already-closed') log(sink, 'ERROR', `Closing job ${outcome.jobId} failed; job is already closed`);
}

/** As the original words it: the count of forgotten jobs, and of those left alone. */
export function reportJobForget(sink: OutputSink, result: JobForgetResult): void {
  const forgotten = result.forgotten.length;
  let message = `${forgotten} ${pluralize('job', forgotten)} were forgotten`;
  if (result.ignored.length > 0) message += `, ${result.ignored.length} were ignored due to wrong state or invalid ID`;
  log(sink, 'INFO', message);
}

export function reportWorkerStop(sink: OutputSink, results: readonly WorkerStopOutcome[]): void {
  for (const outcome of [...results].sort((a, b) => a.workerId - b.workerId)) {
    const id = outcome.workerId;
    switch (outcome.result) {
      case 'stopped':
        log(sink, 'INFO', `Worker ${id} stopped`);
        break;
      case 'not-found':
        log(sink, 'ERROR', `Stopping worker ${id} failed; worker not found`);
        break;
      case 'already-stopped':
        log(sink, 'WARN', `Stopping worker ${id} failed; worker is already stopped`);
        break;
      case 'failed':
        log(sink, 'ERROR', `Stopping worker ${id} failed; ${outcome.message}`);
        break;
    }
  }
}

/** A notice on stderr, e.g. that an error message was shortened. */
export function reportNotice(sink: OutputSink, level: LogLevel, message: string): void {
  log(sink, level, message);
}
