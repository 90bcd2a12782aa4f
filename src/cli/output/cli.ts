// Human-readable output: boxed tables and short sentences, coloured when the
// sink allows it. Layout and wording follow HyperQueue's own CLI so that
// scripts written against it keep working.

import { explainText } from './explain-text.js';
import type {
  JobDetail,
  JobState,
  JobSummary,
  ServerDetail,
  TaskDetail,
  TaskExplainResult,
  TemplateDetail,
  WorkerDetail,
  WorkerResource,
} from '../../client/types.js';
import { colorize, type AnsiColor } from './ansi.js';
import { formatLocalTime, formatRfc3339, formatUtcRounded, formatUtcTruncated } from './datetimes.js';
import { formatDurationMs, formatDurationSeconds, humanDuration } from './durations.js';
import { formatIdRanges, mergeIdRanges } from './id-ranges.js';
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
import { reportJobCancel, reportJobClose, reportJobForget, reportNotice, reportWorkerStop } from './request-results.js';
import { formatResourceVariants, resourcesFullDescription, resourcesSummary } from './resources-text.js';
import { STATE_COLOR, WORKER_STATE_COLOR, completedTasks, jobStateBreakdown, progressBar } from './states.js';
import { boldCell, cell, renderHorizontalTable, renderVerticalTable, type TableCell } from './table.js';
import { pluralize, truncateEnd, truncateMiddle, wrapText } from './text.js';
import { isStreamedOutput } from '../../common/placeholders.js';

const COMMAND_WRAP_WIDTH = 80;
const JOB_NAME_WIDTH = 50;
const LIST_ERROR_LENGTH = 16;
const INFO_ERROR_LENGTH = 237;
const SHOWN_FAILED_TASKS = 5;
const SHOWN_JOB_WORKERS = 2;

type VerticalRow = readonly [string, TableCell | string | number];

function stateCell(state: JobState): TableCell {
  return cell(state, { color: STATE_COLOR[state] });
}

function stdioText(path: string): string {
  return path === '' ? '<None>' : path;
}

/** An output of a task or template; `<Stream>` when it goes to the stream directory instead. */
function outputText(path: string, streamDir: string, pathTemplate: string, channel: 'stdout' | 'stderr'): string {
  return isStreamedOutput(streamDir, pathTemplate, channel) ? '<Stream>' : stdioText(path);
}

/** HyperQueue's names of the pin modes in tables. */
function pinText(mode: string | undefined): string {
  return mode === 'openmp' ? 'omp' : (mode ?? 'none');
}

function environmentText(env: Record<string, string>): string {
  return Object.keys(env)
    .filter((key) => !key.startsWith('HQ_'))
    .sort()
    .map((key) => `${key}=${env[key]}`)
    .join('\n');
}

function commandText(args: readonly string[]): string {
  return args.map((arg) => wrapText(arg, COMMAND_WRAP_WIDTH)).join('\n');
}

function optionalDuration(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? 'None' : formatDurationSeconds(seconds);
}

function managerName(managerType: string): string {
  const lower = managerType.toLowerCase();
  if (lower === 'pbs') return 'PBS';
  if (lower === 'slurm') return 'SLURM';
  return managerType;
}

/** Hostnames of the task's workers, one per line; unknown hosts show as "N/A". */
function taskWorkersText(task: TaskDetail): string {
  return task.workers.map((_, i) => task.hostnames[i] || 'N/A').join('\n');
}

/** The rows of job info that describe how the tasks of its one array submission run. */
function templateRows(template: TemplateDetail): VerticalRow[] {
  const { program } = template;
  const resources = formatResourceVariants(template.variants);
  return [
    ['Resources', template.pinMode !== 'none' ? `${resources} [pin]` : resources],
    ['Priority', template.priority],
    ['Command', commandText(program.args)],
    ['Stdout', outputText(program.stdout, template.streamDir, program.stdout, 'stdout')],
    ['Stderr', outputText(program.stderr, template.streamDir, program.stderr, 'stderr')],
    ['Environment', environmentText(program.env)],
    ['Working directory', program.cwd],
    ['Task time limit', optionalDuration(template.timeLimit)],
    ['Crash limit', template.crashLimit],
  ];
}

export class CliOutput implements Output {
  constructor(private readonly sink: OutputSink) {}

  private get colors(): boolean {
    return this.sink.colors;
  }

  private print(text: string): void {
    this.sink.write(text);
  }

  private horizontal(headers: readonly string[], rows: readonly (readonly TableCell[])[]): void {
    this.print(renderHorizontalTable(headers.map(boldCell), rows, this.colors));
  }

