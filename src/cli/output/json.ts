// Machine-readable output: each command prints exactly one pretty-printed JSON
// value on stdout, with the keys and nesting of HyperQueue's JSON mode.
// Durations are float seconds, timestamps RFC 3339 in UTC.

import type {
  JobDetail,
  JobSummary,
  ResourceAmount,
  ServerDetail,
  SubmitDetail,
  TaskDetail,
  TaskExplainResult,
  TaskExplanation,
  TemplateDetail,
  WorkerDetail,
  WorkerResource,
} from '../../client/types.js';
import { formatRfc3339 } from './datetimes.js';
import { jsonSeconds, toPrettyJson, type JsonValue } from './json-text.js';
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
import { reportJobCancel, reportJobClose, reportJobForget, reportWorkerStop } from './request-results.js';
import { rangeBounds } from './resources-text.js';
import { isStreamedOutput } from '../../common/placeholders.js';

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

/** How HyperQueue shows an output that goes to the stream instead of a file. */
const STREAMED_STDIO = '<pipe>';

function stdioValue(path: string): JsonValue {
  return path === '' ? null : path;
}

/** A duration as Rust's serde writes one: whole seconds and nanoseconds. */
function durationJson(seconds: number): JsonValue {
  const secs = Math.floor(seconds);
  return { secs, nanos: Math.round((seconds - secs) * 1e9) };
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

/** One output of a task or template: `<pipe>` when it goes to the stream. */
function outputValue(path: string, streamDir: string, pathTemplate: string, channel: 'stdout' | 'stderr'): JsonValue {
  return isStreamedOutput(streamDir, pathTemplate, channel) ? STREAMED_STDIO : stdioValue(path);
}

/** One task; its template (when not fetched with the task) tells which outputs were streamed. */
export function taskJson(task: TaskDetail, template?: TemplateDetail): JsonObject {
  const data: JsonObject = { id: task.taskId, state: task.state.toLowerCase() };
  const started = task.startTime > 0;
  const streamDir = template ? template.streamDir : (task.streamDir ?? '');
  const program = template ? template.program : task.program;
  // Paths are known once the task has been placed on a worker.
  if (started) {
    data['cwd'] = task.cwd;
    data['stdout'] = outputValue(task.stdout, streamDir, program.stdout, 'stdout');
    data['stderr'] = outputValue(task.stderr, streamDir, program.stderr, 'stderr');
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

function taskDescriptionJson(template: TemplateDetail): JsonObject {
  const { program } = template;
  const env: JsonObject = {};
  for (const [key, value] of Object.entries(program.env)) env[key] = value;
  return {
    program: {
      args: [...program.args],
      env,
      cwd: program.cwd,
      stdout: outputValue(program.stdout, template.streamDir, program.stdout, 'stdout'),
      stderr: outputValue(program.stderr, template.streamDir, program.stderr, 'stderr'),
    },
    resources: template.variants.map((variant) => ({
      n_nodes: variant.nodes,
      resources: variant.resources.map((r) => ({ resource: r.name, request: requestValue(r) })),
      min_time: jsonSeconds(template.timeRequest),
    })),
    pin_mode: pinModeValue(template.pinMode),
    priority: template.priority,
    time_limit: optionalSeconds(template.timeLimit),
    task_dir: template.taskDir,
    crash_limit: template.crashLimit,
  };
}

/** A submission as HyperQueue lists it: an array of one description, or a graph of one per task. */
function submitJson(submit: SubmitDetail): JsonObject {
  if (submit.graph) return { graph: submit.templates.map(taskDescriptionJson) };
  return { array: taskDescriptionJson(submit.templates[0]!) };
}

export function jobDetailJson(job: JobDetail): JsonObject {
  const terminated = job.counts.running === 0 && job.counts.waiting === 0;
  const templates = job.submits.flatMap((s) => s.templates);
  return {
    info: jobInfoJson(job),
    max_fails: job.maxFails,
    started_at: formatRfc3339(job.submitTime),
    finished_at: terminated && job.endTime > 0 ? formatRfc3339(job.endTime) : null,
    submits: job.submits.map(submitJson),
    tasks: (job.tasks ?? []).map((task) => taskJson(task, task.template === undefined ? undefined : templates[task.template])),
  };
}

/** One check of a task against a worker, as HyperQueue's explanation items. */
function explainItems(worker: TaskExplanation, variant: TaskExplanation['variants'][number]): JsonValue[] {
  const items: JsonValue[] = [];
  if (worker.timeRequest > 0) {
    items.push({
      Time: {
        min_time: durationJson(worker.timeRequest),
        remaining_time: worker.workerRemaining === null ? null : durationJson(worker.workerRemaining),
      },
    });
  }
  if (variant.nodes > 0) {
    items.push({ WorkerGroup: { n_nodes: variant.nodes, group_size: variant.group?.workers ?? 0 } });
    return items;
  }
  for (const r of variant.resources) {
    items.push({ Resources: { resource: r.name, request_amount: fractions(r.amount), worker_amount: fractions(r.workerTotal) } });
  }
  return items;
}

export function taskExplainJson(jobId: number, taskId: number, result: TaskExplainResult): JsonObject {
  return {
    task_id: { job_id: jobId, job_task_id: taskId },
    explanation: {
      n_task_deps: result.taskDeps,
      n_waiting_deps: result.waitingDeps,
      workers: result.workers.map((w) => ({ worker_id: w.workerId, variants: w.variants.map((v) => explainItems(w, v)) })),
    },
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

  /** Log lines on stderr, as the original prints in every mode. */
  jobCloseResult(results: readonly JobCloseOutcome[]): void {
    reportJobClose(this.sink, results);
  }

  jobForgetResult(result: JobForgetResult): void {
    reportJobForget(this.sink, result);
  }

  taskList(jobIds: number | readonly number[], tasks: readonly TaskDetail[], _options?: TaskOutputOptions): void {
    const ids = typeof jobIds === 'number' ? [jobIds] : jobIds;
    const byJob: { [jobId: string]: JsonValue[] } = {};
    for (const id of ids) byJob[String(id)] = [];
    for (const task of tasks) (byJob[String(task.jobId)] ??= []).push(taskJson(task));
    this.print(byJob);
  }

  taskDetail(tasks: readonly TaskDetail[], _options?: TaskOutputOptions): void {
    this.print(tasks.map((task) => taskJson(task)));
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

  taskExplain(jobId: number, taskId: number, result: TaskExplainResult): void {
    this.print(taskExplainJson(jobId, taskId, result));
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
