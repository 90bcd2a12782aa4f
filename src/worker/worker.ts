// A worker: connects to the server, offers its resources, runs the tasks it
// is given and reports their progress in batches.
import os from 'node:os';
import { SecureSocket } from '../transport/secure-socket.js';
import { keyFromHex } from '../transport/secret-key.js';
import {
  ASSIGNMENT_WORDS,
  TASK_REF_WORDS,
  assignmentWords,
  cancelWords,
  decodeServerMessage,
  encodeHeartbeat,
  encodeRegister,
  encodeStopping,
  encodeUpdates,
  type FailureRecord,
} from '../transport/worker-codec.js';
import {
  AssignTasks,
  CancelTasks,
  JobDefinition,
  ServerPayload,
  StopWorker,
  WorkerRegistered,
  WorkerRegisterT,
} from '../transport/generated/protocol.js';
import { descriptorsToT, programFromT, resourcesFromT, str } from '../transport/common-codec.js';
import { requireAccess } from '../server/server-dir.js';
import { UserError } from '../common/errors.js';
import { log } from '../common/log.js';
import { VERSION } from '../common/version.js';
import type { ProgramDescription, WorkerResource } from '../client/types.js';
import { FreeResources, type Allocation, type TaskRequest } from './free-resources.js';
import { TaskProcess } from './task-process.js';
import { createLauncher } from './launcher.js';
import { TaskQueue } from './task-queue.js';

