// A worker: connects to the server, offers its resources, runs the tasks it
// is given and reports their progress in batches.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SecureSocket } from '../transport/secure-socket.js';
import { keyFromHex } from '../transport/secret-key.js';
import {
  ASSIGNMENT_WORDS,
  TASK_REF_WORDS,
  assignmentWords,
  forEachDefinition,
  cancelWords,
  forgottenJobs,
  decodeServerMessage,
  encodeHeartbeat,
  encodeRegister,
  encodeStealResponse,
  encodeStopping,
  encodeUpdates,
  stealWords,
  type FailureRecord,
} from '../transport/worker-codec.js';
import {
  AssignMultiNode,
  AssignTasks,
  CancelTasks,
  ForgetJobs,
  JobDefinition,
  ServerPayload,
  StealTasks,
  StopWorker,
  WorkerRegistered,
  WorkerRegisterT,
} from '../transport/generated/protocol.js';
import { descriptorsToT } from '../transport/common-codec.js';
import { requireAccess } from '../server/server-dir.js';
import { ResourceAllocator } from '../core/allocator.js';
import { UserError } from '../common/errors.js';
import { log } from '../common/log.js';
import { VERSION } from '../common/version.js';
import type { WorkerResource } from '../client/types.js';
import { TaskQueue } from './task-queue.js';
import { JobCatalog } from './job-catalog.js';
import { TaskRunner, type TaskRun } from './task-runner.js';
import { removeOutputsOfFinishedTask } from './output-cleanup.js';

export interface WorkerOptions {
  serverDir: string;
  resources: WorkerResource[];
  /** Indexed resources whose groups correspond (`--coupling`). */
  coupling: string[];
  hostname?: string;
  group?: string;
  workDir?: string;
  /** Seconds; 0 = take the server's default. */
  idleTimeout: number;
  /** Seconds; 0 = none. */
  timeLimit: number;
  heartbeat: number;
  onServerLost: 'stop' | 'finish-running';
  manager: string;
  managerJobId: string;
  zeroWork: boolean;
}

/**
 * Tasks the server keeps queued on a worker beyond those running: enough
 * that short tasks never wait for the server, whose answers come in batches
 * (see the reports below).
 */
export function prefetchFor(cpuCount: number): number {
  return Math.min(4096, Math.max(256, cpuCount * 128));
}

/** Marks a withdrawn start in a report being gathered (no task has this row). */
const NO_ROW = 0xffff_ffff;

/** Longest a progress report waits to be batched with others while the worker has plenty queued. */
const REPORT_DELAY_MS = 250;
/**
 * Longest a report waits while the queue is low but the server sent nothing
 * after the last low-queue report (it has no more tasks for this worker):
 * at the end of a job this keeps one message per task from going out.
 */
const DRY_REPORT_DELAY_MS = 50;

