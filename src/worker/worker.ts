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
  cancelWords,
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
  JobDefinition,
  ServerPayload,
  StealTasks,
  StopWorker,
  WorkerRegistered,
  WorkerRegisterT,
} from '../transport/generated/protocol.js';
import { descriptorsToT } from '../transport/common-codec.js';
import { requireAccess } from '../server/server-dir.js';
import { ResourceAllocator, type Allocation } from '../core/allocator.js';
import { UserError } from '../common/errors.js';
import { log } from '../common/log.js';
import { VERSION } from '../common/version.js';
import type { WorkerResource } from '../client/types.js';
import { TaskProcess } from './task-process.js';
import { NodeLauncher, createLauncher } from './launcher.js';
import { StreamWriter } from './stream-writer.js';
import { TaskQueue } from './task-queue.js';
import { JobCatalog, type WorkerJob, type WorkerTemplate } from './job-catalog.js';
import { pinnedArgs, taskEnvironment } from './task-environment.js';

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

interface Running {
  row: number;
  instance: number;
  process: TaskProcess | null;
  allocation: Allocation | null;
  /** Per-task files to remove when it ends (task dir, node files). */
  cleanup: string[];
}

export async function runWorker(opts: WorkerOptions): Promise<string> {
  const access = requireAccess(opts.serverDir);
  const key = keyFromHex(access.worker.secret_key);
  const hostname = opts.hostname || os.hostname();
  const cpuCount = opts.resources.find((r) => r.name === 'cpus')?.groups.flat().length ?? 1;
  const workDir = opts.workDir || path.join(os.tmpdir(), `hq-worker-${process.pid}`);

  const allocator = new ResourceAllocator(opts.resources, { coupling: opts.coupling });
  const launcher = createLauncher();
  // Streamed outputs need pipes, which only Node's launcher gives.
  let pipeLauncher: NodeLauncher | null = null;
  const streams = new Map<string, StreamWriter>();
  const streamFor = (dir: string): StreamWriter => {
    let w = streams.get(dir);
    if (!w) {
      w = StreamWriter.open(dir, serverUid, `${hostname}-w${workerId}`);
      streams.set(dir, w);
    }
    return w;
  };
  const catalog = new JobCatalog();
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
  const reportFailed = (row: number, instance: number, error: string) => {
    failed.push({ row, instance, error });
    scheduleFlush();
  };

  // ---- running tasks ----
  let lastBusy = Date.now();

  /** Starts queued tasks strictly in queue order (see TaskQueue) while the head fits: the scheduler assumes this order. */
  const tryStart = () => {
    if (ending) return;
    queue.forEachStartable((row, instance, job, task, variant) => {
      const info = catalog.get(job);
      const template = info && catalog.template(info, task);
      if (!info || !template) {
        reportFailed(row, instance, `The worker does not know task ${task} of job ${job}`);
        return 'taken';
      }
      const request = template.coreVariants[variant] ?? template.coreVariants[0]!;
      const allocation = allocator.allocate(request);
      if (!allocation) return 'stop';
      startTask({ row, instance, job, task, variant }, info, template, allocation, []);
      return 'taken';
    });
  };

  interface TaskRef {
    row: number;
    instance: number;
    job: number;
    task: number;
    variant: number;
  }

  const startTask = (
    t: TaskRef,
    info: WorkerJob,
    template: WorkerTemplate,
    allocation: Allocation | null,
    extraEnv: Array<[string, string]>,
    cleanup: string[] = [],
  ) => {
    const entry: Running = { row: t.row, instance: t.instance, process: null, allocation, cleanup };
    running.set(t.row, entry);
    reportStarted(t.row, t.instance);
    const env = taskEnvironment(
      {
        jobId: t.job,
        taskId: t.task,
        instance: t.instance,
        workerId,
        serverUid,
        submitDir: info.submitDir,
        entry: catalog.entry(template, t.task),
      },
      template.variants[t.variant],
      allocation,
      template.pin,
      template.program.env,
    );
    for (const [k, v] of extraEnv) env[k] = v;
    if (template.taskDir) {
      fs.mkdirSync(workDir, { recursive: true });
      const dir = fs.mkdtempSync(path.join(workDir, `task-${t.job}-${t.task}-`));
      env.HQ_TASK_DIR = dir;
      cleanup.push(dir);
    }
    const program = { ...template.program, args: pinnedArgs(template.program.args, template.pin, env.HQ_CPUS ?? '') };
    const stream = info.streamDir ? streamFor(info.streamDir) : null;
    stream?.taskStarted(t.job, t.task, t.instance);
    if (stream) pipeLauncher ??= new NodeLauncher();
    entry.process = new TaskProcess(
      stream ? pipeLauncher! : launcher,
      {
        jobId: t.job,
        taskId: t.task,
        instance: t.instance,
        program,
        submitDir: info.submitDir,
        serverUid,
        env,
        timeLimit: template.timeLimit,
        stdin: stdinFile(t.job, template),
        ...(stream ? { pipe: (channel: 0 | 1, data: Buffer) => stream.write(t.job, t.task, t.instance, channel, data) } : {}),
      },
      (outcome) => {
        if (stream) {
          // A finished task's output is in the stream before the server hears of it.
          stream.taskEnded(t.job, t.task, t.instance, outcome.ok);
          stream.flush();
        }
        const current = running.get(t.row);
        if (current !== entry) return; // canceled meanwhile
        finishEntry(entry);
        if (outcome.ok) reportFinished(t.row, t.instance);
        else reportFailed(t.row, t.instance, outcome.error);
        lastBusy = Date.now();
        tryStart();
        checkFinishRunning();
      },
    );
  };

  /** The file holding a template's standard input (written once), or null. */
  const stdinFiles = new Map<WorkerTemplate, string>();
  const stdinFile = (job: number, template: WorkerTemplate): string | null => {
    const data = template.program.stdin;
    if (!data || data.length === 0) return null;
    let file = stdinFiles.get(template);
    if (!file) {
      fs.mkdirSync(workDir, { recursive: true });
      file = path.join(workDir, `stdin-${job}-${stdinFiles.size}`);
      fs.writeFileSync(file, data);
      stdinFiles.set(template, file);
    }
    return file;
  };

  /** Frees what a task held (resources, its files). */
  const finishEntry = (entry: Running) => {
    running.delete(entry.row);
    if (entry.allocation) allocator.release(entry.allocation);
    for (const p of entry.cleanup) fs.rmSync(p, { recursive: true, force: true });
  };

  /** A task's priority, from its template (0 for a job the worker does not know; it fails on start). */
  const priorityOf = (job: number, task: number): number => {
    const info = catalog.get(job);
    const template = info && catalog.template(info, task);
    return template ? template.priority : 0;
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
    queue.push(words, priorityOf);
    tryStart();
  };

  /** A multi-node task: the whole worker is its, the others are reserved by the server. */
  const onAssignMultiNode = (msg: AssignMultiNode) => {
    const a = msg.task()!;
    const t: TaskRef = { row: a.row(), instance: a.instance(), job: a.job(), task: a.task(), variant: a.variant() };
    const hosts: string[] = [];
    for (let i = 0; i < msg.hostnamesLength(); i++) hosts.push(msg.hostnames(i));
    const info = catalog.get(t.job);
    const template = info && catalog.template(info, t.task);
    if (!info || !template) {
      reportFailed(t.row, t.instance, `The worker does not know task ${t.task} of job ${t.job}`);
      return;
    }
    if (opts.zeroWork) {
      reportStarted(t.row, t.instance);
      reportFinished(t.row, t.instance);
      return;
    }
    fs.mkdirSync(workDir, { recursive: true });
    const nodeFile = path.join(workDir, `nodes-${t.job}-${t.task}-${t.instance}`);
    const hostFile = `${nodeFile}.hosts`;
    fs.writeFileSync(nodeFile, hosts.map((h) => h.split('.')[0]).join('\n') + '\n');
    fs.writeFileSync(hostFile, hosts.join('\n') + '\n');
    startTask(
      t,
      info,
      template,
      null,
      [
        ['HQ_NUM_NODES', String(hosts.length)],
        ['HQ_NODE_FILE', nodeFile],
        ['HQ_HOST_FILE', hostFile],
      ],
      [nodeFile, hostFile],
    );
  };

  const onCancel = (words: Uint32Array) => {
    for (let i = 0; i < words.length; i += TASK_REF_WORDS) {
      const row = words[i]!;
      const instance = words[i + 1]!;
      queue.remove(row, instance);
      const r = running.get(row);
      if (r && r.instance === instance) {
        finishEntry(r);
        r.process?.kill();
      }
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
  const killAll = () => {
    for (const r of [...running.values()]) {
      r.process?.kill();
      finishEntry(r);
    }
  };

  const end = (reason: string, notify: boolean) => {
    if (ending) return;
    ending = reason;
    clearInterval(heartbeatTimer);
    clearInterval(idleTimer);
    if (timeLimitTimer) clearTimeout(timeLimitTimer);
    killAll();
    launcher.close();
    for (const w of streams.values()) w.close();
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
    if (serverLost && running.size === 0) {
      launcher.close();
      for (const w of streams.values()) w.close();
      resolveEnd('server lost');
    }
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
        case ServerPayload.AssignMultiNode:
          onAssignMultiNode(msg.payload(new AssignMultiNode()) as AssignMultiNode);
          break;
        case ServerPayload.JobDefinition:
          catalog.add((msg.payload(new JobDefinition()) as JobDefinition).unpack());
          tryStart();
          break;
        case ServerPayload.CancelTasks:
          onCancel(cancelWords(msg.payload(new CancelTasks()) as CancelTasks));
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
  reg.prefetch = opts.zeroWork ? 16384 : Math.max(16, cpuCount * 2);
  reg.pid = process.pid;
  reg.coupling = opts.coupling;
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