  private vertical(rows: readonly VerticalRow[]): void {
    this.print(renderVerticalTable(rows, this.colors));
  }

  /** Task start to end (or to now while running); empty before it started. */
  private taskMakespan(task: TaskDetail): string {
    if (task.startTime <= 0) return '';
    const end = task.endTime > 0 ? task.endTime : this.sink.now();
    return humanDuration(end - task.startTime);
  }

  jobSubmitted(jobId: number): void {
    this.print(`Job submitted ${colorize('successfully', 'green', this.colors)}, job ID: ${jobId}\n`);
  }

  jobOpened(jobId: number): void {
    this.print(`Job ${colorize(String(jobId), 'green', this.colors)} is open.\n`);
  }

  jobList(jobs: readonly JobSummary[], totalJobs: number = jobs.length): void {
    const rows = jobs.map((job) => [
      cell(job.isOpen ? `*${job.id}` : job.id, { alignRight: true }),
      cell(truncateMiddle(job.name, JOB_NAME_WIDTH)),
      stateCell(job.state),
      cell(job.taskCount),
    ]);
    this.horizontal(['ID', 'Name', 'State', 'Tasks'], rows);
    if (jobs.some((job) => job.isOpen)) this.print('* = Open jobs\n');
    if (jobs.length !== totalJobs) {
      const verb = totalJobs === 1 ? 'is' : 'are';
      this.print(`There ${verb} ${totalJobs} ${pluralize('job', totalJobs)} in total. Use \`--all\` to display all jobs.\n`);
    }
  }

  jobSummary(jobs: readonly JobSummary[]): void {
    const order: JobState[] = ['RUNNING', 'WAITING', 'FINISHED', 'FAILED', 'CANCELED'];
    const rows = order.map((state) => [
      stateCell(state),
      cell(jobs.filter((job) => job.state === state).length, { alignRight: true }),
    ]);
    this.horizontal(['Status', 'Count'], rows);
  }

  jobDetail(jobs: readonly JobDetail[]): void {
    for (const job of jobs) {
      this.vertical(this.jobDetailRows(job));
      this.failedTaskSummary(job);
    }
  }

  private jobDetailRows(job: JobDetail): VerticalRow[] {
    const end = job.endTime > 0 ? job.endTime : this.sink.now();
    // As the original: the shared description only for a single array submission,
    // whose ids are shown as given; the ids of several submissions are joined.
    const single = job.submits.length === 1 ? job.submits[0]! : null;
    const shared = single && !single.graph ? single.templates[0]! : null;
    const ids = formatIdRanges(shared ? job.taskIds : mergeIdRanges(job.taskIds));
    return [
      ['ID', job.id],
      ['Name', job.name],
      [
        'State',
        job.taskCount === 1 ? stateCell(job.state) : cell(jobStateBreakdown(job.counts, job.taskCount, this.colors)),
      ],
      ['Session', job.isOpen ? cell('open', { color: 'green' }) : 'closed'],
      ['Tasks', ids === '' ? String(job.taskCount) : `${job.taskCount}; Ids: ${ids}`],
      ['Workers', this.jobWorkersText(job)],
      ...(shared ? templateRows(shared) : []),
      ['Submission date', formatUtcRounded(job.submitTime)],
      ...(single ? [['Submission directory', job.submitDir] as const] : []),
      ['Makespan', humanDuration(end - job.submitTime)],
    ];
  }

  /** Distinct workers that ran the job's tasks, by id; only the first few are named. */
  private jobWorkersText(job: JobDetail): string {
    const hostById = new Map<number, string>();
    for (const task of job.tasks ?? []) {
      task.workers.forEach((id, i) => {
        if (!hostById.has(id) || hostById.get(id) === 'N/A') hostById.set(id, task.hostnames[i] || 'N/A');
      });
    }
    const ids = [...hostById.keys()].sort((a, b) => a - b);
    let text = ids
      .slice(0, SHOWN_JOB_WORKERS)
      .map((id) => hostById.get(id))
      .join(', ');
    if (ids.length > SHOWN_JOB_WORKERS) text += `, … (${ids.length} total)`;
    return text;
  }

