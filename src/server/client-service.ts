// Answers client requests (schema/client.fbs) on the control plane.
import * as fb from 'flatbuffers';
import {
  ClientRequest,
  ClientRequestT,
  ClientResponseT,
  ErrorResponseT,
  IdSelectorT,
  JobCancelResponseT,
  JobInfoT,
  JobsResponseT,
  OkResponseT,
  Request,
  Response,
  ServerInfoResponseT,
  SubmitRequestT,
  JobOpenRequestT,
  JobCloseRequestT,
  JobForgetRequestT,
  JobForgetResponseT,
  TaskExplainRequestT,
  TaskExplainResponseT,
  WorkerExplainT,
  ExplainVariantT,
  ExplainEntryT,
  SubmitTemplateT,
  SubmitResponseT,
  TaskFailureInfoT,
  TaskInfoT,
  TaskListRequestT,
  TasksResponseT,
  WorkerInfoT,
  WorkersResponseT,
  WorkerStopResponseT,
  JobListRequestT,
  JobInfoRequestT,
  JobCancelRequestT,
  JobWaitRequestT,
  WorkerListRequestT,
  WorkerInfoRequestT,
  WorkerStopRequestT,
  WorkerWaitRequestT,
} from '../transport/generated/protocol.js';
import {
  descriptorsToT,
  programFromT,
  programToT,
  rangesFromT,
  rangesToT,
  resourcesToT,
  str,
  variantsFromT,
} from '../transport/common-codec.js';
import { CheckedByteBuffer } from '../transport/checked-byte-buffer.js';
import { UserError } from '../common/errors.js';
import { expandIds } from '../common/id-range.js';
import { TaskState, taskStateName } from '../core/task-state.js';
import { RESOURCE_UNIT } from '../core/resources.js';
import type { ControlPlane } from './control-plane.js';
import type { Job, JobDescription } from './job.js';
import type { TemplateWithIds } from './control-plane.js';
import { validatePlaceholders } from './submit-validation.js';
import { resolveTaskPaths } from '../common/placeholders.js';

export interface ServerFacts {
  serverDir: string;
  host: string;
  clientPort: number;
  workerPort: number;
  version: string;
  startTime: number;
  /** Called after the reply to a stop request left. */
  stop(): void;
}

const builder = new fb.Builder(1024);

/** Replies must fit one frame (the frame limit is 64 MiB, with room for the tag). */
const MAX_RESPONSE_BYTES = 60 * 2 ** 20;

function encode(requestId: number, type: Response, body: ClientResponseT['response']): Uint8Array {
  builder.clear();
  builder.finish(new ClientResponseT(requestId, type, body).pack(builder));
  return builder.asUint8Array().slice();
}

export class ClientService {
  constructor(
    private readonly cp: ControlPlane,
    private readonly facts: ServerFacts,
  ) {}

  async handle(bytes: Uint8Array): Promise<Uint8Array> {
    let req: ClientRequestT;
    try {
      req = ClientRequest.getRootAsClientRequest(new CheckedByteBuffer(bytes)).unpack();
    } catch {
      return encode(0, Response.ErrorResponse, new ErrorResponseT('malformed request'));
    }
    try {
      const [type, body] = await this.dispatch(req);
      let reply = encode(req.requestId, type, body);
      if (reply.length > MAX_RESPONSE_BYTES) {
        reply = encode(
          req.requestId,
          Response.ErrorResponse,
          new ErrorResponseT(`The answer would be ${Math.ceil(reply.length / 2 ** 20)} MiB; ask for fewer tasks or jobs`),
        );
      }
      if (req.requestType === Request.ServerStopRequest) setImmediate(() => this.facts.stop());
      return reply;
    } catch (e) {
      const message = e instanceof UserError ? e.message : `internal error: ${(e as Error).message}`;
      return encode(req.requestId, Response.ErrorResponse, new ErrorResponseT(message));
    }
  }

