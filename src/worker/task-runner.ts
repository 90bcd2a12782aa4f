// Runs the tasks of a worker's queue through a launcher (see launcher.ts).
//
// Resources are allocated per lane, not per task: a lane holds one
// allocation and runs the tasks of its class one after another, and is
// closed (its allocation released) only when the head of the queue needs the
// room. Tasks are started into their class in queue order; the launcher runs
// each on an idle lane at once or queues it until a lane frees up. For short
// tasks (seen from how long earlier ones of the class ran) the launcher's
// queue is kept a few milliseconds deep, so that lanes never wait for the
// worker; longer tasks are only handed over when a lane is free, so that they
// stay in the worker's queue, where the server can still take them back.
import fs from 'node:fs';
import path from 'node:path';
import type { ResourceAllocator, Allocation } from '../core/allocator.js';
import type { ResourceVariant } from '../core/resources.js';
import type { ResourceVariantSpec } from '../client/types.js';
import { DEFAULT_CWD_TEMPLATE, isStreamedOutput } from '../common/placeholders.js';
import { log } from '../common/log.js';
import {
  OUTPUT_FILE,
  OUTPUT_NULL,
  OUTPUT_PIPE,
  OUTPUT_SAME,
  nativeLauncherPath,
  type Launcher,
  type LauncherEvents,
  type OutputMode,
  type TaskEnd,
} from './launcher.js';
import { NativeLauncher } from './native-launcher.js';
import { NodeLauncher } from './node-launcher.js';
import { StreamWriter } from './stream-writer.js';
import type { TaskQueue } from './task-queue.js';
import type { JobCatalog, WorkerJob, WorkerTemplate } from './job-catalog.js';
import { MULTI_NODE_KEYS, TASK_KEYS, allocationEnvironment, envEntries, jobEnvironment, pinPrefix, taskEnvironment } from './task-environment.js';
import { compileTaskPaths, ensureDir, type TaskPathPatterns } from './task-paths.js';
import { killTaskGroup, taskOutcome, type TaskOutcome } from './task-process.js';

/** Tasks shorter than this (on average, per class) are queued ahead in the launcher. */
const SHORT_TASK_MICROS = 20_000;
/** How much work, per lane, the launcher's queue holds for short tasks. */
const QUEUED_MICROS_PER_LANE = 16_000;
const MAX_QUEUED_PER_LANE = 64;

/** The native launcher when it was built (and not disabled by HQ_LAUNCHER=node), else Node's. */
export function createLauncher(events: LauncherEvents): Launcher {
  const native = process.env.HQ_LAUNCHER === 'node' ? null : nativeLauncherPath();
  return native ? new NativeLauncher(native, events) : new NodeLauncher(events);
}

export interface RunnerContext {
  allocator: ResourceAllocator;
  catalog: JobCatalog;
  queue: TaskQueue;
  /** Where task directories, stdin and node files go. */
  workDir: string;
  hostname: string;
  /** Known once the server registered the worker, before any task arrives. */
  workerId(): number;
  serverUid(): string;
}

export interface RunnerHooks {
  /**
   * `prompt`: the task may run long (its class has no short run time on
   * record), so the server should hear of it at once: a worker lost while it
   * runs counts as its crash.
   */
  started(run: TaskRun, prompt: boolean): void;
  /** How a task ended; not called for canceled tasks. */
  ended(run: TaskRun, outcome: TaskOutcome): void;
  /** A task that cannot be run at all. */
  rejected(row: number, instance: number, error: string): void;
  /** A batch of launcher events was handled and queued tasks were started. */
  settled(): void;
}

/** One task given to the launcher. */
export interface TaskRun {
  /** The launcher's id of it. */
  readonly id: number;
  readonly row: number;
  readonly instance: number;
  readonly job: number;
  readonly task: number;
  readonly info: WorkerJob;
  readonly template: WorkerTemplate;
  readonly cls: LaneClass;
  readonly launch: LaunchInfo;
  /** 0 until it started. */
  pid: number;
  /** Its start was reported (for a task that may run long, when it was handed over). */
  startReported: boolean;
  /** Where the report of its start was queued, for the `started` hook's own use (-1 before). */
  startSeq: number;
  canceled: boolean;
  timedOut: boolean;
  streamError: string | null;
  timer: NodeJS.Timeout | null;
  /** Files to remove when it ends (task directory, node files). */
  cleanup: string[] | null;
  stream: StreamWriter | null;
}

