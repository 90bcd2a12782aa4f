// The client library: every request a user can make of a server, returning
// plain data (types.ts). The CLI commands are thin wrappers over this.
import {
  IdSelectorT,
  JobCancelRequestT,
  JobCancelResponseT,
  JobInfoRequestT,
  JobOpenRequestT,
  JobCloseRequestT,
  JobForgetRequestT,
  JobForgetResponseT,
  JobInfoT,
  JobListRequestT,
  JobsResponseT,
  JobWaitRequestT,
  OkResponseT,
  Request,
  Response,
  ServerInfoRequestT,
  ServerInfoResponseT,
  ServerStopRequestT,
  SubmitRequestT,
  SubmitTemplateT,
  TaskDepsT,
  SubmitResponseT,
  TaskListRequestT,
  TaskExplainRequestT,
  TaskExplainResponseT,
  TasksResponseT,
  TemplateInfoT,
  TaskInfoT,
  WorkerInfoRequestT,
  WorkerListRequestT,
  WorkersResponseT,
  WorkerStopRequestT,
  WorkerStopResponseT,
  WorkerWaitRequestT,
  WorkerInfoT,
} from '../transport/generated/protocol.js';
import {
  descriptorsFromT,
  programFromT,
  programToT,
  rangesFromT,
  rangesToT,
  str,
  variantsFromT,
  variantsToT,
} from '../transport/common-codec.js';
import type { IdSelector } from '../common/id-selector.js';
import { ServerConnection } from './connection.js';
import type {
  JobDetail,
  JobState,
  JobSummary,
  ServerDetail,
  SubmitDetail,
  TaskDetail,
  TaskStateName,
  TaskExplainResult,
  TaskTemplate,
  TemplateDetail,
  WorkerDetail,
  WorkerStateName,
} from './types.js';

/** A template as submitted, with dependencies between task ids of the job (job files). */
export interface TaskTemplateSpec extends TaskTemplate {
  deps: Array<{ taskId: number; deps: number[] }>;
}

export interface SubmitSpec {
  /** An open job to add the tasks to; absent = a new job. */
  jobId?: number;
  name: string;
  maxFails: number | null;
  submitDir: string;
  /** Stream directory, '' = outputs go to files; may hold %{JOB_ID}, %{SUBMIT_DIR}, %{SERVER_UID}. */
  streamDir: string;
  templates: TaskTemplateSpec[];
  /** A job file of [[task]] tables (HyperQueue's task graph); absent = an array. */
  graph?: boolean;
}

export interface TaskQueryOptions {
  /** Also fetch each task's template (command, resources, ...) and dependencies, as task info shows them. */
  templates?: boolean;
}

export interface CancelResult {
  canceled: Array<{ jobId: number; canceledTasks: number; alreadyFinished: number }>;
  /** Jobs that had ended before. */
  alreadyFinished: number[];
}

export interface CloseResult {
  closed: number[];
  /** Jobs that were not open (any more). */
  notOpen: number[];
  /** Selected ids that name no job. */
  notFound: number[];
}

export interface ForgetResult {
  forgotten: number[];
  /** Jobs not ended yet, or not in the asked states. */
  kept: number[];
  notFound: number[];
}

export interface WorkerStopResult {
  stopped: number[];
  alreadyStopped: number[];
  unknown: number[];
}

function selectorT(sel: IdSelector): IdSelectorT {
  return new IdSelectorT(sel.kind, sel.kind === 'ids' ? rangesToT(sel.ranges) : []);
}

function summary(j: JobInfoT): JobSummary {
  return {
    id: j.id,
    name: str(j.name),
    state: str(j.state) as JobState,
    taskCount: j.taskCount,
    counts: { waiting: j.waiting, running: j.running, finished: j.finished, failed: j.failed, canceled: j.canceled },
    isOpen: j.isOpen,
  };
}

/** Internal pin names as HyperQueue's pin modes. */
function pinMode(pin: string): string {
  return pin === 'omp' ? 'openmp' : pin === 'taskset' ? 'taskset' : 'none';
}