  /** A table of the first failed tasks of a job and how many failed in all. */
  private failedTaskSummary(job: JobDetail): void {
    const hostById = new Map<number, string>();
    for (const task of job.tasks ?? []) task.workers.forEach((id, i) => hostById.set(id, task.hostnames[i] || 'N/A'));
    const failures =
      job.failures.length > 0
        ? [...job.failures].sort((a, b) => a.taskId - b.taskId)
        : (job.tasks ?? [])
            .filter((task) => task.state === 'FAILED')
            .sort((a, b) => a.taskId - b.taskId)
            .map((task) => ({ taskId: task.taskId, workers: task.workers, error: task.error }));
    if (failures.length === 0) return;
    const shown = failures.slice(0, SHOWN_FAILED_TASKS);
    const rows = shown.map((failure) => [
      cell(failure.taskId),
      cell(failure.workers.map((id) => hostById.get(id) ?? 'N/A').join('\n')),
      cell(failure.error, { color: 'red' }),
    ]);
    this.horizontal(['Task ID', 'Worker', 'Error'], rows);
    const failedCount = Math.max(job.counts.failed, failures.length);
    this.print(
      shown.length < failedCount
        ? `${failedCount} tasks failed. (${shown.length} shown)\n`
        : `${failedCount} tasks failed.\n`,
    );
  }

  jobWaitResult(result: JobWaitResult): void {
    for (const job of result.jobs ?? []) this.failedTaskSummary(job);
    const outcomes: Array<readonly [number, string, AnsiColor]> = [
      [result.finished, 'finished', 'green'],
      [result.failed, 'failed', 'red'],
      [result.canceled, 'canceled', 'magenta'],
      [result.invalid, 'invalid', 'bright-red'],
    ];
    const parts = outcomes
      .filter(([count]) => count > 0)
      .map(([count, action, color]) => colorize(`${count} ${pluralize('job', count)} ${action}`, color, this.colors));
    this.print(`Wait finished in ${formatDurationMs(result.durationMs)}: ${parts.join(', ')}\n`);
  }

  jobProgress(progress: JobProgress): void {
    const { counts } = progress;
    const states: Array<readonly [number, 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED']> = [
      [counts.running, 'RUNNING'],
      [counts.finished, 'FINISHED'],
      [counts.failed, 'FAILED'],
      [counts.canceled, 'CANCELED'],
    ];
    const status = states
      .filter(([count]) => count > 0)
      .map(([count, name]) => `${count} ${colorize(name, STATE_COLOR[name], this.colors)}`)
      .join(' ');
    const line =
      `${progressBar(counts, progress.taskCount, 40, this.colors)} ` +
      `${progress.completedJobs}/${progress.jobCount} jobs, ` +
      `${completedTasks(counts)}/${progress.taskCount} tasks ${status}`;
    // On a terminal the line redraws itself in place; elsewhere each update is its own line.
    if (this.colors) this.print(`\r\x1b[2K${line}${progress.done ? '\n' : ''}`);
    else this.print(`${line}\n`);
  }

  jobCancelResult(results: readonly JobCancelOutcome[]): void {
    reportJobCancel(this.sink, results);
  }

  jobCloseResult(results: readonly JobCloseOutcome[]): void {
    reportJobClose(this.sink, results);
  }

  jobForgetResult(result: JobForgetResult): void {
    reportJobForget(this.sink, result);
  }

  taskList(jobIds: number | readonly number[], tasks: readonly TaskDetail[], options: TaskOutputOptions = {}): void {
    const jobCount = typeof jobIds === 'number' ? 1 : jobIds.length;
    const withJobColumn = jobCount !== 1;
    const sorted = [...tasks].sort((a, b) => a.jobId - b.jobId || a.taskId - b.taskId);
    let truncated = false;
    const rows = sorted.map((task) => {
      let error = cell('');
      if (task.state === 'FAILED') {
        let text = task.error;
        if (!options.verbose) {
          const cut = truncateEnd(text, LIST_ERROR_LENGTH);
          text = cut.text;
          truncated ||= cut.truncated;
        }
        error = cell(text, { color: 'red' });
      }
      const row = [
        cell(task.taskId, { alignRight: true }),
        stateCell(task.state),
        cell(taskWorkersText(task)),
        cell(this.taskMakespan(task)),
        error,
      ];
      return withJobColumn ? [cell(task.jobId, { alignRight: true }), ...row] : row;
    });
    const headers = ['Task ID', 'State', 'Worker', 'Makespan', 'Error'];
    this.horizontal(withJobColumn ? ['Job ID', ...headers] : headers, rows);
    if (truncated) reportNotice(this.sink, 'INFO', 'An error message was truncated. Use -v to display the full error.');
  }

