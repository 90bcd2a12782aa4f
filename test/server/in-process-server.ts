// The server's main-thread logic (ControlPlane + ClientService) in the test
// process, with the scheduling core run in place of the scheduler thread and
// workers simulated zero-work style: every task handed out is reported
// started and ended at once. Requests go through ClientService.handle as
// encoded flatbuffers, as they do in the server.
import * as fb from 'flatbuffers';
import { TaskTable } from '../../src/core/task-table.js';
import { RingBuffer } from '../../src/core/ring-buffer.js';
import { Doorbell } from '../../src/core/doorbell.js';
import { RequestTable, ResourceRegistry } from '../../src/core/resources.js';
import { Scheduler, type SchedulerSink } from '../../src/core/scheduler.js';
import { ControlPlane } from '../../src/server/control-plane.js';
import { ClientService, type ServerFacts } from '../../src/server/client-service.js';
import { EVENT_WORDS, SchedulerToMain } from '../../src/server/ring-kinds.js';
import type { IoThreadApi, SchedulerApi, WorkerRegistration } from '../../src/server/thread-api.js';
import type { Comlink } from '../../src/common/comlink-node.js';
import {
  ClientRequestT,
  ClientResponse,
  ClientResponseT,
  ErrorResponseT,
  IdSelectorT,
  JobForgetRequestT,
  JobForgetResponseT,
  JobInfoRequestT,
  JobCancelRequestT,
  JobListRequestT,
  JobsResponseT,
  Request,
  Response,
  SubmitRequestT,
  SubmitResponseT,
  SubmitTemplateT,
  TaskDepsT,
  TaskInfoT,
  TaskListRequestT,
  TasksResponseT,
} from '../../src/transport/generated/protocol.js';
import { programToT, rangesToT, variantsToT } from '../../src/transport/common-codec.js';
import type { IdRange } from '../../src/common/id-range.js';

/** What a simulated worker does with a task it is given. */
export type Outcome = 'finish' | 'fail' | 'hold';

export interface SubmitOptions {
  /** Task ids; default 0..count-1. */
  ids?: IdRange[];
  count?: number;
  /** Add to this open job. */
  jobId?: number;
  deps?: Array<{ taskId: number; deps: number[] }>;
}

export class InProcessServer {
  readonly table: TaskTable;
  readonly scheduler: Scheduler;
  readonly cp: ControlPlane;
  readonly service: ClientService;
  /** Jobs the control plane told the I/O thread had ended, in order. */
  readonly endedJobs: number[] = [];
  /** The I/O thread calls about ended and forgotten jobs, in order ("ended 1,2", "forget 1"). */
  readonly ioCalls: string[] = [];
  /** Decides per (job, task id) what the simulated workers do; default: finish. */
  outcome: (jobId: number, taskId: number) => Outcome = () => 'finish';
  private readonly toMain: RingBuffer;
  private readonly mainBell: Doorbell;
  private readonly requests: RequestTable;
  private readonly assigned: number[] = [];
  private events: number[] = [];
  private nextRequestId = 1;
  private readonly builder = new fb.Builder(1024);