/** A submission's template as the launcher knows it. */
interface LaunchInfo {
  id: number;
  args: readonly string[];
  paths: TaskPathPatterns;
  stdoutMode: OutputMode;
  stderrMode: OutputMode;
  streamDir: string;
}

/** Tasks that can run on the same lanes: the same request, pinning and OMP_NUM_THREADS rule. */
class LaneClass {
  /** Open lanes (less those asked to close). */
  lanes = 0;
  /** Tasks started into the class that have not ended. */
  outstanding = 0;
  /** Mean run time of its tasks so far (0 = none ended yet). */
  meanMicros = 0;
  lowWaterSent = -1;
  promptSent = true;
  /** The launcher's queue is being topped up (it reached its low water mark). */
  refilling = true;

  constructor(
    readonly id: number,
    readonly request: ResourceVariant | null,
    readonly variant: ResourceVariantSpec | undefined,
    readonly pin: string,
    readonly jobSetsOmp: boolean,
  ) {}

  /** How many tasks may wait in the launcher's queue beyond one per lane. */
  get depth(): number {
    if (this.meanMicros === 0 || this.meanMicros >= SHORT_TASK_MICROS) return 0;
    return this.lanes * Math.min(MAX_QUEUED_PER_LANE, Math.ceil(QUEUED_MICROS_PER_LANE / this.meanMicros));
  }

  /** Where the launcher reports early (half the depth); the worker refills from there. */
  get lowWater(): number {
    return this.depth >> 1;
  }

  /** Starts of tasks that may run long are reported at once (see RunnerHooks.started). */
  get prompt(): boolean {
    return this.depth === 0;
  }

  /**
   * Whether one more task may wait in the launcher's queue. Its queue is
   * refilled in one go once it is down to the low water mark (where the
   * launcher reports early), so that one write of the worker carries many.
   */
  mayQueue(): boolean {
    const queued = this.outstanding - this.lanes;
    if (queued >= this.depth) return (this.refilling = false);
    if (queued <= this.lowWaterSent) this.refilling = true;
    return this.refilling;
  }

  noteRunTime(micros: number): void {
    this.meanMicros = this.meanMicros === 0 ? micros : this.meanMicros * 0.9 + micros * 0.1;
  }
}

interface Lane {
  cls: LaneClass;
  allocation: Allocation | null;
}