export interface WorkerOptions {
  serverDir: string;
  resources: WorkerResource[];
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

interface JobInfo {
  program: ProgramDescription;
  request: TaskRequest[];
  timeLimit: number;
  submitDir: string;
  entries: string[];
}

interface Running {
  row: number;
  instance: number;
  process: TaskProcess | null;
  alloc: Allocation;
}

export async function runWorker(opts: WorkerOptions): Promise<string> {
  const access = requireAccess(opts.serverDir);
  const key = keyFromHex(access.worker.secret_key);
  const hostname = opts.hostname || os.hostname();
  const cpuCount = opts.resources.find((r) => r.name === 'cpus')?.groups.flat().length ?? 1;

  const pool = new FreeResources(opts.resources);
  const launcher = createLauncher();
  const jobs = new Map<number, JobInfo>();
  const queue = new TaskQueue();
  const running = new Map<number, Running>();
  let serverUid = '';
  let workerId = 0;
  let ending: string | null = null;
  let resolveEnd!: (reason: string) => void;
  const ended = new Promise<string>((r) => (resolveEnd = r));

  // ---- batched progress reports ----
  let started: Uint32Array = new Uint32Array(1024);
  let startedCount = 0;
  let finished: Uint32Array = new Uint32Array(1024);
  let finishedCount = 0;
  let failed: FailureRecord[] = [];
  let flushScheduled = false;

  const grow = (a: Uint32Array, need: number): Uint32Array => {
    if (need <= a.length) return a;
    const b = new Uint32Array(Math.max(need, a.length * 2));
    b.set(a);
    return b;
  };
  const flush = () => {
    flushScheduled = false;
    if (startedCount + finishedCount + failed.length === 0) return;
    socket.send(encodeUpdates(started, startedCount, finished, finishedCount, failed));
    startedCount = 0;
    finishedCount = 0;
    failed = [];
  };
  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flush);
  };
  const reportStarted = (row: number, instance: number) => {
    started = grow(started, (startedCount + 1) * TASK_REF_WORDS);
    started[startedCount * 2] = row;
    started[startedCount * 2 + 1] = instance;
    startedCount++;
    scheduleFlush();
  };
  const reportFinished = (row: number, instance: number) => {
    finished = grow(finished, (finishedCount + 1) * TASK_REF_WORDS);
    finished[finishedCount * 2] = row;
    finished[finishedCount * 2 + 1] = instance;
    finishedCount++;
    scheduleFlush();
  };

  // ---- running tasks ----
  let lastBusy = Date.now();

  const tryStart = () => {
    if (ending) return;
    queue.forEachStartable((row, instance, job, task) => {
      const info = jobs.get(job);
      if (!info) return 'skip';
      const alloc = pool.allocate(info.request);
      if (!alloc) return 'stop';
      startTask(row, instance, job, task, info, alloc);
      return 'taken';
    });
  };

  const startTask = (row: number, instance: number, job: number, task: number, info: JobInfo, alloc: Allocation) => {
    const entry: Running = { row, instance, process: null, alloc };
    running.set(row, entry);
    reportStarted(row, instance);
    const cpus = alloc.indices.get('cpus') ?? [];
    const env: Record<string, string> = {
      HQ_JOB_ID: String(job),
      HQ_TASK_ID: String(task),
      HQ_INSTANCE_ID: String(instance),
      HQ_SUBMIT_DIR: info.submitDir,
      HQ_CPUS: cpus.join(','),
      HQ_WORKER_ID: String(workerId),
      HQ_SERVER_UID: serverUid,
    };
    if (info.entries.length > 0) env.HQ_ENTRY = info.entries[task] ?? '';
    for (const [name, indices] of alloc.indices) {
      if (name !== 'cpus') env[`HQ_RESOURCE_VALUES_${name.replace(/\W/g, '_')}`] = indices.join(',');
    }
    entry.process = new TaskProcess(
      launcher,
      {
        jobId: job,
        taskId: task,
        instance,
        program: info.program,
        submitDir: info.submitDir,
        serverUid,
        env,
        timeLimit: info.timeLimit,
      },
      (outcome) => {
        const current = running.get(row);
        if (current !== entry) return; // canceled meanwhile
        running.delete(row);
        pool.release(alloc);
        if (outcome.ok) reportFinished(row, instance);
        else {
          failed.push({ row, instance, error: outcome.error });
          scheduleFlush();
        }
        lastBusy = Date.now();
        tryStart();
        checkFinishRunning();
      },
    );
  };

  const onAssign = (words: Uint32Array) => {
    const count = words.length / ASSIGNMENT_WORDS;
    if (opts.zeroWork) {
      // Complete at once: measures scheduling and protocol overhead alone.
      for (let i = 0; i < count; i++) {
        const at = i * ASSIGNMENT_WORDS;
        reportStarted(words[at]!, words[at + 1]!);
        reportFinished(words[at]!, words[at + 1]!);
      }
      lastBusy = Date.now();
      return;
    }
    queue.push(words);
    tryStart();
  };

  const onCancel = (words: Uint32Array) => {
    for (let i = 0; i < words.length; i += TASK_REF_WORDS) {
      const row = words[i]!;
      const instance = words[i + 1]!;
      queue.remove(row, instance);
      const r = running.get(row);
      if (r && r.instance === instance) {
        running.delete(row);
        pool.release(r.alloc);
        r.process?.kill();
      }
    }
    tryStart();
  };

  // ---- leaving ----
  const killAll = () => {
    for (const r of running.values()) r.process?.kill();
    running.clear();
  };

  const end = (reason: string, notify: boolean) => {
    if (ending) return;
    ending = reason;
    clearInterval(heartbeatTimer);
    clearInterval(idleTimer);
    if (timeLimitTimer) clearTimeout(timeLimitTimer);
    killAll();
    launcher.close();
    if (notify) {
      flush();
      socket.send(encodeStopping(reason));
    }
    socket.close();
    resolveEnd(reason);
  };

  let serverLost = false;
  const checkFinishRunning = () => {
    if (serverLost && running.size === 0) resolveEnd('server lost');
  };

  // ---- connection ----
  let registered!: (id: number) => void;
  const registration = new Promise<number>((r) => (registered = r));
  let serverIdleTimeout = 0;

  const socket = await SecureSocket.connect(access.worker.host, access.worker.port, key, 'worker', {
    message(plain) {
      const msg = decodeServerMessage(plain);
      switch (msg.payloadType()) {
        case ServerPayload.AssignTasks:
          onAssign(assignmentWords(msg.payload(new AssignTasks()) as AssignTasks));
          break;
        case ServerPayload.JobDefinition: {
          const def = (msg.payload(new JobDefinition()) as JobDefinition).unpack();
          const request = resourcesFromT(def.resources).map((r) => ({ name: r.name, amount: r.amount, policy: r.policy }));
          if (!request.some((r) => r.name === 'cpus')) request.unshift({ name: 'cpus', amount: 1, policy: 'compact' });
          jobs.set(def.jobId, {
            program: programFromT(def.program),
            request,
            timeLimit: def.timeLimitSecs,
            submitDir: str(def.submitDir),
            entries: def.entries,
          });
          break;
        }
        case ServerPayload.CancelTasks:
          onCancel(cancelWords(msg.payload(new CancelTasks()) as CancelTasks));
          break;
        case ServerPayload.WorkerRegistered: {
          const r = msg.payload(new WorkerRegistered()) as WorkerRegistered;
          serverUid = r.serverUid() ?? '';
          serverIdleTimeout = r.idleTimeoutSecs();
          registered(r.workerId());
          break;
        }
        case ServerPayload.StopWorker: {
          const reason = (msg.payload(new StopWorker()) as StopWorker).reason() ?? '';
          log.info(`server asked the worker to stop (${reason})`);
          end('STOPPED', false);
          break;
        }
      }
    },
    close(reason) {
      if (ending) return;
      log.warn(`connection to the server lost: ${reason}`);
      if (opts.onServerLost === 'finish-running' && running.size > 0) {
        serverLost = true;
        ending = 'server lost';
        clearInterval(heartbeatTimer);
        clearInterval(idleTimer);
        queue.clear();
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
  reg.group = opts.group || hostname;
  reg.workDir = opts.workDir || '';
  reg.resources = descriptorsToT(opts.resources);
  reg.heartbeatSecs = opts.heartbeat;
  reg.idleTimeoutSecs = opts.idleTimeout;
  reg.timeLimitSecs = opts.timeLimit;
  reg.manager = opts.manager;
  reg.managerJobId = opts.managerJobId;
  reg.onServerLost = opts.onServerLost;
  reg.zeroWork = opts.zeroWork;
  reg.prefetch = opts.zeroWork ? 16384 : Math.max(16, cpuCount * 2);
  reg.pid = process.pid;
  socket.send(encodeRegister(reg));
  workerId = await registration;
  log.info(`worker ${workerId} registered with the server (${cpuCount} cpus)`);

  const heartbeatTimer = setInterval(() => socket.send(encodeHeartbeat()), opts.heartbeat * 1000);
  const idleTimeout = opts.idleTimeout || serverIdleTimeout;
  const idleTimer = setInterval(() => {
    if (idleTimeout > 0 && running.size === 0 && queue.size === 0 && Date.now() - lastBusy > idleTimeout * 1000) {
      log.info('idle timeout reached');
      end('IDLE TIMEOUT', true);
    }
  }, Math.min(1000, Math.max(100, (idleTimeout * 1000) / 4)));
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