  constructor(opts: { chunkRows?: number; pageBytes?: number } = {}) {
    this.table = TaskTable.create(opts.chunkRows ?? 1024);
    this.toMain = RingBuffer.create(1 << 16);
    this.mainBell = Doorbell.create();
    const registry = new ResourceRegistry();
    this.requests = new RequestTable(registry);
    const sink: SchedulerSink = {
      assign: (_worker, rows, count) => {
        for (let i = 0; i < count; i++) this.assigned.push(rows[i]!);
      },
      assignMultiNode: () => {},
      cancel: () => {},
      steal: () => {},
      event: (kind, row, worker, reason) => {
        this.events.push(kind, row, worker, reason);
      },
    };
    this.scheduler = new Scheduler(this.table, registry, this.requests, sink);
    const scheduler = this.scheduler;
    const requests = this.requests;
    // The scheduler thread's API, answered in place.
    const api = {
      addRequest: async (...args: Parameters<RequestTable['add']>) => requests.add(...args),
      addJob: async (...args: Parameters<Scheduler['addJob']>) => scheduler.addJob(...args),
      setTemplateCrashLimits: async (...args: Parameters<Scheduler['setTemplateCrashLimits']>) => scheduler.setTemplateCrashLimits(...args),
      submit: async (jobId: number, startRow: number, count: number, _chunks: unknown, deps: never) => scheduler.submit(jobId, startRow, count, deps ?? undefined),
      cancelJob: async (jobId: number) => {
        scheduler.cancelJob(jobId);
        this.flushEvents();
      },
      forgetJob: async (jobId: number) => scheduler.forgetJob(jobId),
      // One table serves both sides here: the owner already let go of the chunks.
      dropRowChunks: async (_keep: number, end: number) => scheduler.rowsTrimmed(end),
      submitTasks: async (jobId: number, job: never, crashLimits: never, runs: number[], _chunks: unknown, deps: never) => {
        if (job) scheduler.addJob(jobId, job);
        scheduler.setTemplateCrashLimits(jobId, crashLimits);
        for (let i = 0; i < runs.length; i += 2) scheduler.submit(jobId, runs[i]!, runs[i + 1]!, i === 0 ? (deps ?? undefined) : undefined);
      },
      addWorker: async (workerId: number, _io: number, resources: never, prefetch: number, o: never) => scheduler.addWorker(workerId, resources, prefetch, o),
      removeWorker: async (workerId: number, crashed: boolean) => {
        scheduler.removeWorker(workerId, crashed);
        this.flushEvents();
      },
      workerLoads: async () => [],
      explain: async () => [],
      stop: async () => {},
    };
    const io = {
      defineJob: async () => {},
      knowWorker: async () => {},
      jobsEnded: async (ids: number[]) => {
        this.endedJobs.push(...ids);
        this.ioCalls.push(`ended ${ids.join(',')}`);
      },
      stopWorker: async () => false,
      shutdown: async () => {},
    };
    this.cp = new ControlPlane({
      serverUid: 'test00',
      table: this.table,
      scheduler: api as unknown as Comlink.Remote<SchedulerApi>,
      io: [io as unknown as Comlink.Remote<IoThreadApi>],
      fromScheduler: this.toMain,
      ownBell: this.mainBell,
    });
    const facts = { serverDir: '/tmp/none', host: 'localhost', clientPort: 1, workerPort: 2, version: 'test', startTime: Date.now(), stop() {} };
    this.service = new ClientService(this.cp, facts as ServerFacts, opts.pageBytes);
  }

  /** A worker with `cpus` cpus that completes what it gets at once. */
  async addWorker(cpus = 4, prefetch = 16): Promise<number> {
    const reg = {
      io: 0,
      hostname: 'sim',
      group: 'sim',
      workDir: '/tmp',
      version: 'test',
      resources: [{ name: 'cpus', kind: 'range', groups: [Array.from({ length: cpus }, (_, i) => String(i))], sum: 0 }],
      heartbeatSecs: 8,
      idleTimeoutSecs: 0,
      timeLimitSecs: 0,
      manager: 'none',
      managerJobId: '',
      zeroWork: true,
      prefetch,
      pid: 1,
      address: '127.0.0.1',
      coupling: [],
    } as unknown as WorkerRegistration;
    const { workerId } = await this.cp.registerWorker(reg);
    await this.cp.activateWorker(workerId);
    return workerId;
  }

  /** Schedules and lets the simulated workers report until nothing moves; the control plane then sees every event. */
  async run(): Promise<void> {
    for (;;) {
      this.scheduler.schedule(Date.now());
      const rows = this.assigned.splice(0);
      const now = Date.now();
      for (const row of rows) {
        const instance = this.table.instance(row);
        const what = this.outcome(this.table.job(row), this.table.taskId(row));
        if (what === 'hold') {
          this.scheduler.taskStarted(row, instance, now);
          continue;
        }
        this.scheduler.taskStarted(row, instance, now);
        if (what === 'finish') {
          this.scheduler.taskFinished(row, instance, now);
        } else {
          this.cp.recordTaskErrors([[row, instance, `task ${this.table.taskId(row)} failed`]]);
          this.scheduler.taskFailed(row, instance, now);
        }
      }
      this.flushEvents();
      await this.settle();
      if (rows.length === 0) return;
    }
  }

  /** Waits until the control plane has read every event. */
  async settle(): Promise<void> {
    while (!this.toMain.isEmpty) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }

