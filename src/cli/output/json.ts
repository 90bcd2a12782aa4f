// Machine-readable output: each command prints exactly one pretty-printed JSON
// value on stdout, with the keys and nesting of HyperQueue's JSON mode.
// Durations are float seconds, timestamps RFC 3339 in UTC.

import type {
  JobDetail,
  JobSummary,
  ResourceAmount,
  ServerDetail,
  TaskDetail,
  TaskExplanation,
  WorkerDetail,
  WorkerResource,
} from '../../client/types.js';
import { formatRfc3339 } from './datetimes.js';
import { jsonSeconds, toPrettyJson, type JsonValue } from './json-text.js';
import type {
  JobCancelOutcome,
  JobProgress,
  JobWaitResult,
  Output,
  OutputSink,
  TaskOutputOptions,
  WorkerStopOutcome,
} from './output.js';
import { reportJobCancel, reportWorkerStop } from './request-results.js';
import { rangeBounds } from './resources-text.js';

type JsonObject = { [key: string]: JsonValue | undefined };

// Resource amounts travel as integer ten-thousandths of a unit.
const FRACTIONS_PER_UNIT = 10_000;

const POLICY_TAG: Record<string, string> = {
  compact: 'Compact',
  'compact!': 'ForceCompact',
  tight: 'Tight',
  'tight!': 'ForceTight',
  scatter: 'Scatter',
};

function fractions(amount: number): number {
  return Math.round(amount * FRACTIONS_PER_UNIT);
}

function optionalSeconds(seconds: number | null | undefined): JsonValue {
  return seconds === null || seconds === undefined ? null : jsonSeconds(seconds);
}

function stdioValue(path: string): JsonValue {
  return path === '' ? null : path;
}

function pinModeValue(mode: string | undefined): JsonValue {
  return mode === undefined || mode === 'none' ? null : mode;
}

function requestValue(request: ResourceAmount): JsonValue {
  if (request.policy === 'all') return 'All';
  const tag = POLICY_TAG[request.policy] ?? request.policy;
  return { [tag]: fractions(request.amount) };
}

export function jobInfoJson(job: JobSummary): JsonObject {
  return {
    id: job.id,
    name: job.name,
    task_count: job.taskCount,
    is_open: job.isOpen,
    task_stats: {
      running: job.counts.running,
      finished: job.counts.finished,
      failed: job.counts.failed,
      canceled: job.counts.canceled,
      waiting: job.counts.waiting,
    },
  };
}

export function taskJson(task: TaskDetail): JsonObject {
  const data: JsonObject = { id: task.taskId, state: task.state.toLowerCase() };
  const started = task.startTime > 0;
  // Paths are known once the task has been placed on a worker.
  if (started) {
    data['cwd'] = task.cwd;
    data['stdout'] = stdioValue(task.stdout);
    data['stderr'] = stdioValue(task.stderr);
  }
  const ran = task.state === 'RUNNING' || task.state === 'FINISHED' || task.state === 'FAILED';
  if (started && ran) {
    data['started_at'] = formatRfc3339(task.startTime);
    if (task.workers.length === 1) data['worker'] = task.workers[0]!;
    else data['workers'] = [...task.workers];
  }
  if (task.state === 'FINISHED' || task.state === 'FAILED') data['finished_at'] = formatRfc3339(task.endTime);
  if (task.state === 'FAILED') data['error'] = task.error;
  return data;
}

function taskDescriptionJson(job: JobDetail): JsonObject {
  const env: JsonObject = {};
  for (const [key, value] of Object.entries(job.program.env)) env[key] = value;
  return {
    program: {
      args: [...job.program.args],
      env,
      cwd: job.program.cwd,
      stdout: stdioValue(job.program.stdout),
      stderr: stdioValue(job.program.stderr),
    },
    resources: [
      {
        n_nodes: 0,
        resources: job.resources.map((r) => ({ resource: r.name, request: requestValue(r) })),
        min_time: jsonSeconds(job.timeRequest),
      },
    ],
    pin_mode: pinModeValue(job.pinMode),
    priority: job.priority,
    time_limit: optionalSeconds(job.timeLimit),
    task_dir: job.taskDir ?? false,
    crash_limit: job.crashLimit,
  };
}

export function jobDetailJson(job: JobDetail): JsonObject {
  const terminated = job.counts.running === 0 && job.counts.waiting === 0;
  return {
    info: jobInfoJson(job),
    max_fails: job.maxFails,
    started_at: formatRfc3339(job.submitTime),
    finished_at: terminated && job.endTime > 0 ? formatRfc3339(job.endTime) : null,
    submits: [{ array: taskDescriptionJson(job) }],
    tasks: (job.tasks ?? []).map(taskJson),
  };
}

export function resourceJson(resource: WorkerResource): JsonObject {
  switch (resource.kind) {
    case 'list':
      return { name: resource.name, kind: 'list', values: resource.groups.flat() };
    case 'range': {
      const { start, end } = rangeBounds(resource);
      return { name: resource.name, kind: 'range', start, end };
    }
    case 'sum':
      return { name: resource.name, kind: 'sum', size: fractions(resource.sum) };
    case 'groups':
      return { name: resource.name, kind: 'groups', groups: resource.groups.map((g) => [...g]) };
  }
}