  private async dispatch(req: ClientRequestT): Promise<[Response, ClientResponseT['response']]> {
    const cp = this.cp;
    switch (req.requestType) {
      case Request.SubmitRequest: {
        const id = await this.submit(req.request as SubmitRequestT);
        return [Response.SubmitResponse, new SubmitResponseT(id)];
      }
      case Request.JobListRequest: {
        const r = req.request as JobListRequestT;
        const filter = new Set(r.filter.map((s) => s.toUpperCase()));
        const jobs: JobInfoT[] = [];
        for (const job of cp.jobs.values()) {
          const info = this.jobSummary(job);
          const state = str(info.state);
          if (filter.size > 0 ? !filter.has(state) : !r.all && !(state === 'WAITING' || state === 'RUNNING' || state === 'OPENED'))
            continue;
          jobs.push(info);
        }
        return [Response.JobsResponse, new JobsResponseT(jobs)];
      }
      case Request.JobInfoRequest: {
        const jobs = this.selectJobs((req.request as JobInfoRequestT).selector, true);
        return [Response.JobsResponse, new JobsResponseT(jobs.map((j) => this.jobDetail(j)))];
      }
      case Request.JobCancelRequest: {
        const jobs = this.selectJobs((req.request as JobCancelRequestT).selector, true);
        const res = new JobCancelResponseT();
        for (const job of jobs) {
          const before = this.jobSummary(job);
          if (await cp.cancel(job)) {
            res.canceled.push(job.id);
            res.canceledTasks.push(before.waiting + before.running);
            res.finishedTasks.push(before.finished + before.failed + before.canceled);
          } else {
            res.alreadyFinished.push(job.id);
          }
        }
        return [Response.JobCancelResponse, res];
      }
      case Request.JobWaitRequest: {
        const jobs = this.selectJobs((req.request as JobWaitRequestT).selector, false);
        await Promise.all(jobs.map((j) => j.whenDone()));
        return [Response.JobsResponse, new JobsResponseT(jobs.map((j) => this.jobSummary(j)))];
      }
      case Request.TaskListRequest:
        return [Response.TasksResponse, new TasksResponseT(this.tasks(req.request as TaskListRequestT))];
      case Request.JobOpenRequest: {
        const r = req.request as JobOpenRequestT;
        const maxFails = Number(r.maxFails);
        const id = cp.openJob({
          name: str(r.name) || 'job',
          maxFails: maxFails < 0 ? null : maxFails,
          submitDir: str(r.submitDir),
          streamDir: str(r.streamDir),
        });
        return [Response.SubmitResponse, new SubmitResponseT(id)];
      }
      case Request.JobCloseRequest: {
        const jobs = this.selectJobs((req.request as JobCloseRequestT).selector, true);
        const res = new JobForgetResponseT();
        for (const job of jobs) (cp.closeJob(job) ? res.forgotten : res.ignored).push(job.id);
        return [Response.JobForgetResponse, res];
      }
      case Request.JobForgetRequest: {
        const r = req.request as JobForgetRequestT;
        const states = new Set(r.states.map((x) => x.toUpperCase()));
        const res = new JobForgetResponseT();
        for (const job of this.selectJobs(r.selector, true)) {
          const state = str(this.jobSummary(job).state);
          const wanted = states.size === 0 || states.has(state);
          (wanted && cp.forget(job) ? res.forgotten : res.ignored).push(job.id);
        }
        return [Response.JobForgetResponse, res];
      }
      case Request.TaskExplainRequest:
        return [Response.TaskExplainResponse, await this.explain(req.request as TaskExplainRequestT)];
      case Request.WorkerListRequest: {
        const all = (req.request as WorkerListRequestT).all;
        const list = [...cp.workers.values()].filter((w) => all || w.state === 'RUNNING');
        return [Response.WorkersResponse, new WorkersResponseT(await this.workerInfos(list.map((w) => w.id)))];
      }
      case Request.WorkerInfoRequest: {
        const ids = this.selectWorkers((req.request as WorkerInfoRequestT).selector, true);
        return [Response.WorkersResponse, new WorkersResponseT(await this.workerInfos(ids))];
      }
      case Request.WorkerStopRequest: {
        const ids = this.selectWorkers((req.request as WorkerStopRequestT).selector, false);
        const res = new WorkerStopResponseT();
        for (const id of ids) {
          if (!cp.workers.has(id)) res.unknown.push(id);
          else if (await cp.stopWorker(id)) res.stopped.push(id);
          else res.alreadyStopped.push(id);
        }
        return [Response.WorkerStopResponse, res];
      }
      case Request.WorkerWaitRequest:
        await cp.waitForWorkers((req.request as WorkerWaitRequestT).count);
        return [Response.OkResponse, new OkResponseT()];
      case Request.ServerInfoRequest:
        return [Response.ServerInfoResponse, this.serverInfo()];
      case Request.ServerStopRequest:
        return [Response.OkResponse, new OkResponseT()];
      default:
        throw new UserError('unknown request');
    }
  }