  taskDetail(tasks: readonly TaskDetail[], options: TaskOutputOptions = {}): void {
    let truncated = false;
    for (const task of tasks) {
      const started = task.startTime > 0;
      let error = cell('');
      if (task.state === 'FAILED') {
        let text = task.error;
        if (!options.verbose) {
          const cut = truncateEnd(text, INFO_ERROR_LENGTH);
          text = cut.text;
          truncated ||= cut.truncated;
        }
        error = cell(text, { color: 'red' });
      }
      this.vertical([
        ['Task ID', task.taskId],
        ['State', stateCell(task.state)],
        ['Command', commandText(task.program.args)],
        ['Environment', environmentText(task.program.env)],
        ['Worker', taskWorkersText(task)],
        ['Start', started ? formatLocalTime(task.startTime) : ''],
        ['End', task.endTime > 0 ? formatLocalTime(task.endTime) : ''],
        ['Makespan', this.taskMakespan(task)],
        ['Workdir', started ? task.cwd : ''],
        ['Stdout', started ? outputText(task.stdout, task.streamDir ?? '', task.program.stdout, 'stdout') : ''],
        ['Stderr', started ? outputText(task.stderr, task.streamDir ?? '', task.program.stderr, 'stderr') : ''],
        ['Time limit', optionalDuration(task.timeLimit)],
        ['Resources', formatResourceVariants(task.variants ?? [])],
        ['Priority', task.priority ?? 0],
        ['Pin', pinText(task.pinMode)],
        ['Task dir', task.taskDir ? 'yes' : 'no'],
        ['Crash limit', task.crashLimit ?? ''],
        ['Dependencies', (task.dependencies ?? []).join(',')],
        ['Error', error],
      ]);
    }
    if (truncated) {
      reportNotice(this.sink, 'INFO', 'An error message(s) was truncated. Use -v to display the full error(s).');
    }
  }

  workerList(workers: readonly WorkerDetail[]): void {
    const rows = workers.map((worker) => [
      cell(worker.id, { alignRight: true }),
      cell(worker.state, { color: WORKER_STATE_COLOR[worker.state] }),
      cell(worker.hostname),
      cell(resourcesSummary(worker.resources, false)),
      cell(worker.managerType === '' ? 'None' : managerName(worker.managerType)),
      cell(worker.managerJobId === '' ? 'N/A' : worker.managerJobId),
    ]);
    // The original leaves the first header cell unstyled.
    const header = [cell('ID'), ...['State', 'Hostname', 'Resources', 'Manager', 'Manager Job ID'].map(boldCell)];
    this.print(renderHorizontalTable(header, rows, this.colors));
  }

  workerDetail(worker: WorkerDetail): void {
    this.vertical([
      ['Worker ID', worker.id],
      ['Hostname', worker.hostname],
      // Printed as a JSON string, quotes included, as the original does.
      ['Started', JSON.stringify(formatRfc3339(worker.startTime))],
      ['Data provider', worker.listenAddress],
      ['Working directory', worker.workDir],
      ['Heartbeat', formatDurationSeconds(worker.heartbeatInterval)],
      ['Idle timeout', optionalDuration(worker.idleTimeout)],
      ['Resources', resourcesSummary(worker.resources, true)],
      ['Time Limit', optionalDuration(worker.timeLimit)],
      ['Process pid', worker.pid === undefined ? 'N/A' : worker.pid],
      ['Group', worker.group],
      ['Manager', worker.managerType === '' ? 'None' : managerName(worker.managerType)],
      ['Manager Job ID', worker.managerJobId === '' ? 'N/A' : worker.managerJobId],
    ]);
  }

  workerStopResult(results: readonly WorkerStopOutcome[]): void {
    reportWorkerStop(this.sink, results);
  }

  serverInfo(info: ServerDetail): void {
    const rows: VerticalRow[] = [
      ['Server UID', info.serverUid],
      ['Client host', info.host],
      ['Client port', info.clientPort],
      ['Worker host', info.workerHost ?? info.host],
      ['Worker port', info.workerPort],
      ['Version', info.version],
      ['Pid', info.pid],
      ['Start date', formatUtcTruncated(info.startTime)],
    ];
    if (info.serverDir !== '') rows.unshift(['Server directory', info.serverDir]);
    this.vertical(rows);
  }

  taskExplain(jobId: number, taskId: number, result: TaskExplainResult): void {
    this.print(explainText(jobId, taskId, result.state, result.workers));
  }

  hwdetect(resources: readonly WorkerResource[]): void {
    this.print(`Summary:\n${resourcesSummary(resources, true)}\n\n`);
    this.print(`Full Description:\n${resourcesFullDescription(resources)}\n`);
  }

  error(message: string): void {
    this.sink.writeError(`${message}\n`);
  }

  message(text: string): void {
    this.print(`${text}\n`);
  }
}