export async function runWorker(opts: WorkerOptions): Promise<string> {
  const access = requireAccess(opts.serverDir);
  const key = keyFromHex(access.worker.secret_key);
  const hostname = opts.hostname || os.hostname();
  const cpuCount = opts.resources.find((r) => r.name === 'cpus')?.groups.flat().length ?? 1;
  const workDir = opts.workDir || path.join(os.tmpdir(), `hq-worker-${process.pid}`);

  const allocator = new ResourceAllocator(opts.resources, { coupling: opts.coupling });
  const catalog = new JobCatalog();
  const queue = new TaskQueue();
  const prefetch = opts.zeroWork ? 16384 : prefetchFor(cpuCount);
  let serverUid = '';
  let workerId = 0;
  let ending: string | null = null;
  let resolveEnd!: (reason: string) => void;
  const ended = new Promise<string>((r) => (resolveEnd = r));

  // ---- batched progress reports ----
  let started: Uint32Array = new Uint32Array(1024);
  let startedCount = 0;
  /** Number of starts queued before the current report: a run's startSeq less this is its slot. */
  let startSeqBase = 0;
  /** Slots of the current report whose start was withdrawn (the task ended before it left). */
  let withdrawn = 0;
  let finished: Uint32Array = new Uint32Array(1024);
  let finishedCount = 0;
  let failed: FailureRecord[] = [];
  let flushScheduled = false;
  let reportTimer: NodeJS.Timeout | null = null;
  let reportDue = 0;
  /** A low-queue report went out and no tasks came since. */
  let dry = false;
  /** A report that must not wait (the start of a task that may run long). */
  let urgentReport = false;

  const grow = (a: Uint32Array, need: number): Uint32Array => {
    if (need <= a.length) return a;
    const b = new Uint32Array(Math.max(need, a.length * 2));
    b.set(a);
    return b;
  };
  const flush = () => {
    if (reportTimer) clearTimeout(reportTimer);
    reportTimer = null;
    urgentReport = false;
    if (startedCount + finishedCount + failed.length === 0) return;
    // A finished task's output is in the stream before the server hears of it.
    runner.flushStreams();
    startSeqBase += startedCount;
    if (withdrawn > 0) startedCount = dropWithdrawn();
    socket.send(encodeUpdates(started, startedCount, finished, finishedCount, failed));
    startedCount = 0;
    finishedCount = 0;
    failed = [];
  };
  /**
   * Reports go out at once when the worker is about to run out of queued
   * tasks (the server answers them with more) or a task that may run long
   * started, otherwise batched for up to REPORT_DELAY_MS: with short tasks,
   * one message then carries many.
   */
  const decideFlush = () => {
    flushScheduled = false;
    if (startedCount + finishedCount + failed.length === 0) return;
    const low = queue.size + runner.waiting <= prefetch >> 1;
    if (urgentReport || (low && (!dry || runner.active === 0))) {
      flush();
      if (low) dry = true;
      return;
    }
    const delay = low ? DRY_REPORT_DELAY_MS : REPORT_DELAY_MS;
    const due = Date.now() + delay;
    if (reportTimer && reportDue <= due) return;
    if (reportTimer) clearTimeout(reportTimer);
    reportDue = due;
    reportTimer = setTimeout(flush, delay);
  };
  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(decideFlush);
  };
  const reportStarted = (run: TaskRun, prompt: boolean) => {
    if (prompt) urgentReport = true;
    started = grow(started, (startedCount + 1) * TASK_REF_WORDS);
    started[startedCount * 2] = run.row;
    started[startedCount * 2 + 1] = run.instance;
    run.startSeq = startSeqBase + startedCount;
    startedCount++;
    scheduleFlush();
  };
  /**
   * A task that ends while the report of its start has not left is reported
   * as ended only: the server takes both reports of one message at the same
   * moment, and an end implies the start. With short tasks this halves what
   * the server handles per task.
   */
  const withdrawStart = (run: TaskRun) => {
    const slot = run.startSeq - startSeqBase;
    if (run.startSeq < 0 || slot < 0) return;
    started[slot * 2] = NO_ROW;
    withdrawn++;
  };
  /** Compacts the current report's starts past the withdrawn ones; returns how many remain. */
  const dropWithdrawn = (): number => {
    let kept = 0;
    for (let i = 0; i < startedCount; i++) {
      if (started[i * 2] === NO_ROW) continue;
      started[kept * 2] = started[i * 2]!;
      started[kept * 2 + 1] = started[i * 2 + 1]!;
      kept++;
    }
    withdrawn = 0;
    return kept;
  };
  const reportFinished = (row: number, instance: number) => {
    finished = grow(finished, (finishedCount + 1) * TASK_REF_WORDS);
    finished[finishedCount * 2] = row;
    finished[finishedCount * 2 + 1] = instance;
    finishedCount++;
    scheduleFlush();
  };
  const reportFailed = (row: number, instance: number, error: string) => {
    failed.push({ row, instance, error });
    scheduleFlush();
  };

  // ---- running tasks ----
  let lastBusy = Date.now();

  const runner = new TaskRunner(
    { allocator, catalog, queue, workDir, hostname, workerId: () => workerId, serverUid: () => serverUid },
    {
      started: reportStarted,
      ended: (run, outcome) => {
        withdrawStart(run);
        if (outcome.ok) {
          const values = { jobId: run.job, taskId: run.task, instanceId: run.instance, submitDir: run.info.submitDir, serverUid };
          removeOutputsOfFinishedTask(run.template.program, values);
          reportFinished(run.row, run.instance);
        } else {
          reportFailed(run.row, run.instance, outcome.error);
        }
        lastBusy = Date.now();
      },
      rejected: reportFailed,
      settled: () => checkFinishRunning(),
    },
  );

  const tryStart = () => {
    if (!ending) runner.startQueued();
  };

  /** A task's priority, from its template (0 for a job the worker does not know; it fails on start). */
  const priorityOf = (job: number, task: number): number => {
    const info = catalog.get(job);
    const template = info && catalog.template(info, task);
    return template ? template.priority : 0;
  };

  const onAssign = (words: Uint32Array) => {
    const count = words.length / ASSIGNMENT_WORDS;
    dry = false;
    if (opts.zeroWork) {
      // Complete at once: measures scheduling and protocol overhead alone.
      // Start and end would leave in one report, so the end alone goes (see
      // withdrawStart), and it goes now: waiting for the end of the socket
      // read would merge the reports of assignments that arrived together,
      // and the server would get them later and all at once.
      for (let i = 0; i < count; i++) {
        const at = i * ASSIGNMENT_WORDS;
        reportFinished(words[at]!, words[at + 1]!);
      }
      lastBusy = Date.now();
      flush();
      return;
    }
    queue.push(words, priorityOf);
    tryStart();
  };

  /** A multi-node task: the whole worker is its, the others are reserved by the server. */
  const onAssignMultiNode = (msg: AssignMultiNode) => {
    const a = msg.task()!;
    const t = { row: a.row(), instance: a.instance(), job: a.job(), task: a.task() };
    const hosts: string[] = [];
    for (let i = 0; i < msg.hostnamesLength(); i++) hosts.push(msg.hostnames(i));
    const info = catalog.get(t.job);
    const template = info && catalog.template(info, t.task);
    if (!info || !template) {
      reportFailed(t.row, t.instance, `The worker does not know task ${t.task} of job ${t.job}`);
      return;
    }
    if (opts.zeroWork) {
      reportFinished(t.row, t.instance);
      return;
    }
    fs.mkdirSync(workDir, { recursive: true });
    const nodeFile = path.join(workDir, `nodes-${t.job}-${t.task}-${t.instance}`);
    const hostFile = `${nodeFile}.hosts`;
    fs.writeFileSync(nodeFile, hosts.map((h) => h.split('.')[0]).join('\n') + '\n');
    fs.writeFileSync(hostFile, hosts.join('\n') + '\n');
    const nodeEnv = [`HQ_NUM_NODES=${hosts.length}`, `HQ_NODE_FILE=${nodeFile}`, `HQ_HOST_FILE=${hostFile}`];
    runner.startMultiNode(t.row, t.instance, t.job, t.task, info, template, nodeEnv, [nodeFile, hostFile]);
  };

  const onCancel = (words: Uint32Array) => {
    for (let i = 0; i < words.length; i += TASK_REF_WORDS) {
      const row = words[i]!;
      const instance = words[i + 1]!;
      if (!queue.remove(row, instance)) runner.cancel(row, instance);
    }
    tryStart();
  };

  /** The server takes back queued tasks for an idle worker; started ones stay. */
  const onSteal = (words: Uint32Array) => {
    const returned: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < words.length; i += TASK_REF_WORDS) {
      const row = words[i]!;
      const instance = words[i + 1]!;
      (queue.remove(row, instance) ? returned : kept).push(row, instance);
    }
    // Started tasks must be reported before the answer that names them.
    flush();
    socket.send(encodeStealResponse(Uint32Array.from(returned), Uint32Array.from(kept)));
  };

  // ---- leaving ----
  const end = (reason: string, notify: boolean) => {
    if (ending) return;
    ending = reason;
    clearInterval(heartbeatTimer);
    clearInterval(idleTimer);
    if (timeLimitTimer) clearTimeout(timeLimitTimer);
    runner.close();
    if (notify) {
      flush();
      socket.send(encodeStopping(reason));
    }
    socket.close();
    if (!opts.workDir) fs.rmSync(workDir, { recursive: true, force: true });
    resolveEnd(reason);
  };

  let serverLost = false;
  const checkFinishRunning = () => {
    if (serverLost && runner.closeWhenIdle()) resolveEnd('server lost');
  };

  // ---- connection ----
  let registered!: (id: number) => void;
  const registration = new Promise<number>((r) => (registered = r));
  let serverIdleTimeout = 0;

  // Definitions come ahead of the tasks that need them, in their assignment's frame.
  const fileDefinition = (jobId: number, encoded: Uint8Array) => catalog.addEncoded(jobId, encoded);

  const onServerMessage = (plain: Uint8Array): void => {
    const msg = decodeServerMessage(plain);
    switch (msg.payloadType()) {
      case ServerPayload.AssignTasks: {
        const assign = msg.payload(new AssignTasks()) as AssignTasks;
        forEachDefinition(assign, fileDefinition);
        onAssign(assignmentWords(assign));
        break;
      }
      case ServerPayload.AssignMultiNode:
        onAssignMultiNode(msg.payload(new AssignMultiNode()) as AssignMultiNode);
        break;
      case ServerPayload.JobDefinition:
        // The assignment that needs it follows, and starts what it can.
        catalog.addEncoded((msg.payload(new JobDefinition()) as JobDefinition).jobId(), plain);
        break;
      case ServerPayload.CancelTasks:
        onCancel(cancelWords(msg.payload(new CancelTasks()) as CancelTasks));
        break;
      case ServerPayload.ForgetJobs:
        for (const jobId of forgottenJobs(msg.payload(new ForgetJobs()) as ForgetJobs)) {
          const job = catalog.forget(jobId);
          if (job) runner.forgetJob(job);
        }
        break;
      case ServerPayload.StealTasks:
        onSteal(stealWords(msg.payload(new StealTasks()) as StealTasks));
        break;
      case ServerPayload.WorkerRegistered: {
        const r = msg.payload(new WorkerRegistered()) as WorkerRegistered;
        serverUid = r.serverUid() ?? '';
        serverIdleTimeout = r.idleTimeoutSecs();
        // Set now, not when the registration promise resolves: assignments may
        // arrive in the same read and start tasks (HQ_WORKER_ID) before that.
        workerId = r.workerId();
        registered(workerId);
        break;
      }
      case ServerPayload.StopWorker: {
        const reason = (msg.payload(new StopWorker()) as StopWorker).reason() ?? '';
        log.info(`server asked the worker to stop (${reason})`);
        end('STOPPED', false);
        break;
      }
    }
  };

  const socket = await SecureSocket.connect(access.worker.host, access.worker.port, key, 'worker', {
    message(plain) {
      onServerMessage(plain);
    },
    close(reason) {
      if (ending) return;
      log.warn(`connection to the server lost: ${reason}`);
      if (opts.onServerLost === 'finish-running' && runner.active > 0) {
        serverLost = true;
        ending = 'server lost';
        clearInterval(heartbeatTimer);
        clearInterval(idleTimer);
        queue.clear();
        runner.dropWaiting();
        checkFinishRunning();
      } else {
        end('server lost', false);
      }
    },
  }).catch((e: Error) => {
    throw new UserError(`Cannot connect to the server at ${access.worker.host}:${access.worker.port}: ${e.message}`);
  });

  const reg = new WorkerRegisterT();
  reg.version = VERSION;
  reg.hostname = hostname;
  // Like HyperQueue: workers of one allocation form a group, others share 'default'.
  reg.group = opts.group || (opts.managerJobId ? `${opts.manager}-${opts.managerJobId}` : 'default');
  reg.workDir = workDir;
  reg.resources = descriptorsToT(opts.resources);
  reg.heartbeatSecs = opts.heartbeat;
  reg.idleTimeoutSecs = opts.idleTimeout;
  reg.timeLimitSecs = opts.timeLimit;
  reg.manager = opts.manager;
  reg.managerJobId = opts.managerJobId;
  reg.onServerLost = opts.onServerLost;
  reg.zeroWork = opts.zeroWork;
  reg.prefetch = prefetch;
  reg.pid = process.pid;
  reg.coupling = opts.coupling;
  socket.send(encodeRegister(reg));
  workerId = await registration;
  log.info(`worker ${workerId} registered with the server (${cpuCount} cpus)`);
  log.info(`tasks start through ${runner.launcherKind === 'native' ? 'the native launcher (hq-launcher)' : "Node's child_process"}`);

  const heartbeatTimer = setInterval(() => socket.send(encodeHeartbeat()), opts.heartbeat * 1000);
  const idleTimeout = opts.idleTimeout || serverIdleTimeout;
  // Without an idle timeout there is nothing to check: no timer wakes the worker.
  const idleTimer =
    idleTimeout > 0
      ? setInterval(() => {
          if (runner.active === 0 && queue.size === 0 && Date.now() - lastBusy > idleTimeout * 1000) {
            log.info('idle timeout reached');
            end('IDLE TIMEOUT', true);
          }
        }, Math.min(1000, Math.max(100, (idleTimeout * 1000) / 4)))
      : undefined;
  const timeLimitTimer =
    opts.timeLimit > 0
      ? setTimeout(() => {
          log.info('time limit reached');
          end('TIME LIMIT REACHED', true);
        }, opts.timeLimit * 1000)
      : null;

  const stopOnSignal = () => end('STOPPED', true);
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  return ended;
}