  private serverInfo(): ServerInfoResponseT {
    const f = this.facts;
    return new ServerInfoResponseT(
      this.cp.serverUid,
      f.serverDir,
      f.host,
      f.clientPort,
      f.workerPort,
      f.version,
      process.pid,
      f.startTime,
    );
  }

  private async submit(r: SubmitRequestT): Promise<number> {
    if (r.templates.length === 0) throw new UserError('the submission has no tasks');
    const templates: TemplateWithIds[] = r.templates.map((t) => this.template(t));
    const maxFails = Number(r.maxFails);
    const first = templates[0]!.template;
    const desc: JobDescription = {
      name: str(r.name) || defaultName(first.program.args),
      maxFails: maxFails < 0 ? null : maxFails,
      submitDir: str(r.submitDir),
      streamDir: str(r.streamDir),
    };
    return this.cp.submit(r.jobId, desc, templates);
  }

  /** Checks one template of a submission and expands its task ids. */
  private template(t: SubmitTemplateT): TemplateWithIds {
    const program = programFromT(t.program);
    if (program.args.length === 0) throw new UserError('no program to run was given');
    validatePlaceholders(program);
    const ranges = rangesFromT(t.ids);
    const entries = t.entries;
    let taskIds: Uint32Array;
    if (ranges.length > 0) {
      taskIds = expandIds(ranges);
      if (taskIds.length === 0) throw new UserError('the array has no task ids');
      if (entries.length > 0 && entries.length !== taskIds.length) {
        throw new UserError(`${entries.length} entries given for ${taskIds.length} task ids`);
      }
    } else if (entries.length > 0) {
      taskIds = new Uint32Array(entries.length);
      for (let i = 0; i < taskIds.length; i++) taskIds[i] = i;
    } else {
      taskIds = new Uint32Array(1);
    }
    let sorted = true;
    for (let i = 1; i < taskIds.length && sorted; i++) sorted = taskIds[i - 1]! < taskIds[i]!;
    const variants = variantsFromT(t.variants);
    if (variants.length === 0) variants.push({ nodes: 0, resources: [] });
    return {
      template: {
        ids: ranges.length > 0 ? ranges : [{ start: 0, end: taskIds.length - 1, step: 1 }],
        entries,
        program,
        variants,
        priority: t.priority,
        crashLimit: t.crashLimit,
        timeLimit: t.timeLimitSecs,
        timeRequest: t.timeRequestSecs,
        taskDir: t.taskDir,
        pin: str(t.pin),
      },
      taskIds,
      sorted,
      deps: t.deps.map((d) => ({ taskId: d.taskId, deps: d.deps })),
      autoIds: ranges.length === 0,
    };
  }

  private selectJobs(sel: IdSelectorT | null, mustExist: boolean): Job[] {
    const cp = this.cp;
    const kind = str(sel?.kind) || 'all';
    if (kind === 'all') return [...cp.jobs.values()];
    if (kind === 'last') {
      const job = cp.jobs.get(cp.lastJob);
      if (!job) throw new UserError('No jobs were submitted yet');
      return [job];
    }
    const ranges = rangesFromT(sel!.ranges);
    const ids = expandIds(ranges);
    const jobs: Job[] = [];
    const missing: number[] = [];
    for (const id of ids) {
      const job = cp.jobs.get(id);
      if (job) jobs.push(job);
      else missing.push(id);
    }
    // A single id or an explicit list must exist; an open range may have gaps.
    const explicit = ranges.every((r) => r.start === r.end);
    if (mustExist && missing.length > 0 && (explicit || jobs.length === 0)) {
      throw new UserError(`Job ${missing.join(', ')} not found`);
    }
    if (!mustExist && missing.length > 0 && explicit) throw new UserError(`Job ${missing.join(', ')} not found`);
    return jobs;
  }