function template(t: TemplateInfoT): TemplateDetail {
  return {
    program: programFromT(t.program),
    variants: variantsFromT(t.variants),
    priority: t.priority,
    crashLimit: t.crashLimit,
    timeLimit: t.timeLimitSecs || null,
    timeRequest: t.timeRequestSecs,
    taskDir: t.taskDir,
    pinMode: pinMode(str(t.pin)),
    streamDir: str(t.streamDir),
  };
}

/** The job's templates grouped into its submissions. */
function submits(j: JobInfoT): SubmitDetail[] {
  const templates = j.templates.map(template);
  const out: SubmitDetail[] = [];
  let at = 0;
  for (const s of j.submits) {
    out.push({ graph: s.graph, templates: templates.slice(at, at + s.templateCount) });
    at += s.templateCount;
  }
  return out;
}

function task(t: TaskInfoT, templates: Map<string, TemplateDetail> | null): TaskDetail {
  const detail: TaskDetail = {
    jobId: t.jobId,
    taskId: t.taskId,
    state: str(t.state) as TaskStateName,
    workers: t.workers,
    hostnames: t.hostnames,
    instance: t.instance,
    crashCount: t.crashCount,
    startTime: t.startTime,
    endTime: t.endTime,
    error: str(t.error),
    cwd: str(t.cwd),
    stdout: str(t.stdout),
    stderr: str(t.stderr),
    program: { args: [], env: {}, cwd: str(t.cwd), stdout: str(t.stdout), stderr: str(t.stderr) },
    template: t.template,
  };
  const tpl = templates?.get(`${t.jobId}:${t.template}`);
  if (tpl) {
    detail.program = tpl.program;
    detail.variants = tpl.variants;
    detail.timeLimit = tpl.timeLimit;
    detail.priority = tpl.priority;
    detail.pinMode = tpl.pinMode;
    detail.taskDir = tpl.taskDir;
    detail.crashLimit = tpl.crashLimit;
    detail.streamDir = tpl.streamDir;
    detail.dependencies = t.dependencies;
  }
  return detail;
}

function detail(j: JobInfoT): JobDetail {
  const maxFails = Number(j.maxFails);
  return {
    ...summary(j),
    taskIds: rangesFromT(j.taskIds),
    maxFails: maxFails < 0 ? null : maxFails,
    submitDir: str(j.submitDir),
    submitTime: j.submitTime,
    startTime: j.startTime,
    endTime: j.endTime,
    failures: j.failures.map((f) => ({ taskId: f.taskId, workers: f.workers, error: str(f.error) })),
    entriesCount: j.entriesCount,
    submits: submits(j),
  };
}

function worker(w: WorkerInfoT): WorkerDetail {
  return {
    id: w.id,
    state: str(w.state) as WorkerStateName,
    hostname: str(w.hostname),
    group: str(w.group),
    startTime: w.startTime,
    endTime: w.endTime,
    lastHeartbeat: w.lastHeartbeat,
    heartbeatInterval: w.heartbeatSecs,
    idleTimeout: w.idleTimeoutSecs || null,
    timeLimit: w.timeLimitSecs || null,
    workDir: str(w.workDir),
    // Workers outside any allocation report 'none'; the client's contract is '' for that.
    managerType: str(w.manager) === 'none' ? '' : str(w.manager),
    managerJobId: str(w.managerJobId),
    resources: descriptorsFromT(w.resources),
    runningTasks: w.runningTasks,
    assignedTasks: w.assignedTasks,
    listenAddress: str(w.address),
  };
}

export class HqClient {
  private constructor(private readonly conn: ServerConnection) {}

  static async connect(serverDir: string): Promise<HqClient> {
    return new HqClient(await ServerConnection.connect(serverDir));
  }

  close(): void {
    this.conn.close();
  }