export class TaskRunner {
  private readonly launcher: Launcher;
  private readonly runs = new Map<number, TaskRun>();
  private readonly byRow = new Map<number, TaskRun>();
  private readonly classes = new Map<string, LaneClass>();
  private readonly classesOf = new WeakMap<WorkerTemplate, LaneClass[]>();
  private readonly launches = new WeakMap<WorkerTemplate, LaunchInfo>();
  private readonly multiNodeLaunches = new WeakMap<WorkerTemplate, LaunchInfo>();
  private readonly lanes = new Map<number, Lane>();
  private readonly freeLaneIds: number[] = [];
  private readonly streams = new Map<string, StreamWriter>();
  private readonly stdinFiles = new Map<WorkerTemplate, string>();
  private nextClassId = 1;
  private nextTemplateId = 1;
  private nextStdinFile = 0;
  private nextLaneId = 1;
  private nextTaskId = 1;
  private notStarted = 0;
  /** Lanes asked to close whose closing the launcher has not confirmed yet. */
  private closing = 0;
  private lostReason: string | null = null;
  private closed = false;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly hooks: RunnerHooks,
    makeLauncher: (events: LauncherEvents) => Launcher = createLauncher,
  ) {
    this.launcher = makeLauncher({
      started: (id, pid) => this.onStarted(id, pid),
      ended: (id, end, micros) => this.onEnded(id, end, micros),
      output: (id, channel, data) => this.onOutput(id, channel, data),
      laneClosed: (lane) => this.onLaneClosed(lane),
      settled: () => this.onSettled(),
      lost: (reason) => this.onLost(reason),
    });
  }

  get launcherKind(): 'native' | 'node' {
    return this.launcher.kind;
  }

  /** Tasks given to the launcher whose process has not ended (canceled ones included). */
  get active(): number {
    return this.runs.size;
  }

  /** Tasks given to the launcher that have not started yet. */
  get waiting(): number {
    return this.notStarted;
  }

  /**
   * Starts queued tasks strictly in queue order (see TaskQueue) while the
   * head fits: the scheduler assumes this order. A task that needs a lane of
   * its own gets it from resources as free as if every task held its own
   * allocation only while it runs: idle lanes of other classes are closed
   * first, and the queue waits until the launcher confirmed that.
   */
  startQueued(): void {
    if (this.closed) return;
    this.ctx.queue.forEachStartable((row, instance, job, task, variant) => {
      const info = this.ctx.catalog.get(job);
      const template = info && this.ctx.catalog.template(info, task);
      if (!info || !template) {
        this.hooks.rejected(row, instance, `The worker does not know task ${task} of job ${job}`);
        return 'taken';
      }
      const cls = this.classOf(template, variant);
      if (cls.lanes - cls.outstanding <= 0) {
        if (this.closing > 0 || this.closeIdleLanes(cls)) return 'stop';
        const allocation = this.ctx.allocator.allocate(cls.request!);
        if (allocation) this.openLane(cls, allocation, false);
        // Full, or not down to its low water mark yet: it waits for a lane of its class.
        else if (cls.lanes === 0 || !cls.mayQueue()) return 'stop';
      }
      this.launch(row, instance, job, task, info, template, cls, this.launchOf(job, info, template, false), [], null);
      return 'taken';
    });
  }

  /** A multi-node task: the whole worker is its (the server reserved it), on a lane of its own. */
  startMultiNode(row: number, instance: number, job: number, task: number, info: WorkerJob, template: WorkerTemplate, nodeEnv: string[], cleanup: string[]): void {
    const cls = this.classFor('multi-node', null, template.variants[0], template.pin, 'OMP_NUM_THREADS' in template.program.env);
    this.openLane(cls, null, true);
    this.launch(row, instance, job, task, info, template, cls, this.launchOf(job, info, template, true), nodeEnv, cleanup);
  }

  /** Cancels a task given to the launcher; false when it has none of that instance. */
  cancel(row: number, instance: number): boolean {
    const run = this.byRow.get(row);
    if (!run || run.instance !== instance) return false;
    this.byRow.delete(row);
    run.canceled = true;
    if (run.pid) killTaskGroup(run.pid);
    else this.launcher.drop(run.id); // if it starts meanwhile, onStarted kills it
    return true;
  }

  /** Drops every task that has not started; those running go on (the worker lost its server). */
  dropWaiting(): void {
    for (const run of this.runs.values()) {
      if (run.pid || run.canceled) continue;
      run.canceled = true;
      this.byRow.delete(run.row);
      this.launcher.drop(run.id);
    }
  }

  /** Writes out what the stream files buffered: before the server hears that their tasks ended. */
  flushStreams(): void {
    this.eachStream((w) => w.flush());
  }

  /** Runs `op` on every stream writer; a failing one is logged and the others still run. */
  private eachStream(op: (w: StreamWriter) => void): void {
    for (const w of this.streams.values()) {
      try {
        op(w);
      } catch (e) {
        log.error(`cannot write stream file ${w.path}: ${(e as Error).message}`);
      }
    }
  }

  /** Ends everything: running tasks are killed, the launcher stops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const run of this.runs.values()) {
      if (run.pid) killTaskGroup(run.pid);
      this.finish(run);
    }
    this.runs.clear();
    this.byRow.clear();
    this.launcher.close();
    this.eachStream((w) => w.close());
  }

  /** Closes the launcher once nothing runs any more (the worker lost its server and finishes). */
  closeWhenIdle(): boolean {
    if (this.runs.size > 0) return false;
    this.close();
    return true;
  }

  // ---- classes, lanes, templates ----

  private classOf(template: WorkerTemplate, variant: number): LaneClass {
    let list = this.classesOf.get(template);
    if (!list) this.classesOf.set(template, (list = []));
    let cls = list[variant];
    if (!cls) {
      const request = template.coreVariants[variant] ?? template.coreVariants[0]!;
      const spec = template.variants[variant];
      const jobSetsOmp = template.program.env.OMP_NUM_THREADS !== undefined;
      cls = this.classFor(JSON.stringify(request), request, spec, template.pin, jobSetsOmp);
      list[variant] = cls;
    }
    return cls;
  }

  private classFor(requestKey: string, request: ResourceVariant | null, spec: ResourceVariantSpec | undefined, pin: string, jobSetsOmp: boolean): LaneClass {
    // The requested amounts show in HQ_RESOURCE_REQUEST_*: they are part of the class too.
    const key = `${requestKey}|${JSON.stringify(spec ?? null)}|${pin}|${jobSetsOmp}`;
    let cls = this.classes.get(key);
    if (!cls) {
      cls = new LaneClass(this.nextClassId++, request, spec, pin, jobSetsOmp);
      this.classes.set(key, cls);
      this.launcher.defineClass(cls.id, 0, true);
      cls.lowWaterSent = 0;
    }
    return cls;
  }

  private openLane(cls: LaneClass, allocation: Allocation | null, once: boolean): void {
    const id = this.freeLaneIds.pop() ?? this.nextLaneId++;
    const env = allocationEnvironment(cls.variant, allocation, cls.pin, cls.jobSetsOmp ? { OMP_NUM_THREADS: '' } : {});
    this.launcher.openLane(id, { cls: cls.id, env: envEntries(env), argsPrefix: pinPrefix(cls.pin, env.HQ_CPUS ?? ''), once });
    this.lanes.set(id, { cls, allocation });
    cls.lanes++;
  }

  /** Asks the launcher to close the idle lanes of all classes but one; false when there are none. */
  private closeIdleLanes(except: LaneClass): boolean {
    let asked = 0;
    for (const cls of this.classes.values()) {
      const idle = cls.lanes - cls.outstanding;
      if (cls === except || idle <= 0 || cls.request === null) continue;
      this.launcher.closeIdleLanes(cls.id, idle);
      cls.lanes -= idle;
      asked += idle;
    }
    this.closing += asked;
    return asked > 0;
  }

  private launchOf(job: number, info: WorkerJob, template: WorkerTemplate, multiNode: boolean): LaunchInfo {
    const cache = multiNode ? this.multiNodeLaunches : this.launches;
    let launch = cache.get(template);
    if (launch) return launch;
    const p = template.program;
    // As in HyperQueue: with --stream, a channel is streamed unless it was given a path or none.
    const streamOut = isStreamedOutput(template.streamDir, p.stdout, 'stdout');
    const streamErr = isStreamedOutput(template.streamDir, p.stderr, 'stderr');
    const paths = compileTaskPaths(
      { cwd: p.cwd || DEFAULT_CWD_TEMPLATE, stdout: streamOut ? null : p.stdout || null, stderr: streamErr ? null : p.stderr || null },
      { jobId: job, submitDir: info.submitDir, serverUid: this.ctx.serverUid() },
    );
    const stdoutMode = streamOut ? OUTPUT_PIPE : paths.stdout ? OUTPUT_FILE : OUTPUT_NULL;
    const stderrMode = streamErr ? OUTPUT_PIPE : paths.sameFile ? OUTPUT_SAME : paths.stderr ? OUTPUT_FILE : OUTPUT_NULL;
    const env = envEntries(jobEnvironment({ jobId: job, workerId: this.ctx.workerId(), serverUid: this.ctx.serverUid(), submitDir: info.submitDir }, p.env));
    launch = { id: this.nextTemplateId++, args: p.args, paths, stdoutMode, stderrMode, streamDir: streamOut || streamErr ? template.streamDir : '' };
    this.launcher.defineTemplate(launch.id, {
      args: p.args,
      env,
      taskKeys: multiNode ? [...TASK_KEYS, ...MULTI_NODE_KEYS] : TASK_KEYS,
      cwd: paths.cwd.constant ?? '',
      stdin: this.stdinFile(template),
      stdout: stdoutMode,
      stderr: stderrMode,
    });
    cache.set(template, launch);
    return launch;
  }

  /**
   * The server says the job ended: the launcher forgets its templates and
   * its stdin files go. Template ids are never reused, so a task of the job
   * still waiting in the launcher (canceled, its drop on the way) cannot
   * start as another job's.
   */
  forgetJob(job: WorkerJob): void {
    for (const template of job.templates) {
      for (const cache of [this.launches, this.multiNodeLaunches]) {
        const launch = cache.get(template);
        if (launch === undefined) continue;
        this.launcher.forgetTemplate(launch.id);
        cache.delete(template);
      }
      const file = this.stdinFiles.get(template);
      if (file !== undefined) {
        this.stdinFiles.delete(template);
        fs.rmSync(file, { force: true });
      }
    }
  }

  /** The file holding a template's standard input (written once), or null. */
  private stdinFile(template: WorkerTemplate): string | null {
    const data = template.program.stdin;
    if (!data || data.length === 0) return null;
    let file = this.stdinFiles.get(template);
    if (!file) {
      fs.mkdirSync(this.ctx.workDir, { recursive: true });
      file = path.join(this.ctx.workDir, `stdin-${this.nextStdinFile++}`);
      fs.writeFileSync(file, data);
      this.stdinFiles.set(template, file);
    }
    return file;
  }

  private streamFor(dir: string): StreamWriter {
    let w = this.streams.get(dir);
    if (!w) {
      w = StreamWriter.open(dir, this.ctx.serverUid(), `${this.ctx.hostname}-w${this.ctx.workerId()}`);
      this.streams.set(dir, w);
    }
    return w;
  }

  // ---- tasks ----

  private launch(
    row: number,
    instance: number,
    job: number,
    task: number,
    info: WorkerJob,
    template: WorkerTemplate,
    cls: LaneClass,
    launch: LaunchInfo,
    extraEnv: string[],
    cleanup: string[] | null,
  ): void {
    const id = this.taskId();
    const run: TaskRun = {
      id,
      row,
      instance,
      job,
      task,
      info,
      template,
      cls,
      launch,
      pid: 0,
      startReported: false,
      startSeq: -1,
      canceled: false,
      timedOut: false,
      streamError: null,
      timer: null,
      cleanup,
      stream: null,
    };
    const paths = launch.paths;
    let cwd: string;
    let stdout: string | null = null;
    let stderr: string | null = null;
    let env: string[];
    try {
      cwd = paths.cwd.fill(task, instance);
      ensureDir(cwd);
      if (paths.stdout) {
        stdout = paths.stdout.fill(task, instance);
        ensureDir(paths.stdoutDir!.fill(task, instance));
      }
      if (paths.stderr && !paths.sameFile) {
        stderr = paths.stderr.fill(task, instance);
        ensureDir(paths.stderrDir!.fill(task, instance));
      }
      let taskDir: string | null = null;
      if (template.taskDir) {
        fs.mkdirSync(this.ctx.workDir, { recursive: true });
        taskDir = fs.mkdtempSync(path.join(this.ctx.workDir, `task-${job}-${task}-`));
        (run.cleanup ??= []).push(taskDir);
      }
      env = taskEnvironment({ taskId: task, instance, entry: this.ctx.catalog.entry(template, task) }, taskDir);
      if (launch.streamDir) run.stream = this.streamFor(launch.streamDir);
    } catch (e) {
      this.fail(run, `Cannot prepare the task: ${(e as Error).message}`);
      return;
    }
    for (const e of extraEnv) env.push(e);
    this.runs.set(id, run);
    this.byRow.set(row, run);
    cls.outstanding++;
    this.notStarted++;
    if (this.lostReason !== null) {
      // No launcher any more: report it like the launcher would.
      const reason = this.lostReason;
      queueMicrotask(() => this.onEnded(id, { how: 'error', error: reason }, 0));
      return;
    }
    this.launcher.start({ task: id, template: launch.id, cls: cls.id, cwd: paths.cwd.constant !== null ? null : cwd, stdout, stderr, env });
    // A task that may run long starts right away (it is only handed over to a
    // free lane): the server hears of it now, before the process can do
    // anything, so that losing the worker counts as its crash.
    if (cls.prompt) {
      run.startReported = true;
      this.hooks.started(run, true);
    }
  }

  /** A task that never reached the launcher. */
  private fail(run: TaskRun, error: string): void {
    this.finish(run);
    queueMicrotask(() => this.hooks.ended(run, { ok: false, error }));
  }

  private taskId(): number {
    let id = this.nextTaskId;
    while (id === 0 || this.runs.has(id)) id = (id + 1) >>> 0;
    this.nextTaskId = (id + 1) >>> 0;
    return id;
  }

  private onStarted(id: number, pid: number): void {
    const run = this.runs.get(id);
    if (!run) return;
    run.pid = pid;
    this.notStarted--;
    if (run.canceled) {
      killTaskGroup(pid);
      return;
    }
    if (run.stream) this.streamStep(run, () => run.stream!.taskStarted(run.job, run.task, run.instance));
    const limit = run.template.timeLimit;
    if (limit > 0) {
      run.timer = setTimeout(() => {
        run.timedOut = true;
        killTaskGroup(pid);
      }, limit * 1000);
    }
    if (!run.startReported) this.hooks.started(run, false);
  }

  private onOutput(id: number, channel: 0 | 1, data: Uint8Array): void {
    const run = this.runs.get(id);
    if (!run || run.canceled || !run.stream) return;
    this.streamStep(run, () => run.stream!.write(run.job, run.task, run.instance, channel, data));
  }

  private onEnded(id: number, end: TaskEnd, micros: number): void {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    run.cls.outstanding--;
    if (!run.pid) this.notStarted--;
    if (micros > 0) run.cls.noteRunTime(micros);
    this.finish(run);
    if (this.byRow.get(run.row) === run) this.byRow.delete(run.row);
    if (run.canceled || end.how === 'dropped') return;
    let outcome = taskOutcome(end, run.timedOut, run.launch.args);
    if (run.stream) {
      // A task that never started still gets its pair of records.
      if (!run.pid) this.streamStep(run, () => run.stream!.taskStarted(run.job, run.task, run.instance));
      this.streamStep(run, () => run.stream!.taskEnded(run.job, run.task, run.instance, outcome.ok));
      if (run.streamError !== null) outcome = { ok: false, error: `Streamer: ${run.streamError}` };
    }
    this.hooks.ended(run, outcome);
  }

  /** A stream write; a failing stream fails the task (as HyperQueue's "Streamer:" errors). */
  private streamStep(run: TaskRun, write: () => void): void {
    if (run.streamError !== null) return;
    try {
      write();
    } catch (e) {
      run.streamError = (e as Error).message;
    }
  }

  /** Frees what a task held itself (its timer, its files); its lane stays. */
  private finish(run: TaskRun): void {
    if (run.timer) clearTimeout(run.timer);
    run.timer = null;
    for (const p of run.cleanup ?? []) fs.rmSync(p, { recursive: true, force: true });
    run.cleanup = null;
  }

  private onLaneClosed(id: number): void {
    const lane = this.lanes.get(id);
    if (!lane) return;
    this.lanes.delete(id);
    this.freeLaneIds.push(id);
    if (lane.allocation) {
      this.ctx.allocator.release(lane.allocation);
      this.closing--;
    } else {
      // A lane of a multi-node task closes by itself after it.
      lane.cls.lanes--;
    }
  }

  private onSettled(): void {
    this.startQueued();
    // Tell the launcher when to report early: with half of the queue it keeps left.
    for (const cls of this.classes.values()) {
      const lowWater = cls.lowWater;
      const prompt = cls.prompt;
      if (prompt !== cls.promptSent || (lowWater !== cls.lowWaterSent && (lowWater === 0 || Math.abs(lowWater - cls.lowWaterSent) * 4 > lowWater))) {
        this.launcher.defineClass(cls.id, lowWater, prompt);
        cls.lowWaterSent = lowWater;
        cls.promptSent = prompt;
      }
    }
    this.hooks.settled();
  }

  private onLost(reason: string): void {
    this.lostReason = reason;
    for (const id of [...this.runs.keys()]) this.onEnded(id, { how: 'error', error: reason }, 0);
    this.hooks.settled();
  }
}