  private selectWorkers(sel: IdSelectorT | null, mustExist: boolean): number[] {
    const cp = this.cp;
    const kind = str(sel?.kind) || 'all';
    if (kind === 'all') return [...cp.workers.values()].filter((w) => w.state === 'RUNNING').map((w) => w.id);
    if (kind === 'last') {
      const ids = [...cp.workers.keys()];
      if (ids.length === 0) throw new UserError('No workers have connected yet');
      return [Math.max(...ids)];
    }
    const ids = [...expandIds(rangesFromT(sel!.ranges))];
    if (mustExist) {
      const missing = ids.filter((id) => !cp.workers.has(id));
      if (missing.length > 0) throw new UserError(`Worker ${missing.join(', ')} not found`);
    }
    return ids;
  }

  private jobSummary(job: Job): JobInfoT {
    const counts = this.cp.countStates(job);
    const info = new JobInfoT();
    info.id = job.id;
    info.name = job.description.name;
    info.state = job.state(counts[TaskState.Running]!);
    info.isOpen = job.isOpen;
    info.taskCount = job.taskCount;
    info.waiting = counts[TaskState.Waiting]! + counts[TaskState.Assigned]!;
    info.running = counts[TaskState.Running]!;
    info.finished = counts[TaskState.Finished]!;
    info.failed = counts[TaskState.Failed]!;
    info.canceled = counts[TaskState.Canceled]!;
    return info;
  }

  private jobDetail(job: Job): JobInfoT {
    const d = job.description;
    const first = job.templates[0];
    const info = this.jobSummary(job);
    info.taskIds = rangesToT(job.templates.flatMap((t) => t.ids));
    if (first) {
      info.program = programToT(first.program);
      info.resources = resourcesToT(first.variants[0]?.resources ?? []);
      info.priority = first.priority;
      info.crashLimit = first.crashLimit;
      info.timeLimitSecs = first.timeLimit;
      info.timeRequestSecs = first.timeRequest;
    }
    info.maxFails = BigInt(d.maxFails ?? -1);
    info.submitDir = d.submitDir;
    info.submitTime = job.submitTime;
    info.startTime = job.startTime;
    info.endTime = job.endTime;
    info.entriesCount = job.templates.reduce((n, t) => n + t.entries.length, 0);
    info.streamDir = d.streamDir;
    const table = this.cp.table;
    for (const s of job.segments) {
      for (let i = 0; i < s.count; i++) {
        const row = s.startRow + i;
        if (table.state(row) !== TaskState.Failed) continue;
        const worker = table.worker(row);
        info.failures.push(new TaskFailureInfoT(s.taskIds[i]!, worker ? [worker] : [], this.cp.taskErrors.get(row) ?? ''));
      }
    }
    return info;
  }