  async submit(spec: SubmitSpec): Promise<number> {
    const r = new SubmitRequestT();
    r.jobId = spec.jobId ?? 0;
    r.name = spec.name;
    r.maxFails = BigInt(spec.maxFails ?? -1);
    r.submitDir = spec.submitDir;
    r.streamDir = spec.streamDir;
    r.graph = spec.graph ?? false;
    r.templates = spec.templates.map((t) => {
      const x = new SubmitTemplateT();
      x.ids = rangesToT(t.ids);
      x.entries = t.entries;
      x.program = programToT(t.program);
      x.variants = variantsToT(t.variants);
      x.priority = t.priority;
      x.crashLimit = t.crashLimit;
      x.timeLimitSecs = t.timeLimit;
      x.timeRequestSecs = t.timeRequest;
      x.taskDir = t.taskDir;
      x.pin = t.pin;
      x.deps = t.deps.map((d) => new TaskDepsT(d.taskId, d.deps));
      return x;
    });
    const res = await this.conn.request<SubmitResponseT>(Request.SubmitRequest, r, Response.SubmitResponse);
    return res.jobId;
  }

  /** `hq job open`: a job that takes tasks from later submits until closed. */
  async openJob(name: string, maxFails: number | null, submitDir: string, streamDir: string): Promise<number> {
    const res = await this.conn.request<SubmitResponseT>(
      Request.JobOpenRequest,
      new JobOpenRequestT(name, BigInt(maxFails ?? -1), submitDir, streamDir),
      Response.SubmitResponse,
    );
    return res.jobId;
  }

  async closeJobs(sel: IdSelector): Promise<CloseResult> {
    const res = await this.conn.request<JobForgetResponseT>(
      Request.JobCloseRequest,
      new JobCloseRequestT(selectorT(sel)),
      Response.JobForgetResponse,
    );
    return { closed: res.forgotten, notOpen: res.ignored, notFound: res.notFound };
  }

  /** Drops ended jobs (in `states`, when given) from the server. */
  async forgetJobs(sel: IdSelector, states: string[]): Promise<ForgetResult> {
    const res = await this.conn.request<JobForgetResponseT>(
      Request.JobForgetRequest,
      new JobForgetRequestT(selectorT(sel), states),
      Response.JobForgetResponse,
    );
    return { forgotten: res.forgotten, kept: res.ignored, notFound: res.notFound };
  }

  async listJobs(all: boolean, filter: string[] = []): Promise<JobSummary[]> {
    const res = await this.conn.request<JobsResponseT>(
      Request.JobListRequest,
      new JobListRequestT(all, filter),
      Response.JobsResponse,
    );
    return res.jobs.map(summary);
  }

  async jobInfo(sel: IdSelector): Promise<JobDetail[]> {
    const res = await this.conn.request<JobsResponseT>(
      Request.JobInfoRequest,
      new JobInfoRequestT(selectorT(sel)),
      Response.JobsResponse,
    );
    return res.jobs.map(detail);
  }

  async cancelJobs(sel: IdSelector): Promise<CancelResult> {
    const res = await this.conn.request<JobCancelResponseT>(
      Request.JobCancelRequest,
      new JobCancelRequestT(selectorT(sel)),
      Response.JobCancelResponse,
    );
    return {
      canceled: res.canceled.map((jobId, i) => ({
        jobId,
        canceledTasks: res.canceledTasks[i] ?? 0,
        alreadyFinished: res.finishedTasks[i] ?? 0,
      })),
      alreadyFinished: res.alreadyFinished,
    };
  }

  /** Resolves when every selected job has ended. */
  async waitJobs(sel: IdSelector): Promise<JobSummary[]> {
    const res = await this.conn.request<JobsResponseT>(
      Request.JobWaitRequest,
      new JobWaitRequestT(selectorT(sel)),
      Response.JobsResponse,
    );
    return res.jobs.map(summary);
  }