function resourceDescriptorJson(resources: readonly WorkerResource[]): JsonObject {
  return { resources: resources.map(resourceJson) };
}

function managerJson(managerType: string): string {
  const lower = managerType.toLowerCase();
  if (lower === 'pbs') return 'PBS';
  if (lower === 'slurm') return 'Slurm';
  return managerType;
}

export function workerJson(worker: WorkerDetail): JsonObject {
  const alive = worker.state === 'RUNNING';
  const last = worker.lastTaskStarted;
  return {
    id: worker.id,
    configuration: {
      heartbeat_interval: jsonSeconds(worker.heartbeatInterval),
      idle_timeout: optionalSeconds(worker.idleTimeout),
      time_limit: optionalSeconds(worker.timeLimit),
      work_dir: worker.workDir,
      hostname: worker.hostname,
      group: worker.group,
      listen_address: worker.listenAddress,
      resources: resourceDescriptorJson(worker.resources),
      on_server_lost: worker.onServerLost ?? 'stop',
    },
    allocation:
      worker.managerType === '' ? null : { manager: managerJson(worker.managerType), id: worker.managerJobId },
    runtime_info: alive
      ? {
          SingleNodeTasks: {
            assigned_tasks: worker.assignedTasks,
            running_tasks: worker.runningTasks,
            is_reserved: false,
          },
        }
      : null,
    last_task_started: last ? { job_id: last.jobId, task_id: last.taskId, time: formatRfc3339(last.time) } : null,
    started: formatRfc3339(worker.startTime),
    ended: alive ? null : { at: formatRfc3339(worker.endTime) },
  };
}

export function serverJson(info: ServerDetail): JsonObject {
  return {
    server_dir: info.serverDir === '' ? null : info.serverDir,
    server_uid: info.serverUid,
    client_host: info.host,
    worker_host: info.workerHost ?? info.host,
    client_port: info.clientPort,
    worker_port: info.workerPort,
    pid: info.pid,
    start_date: formatRfc3339(info.startTime),
    version: info.version,
  };
}

export class JsonOutput implements Output {
  constructor(private readonly sink: OutputSink) {}

  private print(value: JsonValue): void {
    this.sink.write(`${toPrettyJson(value)}\n`);
  }

  jobSubmitted(jobId: number): void {
    this.print({ id: jobId });
  }

  jobOpened(jobId: number): void {
    this.print({ id: jobId });
  }

  jobList(jobs: readonly JobSummary[]): void {
    this.print(jobs.map(jobInfoJson));
  }

  jobSummary(jobs: readonly JobSummary[]): void {
    const counts: { [state: string]: number } = { Running: 0, Waiting: 0, Finished: 0, Failed: 0, Canceled: 0 };
    for (const job of jobs) {
      const name = job.state.charAt(0) + job.state.slice(1).toLowerCase();
      counts[name] = (counts[name] ?? 0) + 1;
    }
    this.print(counts);
  }

  jobDetail(jobs: readonly JobDetail[]): void {
    this.print(jobs.map(jobDetailJson));
  }

  jobWaitResult(result: JobWaitResult): void {
    this.print({
      duration: jsonSeconds(result.durationMs / 1000),
      finished: result.finished,
      failed: result.failed,
      canceled: result.canceled,
      invalid: result.invalid,
    });
  }

  /** Progress redraws are for terminals; the JSON stream stays a single value. */
  jobProgress(_progress: JobProgress): void {}

  jobCancelResult(results: readonly JobCancelOutcome[]): void {
    reportJobCancel(this.sink, results);
  }

  taskList(jobIds: number | readonly number[], tasks: readonly TaskDetail[], _options?: TaskOutputOptions): void {
    const ids = typeof jobIds === 'number' ? [jobIds] : jobIds;
    const byJob: { [jobId: string]: JsonValue[] } = {};
    for (const id of ids) byJob[String(id)] = [];
    for (const task of tasks) (byJob[String(task.jobId)] ??= []).push(taskJson(task));
    this.print(byJob);
  }

  taskDetail(tasks: readonly TaskDetail[], _options?: TaskOutputOptions): void {
    this.print(tasks.map(taskJson));
  }

  workerList(workers: readonly WorkerDetail[]): void {
    this.print(workers.map(workerJson));
  }

  workerDetail(worker: WorkerDetail): void {
    this.print(workerJson(worker));
  }

  workerStopResult(results: readonly WorkerStopOutcome[]): void {
    reportWorkerStop(this.sink, results);
  }

  serverInfo(info: ServerDetail): void {
    this.print(serverJson(info));
  }

  taskExplain(jobId: number, taskId: number, state: string, workers: readonly TaskExplanation[]): void {
    this.print({ job_id: jobId, task_id: taskId, state, workers: workers as unknown as JsonValue } as JsonValue);
  }

  hwdetect(resources: readonly WorkerResource[]): void {
    this.print(resourceDescriptorJson(resources));
  }

  error(message: string): void {
    this.print({ error: message });
  }

  /** Prose has no place in a JSON stream. */
  message(_text: string): void {}
}