  private tasks(r: TaskListRequestT): TaskInfoT[] {
    const jobs = this.selectJobs(r.jobs, true);
    const taskSel = r.tasks && str(r.tasks.kind) === 'ids' ? expandIds(rangesFromT(r.tasks.ranges)) : null;
    const states = new Set(r.states.map((s) => s.toUpperCase()));
    const table = this.cp.table;
    const out: TaskInfoT[] = [];
    for (const job of jobs) {
      const visit = (row: number, taskId: number, template: number) => {
        const state = taskStateName(table.state(row));
        if (states.size > 0 && !states.has(state)) return;
        const worker = table.worker(row);
        const t = new TaskInfoT();
        t.jobId = job.id;
        t.taskId = taskId;
        t.state = state;
        t.instance = table.instance(row);
        // A multi-node task runs on all the workers of its placement.
        const members = worker ? this.cp.multiNodeWorkers.get(row) : undefined;
        t.workers = members && members[0] === t.instance ? members.slice(1) : worker ? [worker] : [];
        t.hostnames = t.workers.map((id) => this.cp.workers.get(id)?.reg.hostname ?? '');
        t.crashCount = table.crashCount(row);
        t.startTime = table.startTime(row);
        t.endTime = table.endTime(row);
        t.error = this.cp.taskErrors.get(row) ?? '';
        // The paths the task (instance) uses, as HyperQueue lists them: placeholders filled, absolute.
        const program = job.templates[template]!.program;
        const paths = resolveTaskPaths(
          { cwd: program.cwd, stdout: program.stdout || null, stderr: program.stderr || null },
          { jobId: job.id, taskId, instanceId: t.instance, submitDir: job.description.submitDir, serverUid: this.cp.serverUid },
        );
        t.cwd = paths.cwd;
        t.stdout = paths.stdout ?? '';
        t.stderr = paths.stderr ?? '';
        out.push(t);
      };
      if (taskSel) {
        for (const id of taskSel) {
          const row = job.rowOf(id);
          if (row >= 0) visit(row, id, job.templateOfRow(row));
        }
      } else {
        for (const s of job.segments) for (let i = 0; i < s.count; i++) visit(s.startRow + i, s.taskIds[i]!, s.template);
      }
    }
    return out;
  }

  private async explain(r: TaskExplainRequestT): Promise<TaskExplainResponseT> {
    const job = this.cp.jobs.get(r.jobId);
    if (!job) throw new UserError(`Job ${r.jobId} not found`);
    const row = job.rowOf(r.taskId);
    if (row < 0) throw new UserError(`Task ${r.taskId} of job ${r.jobId} not found`);
    let ids: number[];
    if (r.workerId) {
      if (!this.cp.workers.has(r.workerId)) throw new UserError(`Worker ${r.workerId} not found`);
      ids = [r.workerId];
    } else {
      ids = [...this.cp.workers.values()].filter((w) => w.state === 'RUNNING').map((w) => w.id);
    }
    const results = await this.cp.explain(row, ids);
    const units = (x: number) => x / RESOURCE_UNIT;
    const res = new TaskExplainResponseT(r.jobId, r.taskId, taskStateName(this.cp.table.state(row)));
    for (const e of results) {
      res.workers.push(
        new WorkerExplainT(
          e.workerId,
          this.cp.workers.get(e.workerId)?.reg.hostname ?? '',
          e.runnableNow,
          e.runnableEver,
          e.timeRequestMs / 1000,
          e.workerRemainingMs === null ? -1 : e.workerRemainingMs / 1000,
          e.timeFits,
          e.unfinishedDependencies,
          e.variants.map(
            (v) =>
              new ExplainVariantT(
                v.index,
                v.nodes,
                v.entries.map(
                  (x) => new ExplainEntryT(x.resource, units(x.amount), x.policy, units(x.workerTotal), units(x.workerFree), x.fitsNow, x.fitsEver),
                ),
                v.fitsNow,
                v.fitsEver,
                v.group?.name ?? '',
                v.group?.workers ?? 0,
                v.group?.idleWorkers ?? 0,
              ),
          ),
        ),
      );
    }
    return res;
  }

  private async workerInfos(ids: number[]): Promise<WorkerInfoT[]> {
    const loads = new Map((await this.cp.workerLoads()).map(([id, assigned, running]) => [id, { assigned, running }]));
    const out: WorkerInfoT[] = [];
    for (const id of ids) {
      const w = this.cp.workers.get(id);
      if (!w) continue;
      const r = w.reg;
      const load = loads.get(id);
      out.push(
        new WorkerInfoT(
          id,
          w.state,
          r.hostname,
          r.group,
          w.startTime,
          w.endTime,
          0,
          r.heartbeatSecs,
          r.idleTimeoutSecs,
          r.timeLimitSecs,
          r.workDir,
          r.manager,
          r.managerJobId,
          descriptorsToT(r.resources),
          load?.running ?? 0,
          load?.assigned ?? 0,
          r.address,
        ),
      );
    }
    return out;
  }
}

function defaultName(args: string[]): string {
  const first = args[0] ?? 'job';
  return first.split('/').pop() || first;
}