  async tasks(jobs: IdSelector, tasks: IdSelector, states: string[] = [], options: TaskQueryOptions = {}): Promise<TaskDetail[]> {
    // A long list comes in parts (each one answer frame); ask until the server says it is complete.
    const out: TaskDetail[] = [];
    let resumeJob = 0;
    let resumeAt = 0;
    do {
      const res = await this.conn.request<TasksResponseT>(
        Request.TaskListRequest,
        new TaskListRequestT(selectorT(jobs), selectorT(tasks), states, options.templates ?? false, resumeJob, resumeAt),
        Response.TasksResponse,
      );
      const templates = options.templates ? new Map(res.templates.map((t) => [`${t.jobId}:${t.index}`, template(t)])) : null;
      for (const t of res.tasks) out.push(task(t, templates));
      resumeJob = res.nextJob;
      resumeAt = res.nextAt;
    } while (resumeJob !== 0);
    return out;
  }

  async explainTask(jobId: number, taskId: number, workerId: number): Promise<TaskExplainResult> {
    const r = await this.conn.request<TaskExplainResponseT>(
      Request.TaskExplainRequest,
      new TaskExplainRequestT(jobId, taskId, workerId),
      Response.TaskExplainResponse,
    );
    return {
      state: str(r.state),
      taskDeps: r.taskDeps,
      waitingDeps: r.waitingDeps,
      workers: r.workers.map((w) => ({
        workerId: w.workerId,
        hostname: str(w.hostname),
        runnableNow: w.runnableNow,
        runnableEver: w.runnableEver,
        timeRequest: w.timeRequestSecs,
        workerRemaining: w.workerRemainingSecs < 0 ? null : w.workerRemainingSecs,
        timeFits: w.timeFits,
        unfinishedDependencies: w.unfinishedDependencies,
        variants: w.variants.map((v) => ({
          index: v.index,
          nodes: v.nodes,
          fitsNow: v.fitsNow,
          fitsEver: v.fitsEver,
          group: v.nodes > 0 ? { name: str(v.groupName), workers: v.groupWorkers, idleWorkers: v.groupIdleWorkers } : null,
          resources: v.entries.map((e) => ({
            name: str(e.resource),
            amount: e.amount,
            policy: str(e.policy),
            workerTotal: e.workerTotal,
            workerFree: e.workerFree,
            fitsNow: e.fitsNow,
            fitsEver: e.fitsEver,
          })),
        })),
      })),
    };
  }

  async workers(all: boolean): Promise<WorkerDetail[]> {
    const res = await this.conn.request<WorkersResponseT>(
      Request.WorkerListRequest,
      new WorkerListRequestT(all),
      Response.WorkersResponse,
    );
    return res.workers.map(worker);
  }

  async workerInfo(sel: IdSelector): Promise<WorkerDetail[]> {
    const res = await this.conn.request<WorkersResponseT>(
      Request.WorkerInfoRequest,
      new WorkerInfoRequestT(selectorT(sel)),
      Response.WorkersResponse,
    );
    return res.workers.map(worker);
  }

  async stopWorkers(sel: IdSelector): Promise<WorkerStopResult> {
    const res = await this.conn.request<WorkerStopResponseT>(
      Request.WorkerStopRequest,
      new WorkerStopRequestT(selectorT(sel)),
      Response.WorkerStopResponse,
    );
    return { stopped: res.stopped, alreadyStopped: res.alreadyStopped, unknown: res.unknown };
  }

  async waitWorkers(count: number): Promise<void> {
    await this.conn.request<OkResponseT>(Request.WorkerWaitRequest, new WorkerWaitRequestT(count), Response.OkResponse);
  }

  async serverInfo(): Promise<ServerDetail> {
    const r = await this.conn.request<ServerInfoResponseT>(
      Request.ServerInfoRequest,
      new ServerInfoRequestT(),
      Response.ServerInfoResponse,
    );
    return {
      serverUid: str(r.serverUid),
      serverDir: str(r.serverDir),
      host: str(r.host),
      clientPort: r.clientPort,
      workerPort: r.workerPort,
      version: str(r.version),
      pid: r.pid,
      startTime: r.startTime,
    };
  }

  async stopServer(): Promise<void> {
    await this.conn.request<OkResponseT>(Request.ServerStopRequest, new ServerStopRequestT(), Response.OkResponse);
  }
}