  private flushEvents(): void {
    const max = Math.floor(this.toMain.maxPayloadWords / EVENT_WORDS) * EVENT_WORDS;
    for (let at = 0; at < this.events.length; at += max) {
      const part = this.events.slice(at, at + max);
      if (!this.toMain.tryPush(SchedulerToMain.Events, part)) throw new Error('event ring full in the test server');
    }
    this.events = [];
    this.mainBell.ring();
  }

  // ------------------------------------------------------------- requests

  async request<T>(type: Request, body: ClientRequestT['request'], expect: Response): Promise<T> {
    const b = this.builder;
    b.clear();
    b.finish(new ClientRequestT(this.nextRequestId++, type, body).pack(b));
    const reply = await this.service.handle(b.asUint8Array().slice());
    const res: ClientResponseT = ClientResponse.getRootAsClientResponse(new fb.ByteBuffer(reply)).unpack();
    if (res.responseType === Response.ErrorResponse) throw new Error(String((res.response as ErrorResponseT).message));
    if (res.responseType !== expect) throw new Error(`unexpected response type ${res.responseType}`);
    return res.response as T;
  }

  async submit(opts: SubmitOptions): Promise<number> {
    const r = new SubmitRequestT();
    r.jobId = opts.jobId ?? 0;
    r.name = 'sim';
    r.maxFails = BigInt(-1);
    r.submitDir = '/tmp';
    r.streamDir = '';
    const t = new SubmitTemplateT();
    t.ids = rangesToT(opts.ids ?? [{ start: 0, end: (opts.count ?? 1) - 1, step: 1 }]);
    t.program = programToT({ args: ['/bin/true'], env: {}, cwd: '/tmp', stdout: '', stderr: '' });
    t.variants = variantsToT([{ nodes: 0, resources: [{ name: 'cpus', amount: 1, policy: 'compact' }] }]);
    t.crashLimit = 5;
    t.deps = (opts.deps ?? []).map((d) => new TaskDepsT(d.taskId, d.deps));
    r.templates = [t];
    const res = await this.request<SubmitResponseT>(Request.SubmitRequest, r, Response.SubmitResponse);
    return res.jobId;
  }

  async jobs(): Promise<JobsResponseT['jobs']> {
    return (await this.request<JobsResponseT>(Request.JobListRequest, new JobListRequestT(true, []), Response.JobsResponse)).jobs;
  }

  async jobInfo(jobId: number): Promise<JobsResponseT['jobs'][number]> {
    const res = await this.request<JobsResponseT>(Request.JobInfoRequest, new JobInfoRequestT(selector([jobId])), Response.JobsResponse);
    return res.jobs[0]!;
  }

  async cancel(jobId: number): Promise<void> {
    await this.request(Request.JobCancelRequest, new JobCancelRequestT(selector([jobId])), Response.JobCancelResponse);
  }

  async forget(jobIds: number[]): Promise<number[]> {
    const res = await this.request<JobForgetResponseT>(Request.JobForgetRequest, new JobForgetRequestT(selector(jobIds), []), Response.JobForgetResponse);
    return res.forgotten;
  }

  /** Every task of the jobs (or of the selected task ids), fetched part by part as the client does; also returns the number of parts. */
  async tasks(jobIds: number[], taskIds?: IdRange[], states: string[] = []): Promise<{ tasks: TaskInfoT[]; parts: number }> {
    const tasks: TaskInfoT[] = [];
    let parts = 0;
    let resumeJob = 0;
    let resumeAt = 0;
    do {
      const sel = taskIds ? new IdSelectorT('ids', rangesToT(taskIds)) : new IdSelectorT('all', []);
      const req = new TaskListRequestT(selector(jobIds), sel, states, false, resumeJob, resumeAt);
      const res = await this.request<TasksResponseT>(Request.TaskListRequest, req, Response.TasksResponse);
      tasks.push(...res.tasks);
      parts++;
      resumeJob = res.nextJob;
      resumeAt = res.nextAt;
    } while (resumeJob !== 0);
    return { tasks, parts };
  }

  async stop(): Promise<void> {
    await this.cp.stop();
  }
}

function selector(ids: number[]): IdSelectorT {
  return new IdSelectorT('ids', rangesToT(ids.map((id) => ({ start: id, end: id, step: 1 }))));
}
