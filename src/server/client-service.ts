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
  TemplateInfoT,
  SubmitInfoT,
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
  str,
  variantsFromT,
  variantsToT,
} from '../transport/common-codec.js';
import { CheckedByteBuffer } from '../transport/checked-byte-buffer.js';
import { UserError } from '../common/errors.js';
import { expandIds } from '../common/id-range.js';
import { TaskState, taskStateName } from '../core/task-state.js';
import { RESOURCE_UNIT } from '../core/resources.js';
import type { ControlPlane } from './control-plane.js';
import { taskIdAt, taskIdRuns, type Job, type JobDescription } from './job.js';
import { rangeSize, type IdRange } from '../common/id-range.js';
import type { TemplateWithIds } from './control-plane.js';
import { validatePlaceholders } from './submit-validation.js';
import { checkPlaceholders, resolveStreamDir, resolveTaskPaths } from '../common/placeholders.js';
import type { TaskTemplate } from '../client/types.js';

/** What the control plane does not keep of a submission: shared by the templates it added. */
interface Submission {
  /** A job file of [[task]] tables; else an array. */
  graph: boolean;
  /** As given, placeholders possibly left; '' = outputs go to files. */
  streamDir: string;
  submitDir: string;
}

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
/** Failed tasks job info names at most per job. */
const MAX_FAILURES_LISTED = 10_000;
/** A task list answer is cut into parts of about this size (far below the frame limit, quick to build). */
const TASK_PAGE_BYTES = 2 ** 18;

function encode(requestId: number, type: Response, body: ClientResponseT['response']): Uint8Array {
  builder.clear();
  builder.finish(new ClientResponseT(requestId, type, body).pack(builder));
  return builder.asUint8Array().slice();
}

export class ClientService {
  /** The submission each template came with (templates live as long as their job). */
  private readonly submissions = new WeakMap<TaskTemplate, Submission>();

  constructor(
    private readonly cp: ControlPlane,
    private readonly facts: ServerFacts,
    /** Answer size (about) at which a task list is split into parts. */
    private readonly pageBytes = TASK_PAGE_BYTES,
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
        return [Response.TasksResponse, this.tasks(req.request as TaskListRequestT)];
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
        // As the original, every selected id gets an answer: closed, not open or not found.
        const { jobs, missing } = this.selectJobsAndMissing((req.request as JobCloseRequestT).selector);
        const res = new JobForgetResponseT();
        for (const job of jobs) (cp.closeJob(job) ? res.forgotten : res.ignored).push(job.id);
        res.notFound = missing;
        return [Response.JobForgetResponse, res];
      }
      case Request.JobForgetRequest: {
        const r = req.request as JobForgetRequestT;
        const states = new Set(r.states.map((x) => x.toUpperCase()));
        const { jobs, missing } = this.selectJobsAndMissing(r.selector);
        const res = new JobForgetResponseT();
        for (const job of jobs) {
          const state = str(this.jobSummary(job).state);
          const wanted = states.size === 0 || states.has(state);
          (wanted && cp.forget(job) ? res.forgotten : res.ignored).push(job.id);
        }
        res.notFound = missing;
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
    const streamDir = str(r.streamDir);
    if (streamDir) checkPlaceholders(streamDir, 'log');
    const desc: JobDescription = {
      name: str(r.name) || defaultName(first.program.args),
      maxFails: maxFails < 0 ? null : maxFails,
      submitDir: str(r.submitDir),
      streamDir,
    };
    const submission: Submission = { graph: r.graph, streamDir, submitDir: desc.submitDir };
    for (const t of templates) this.submissions.set(t.template, submission);
    return this.cp.submit(r.jobId, desc, templates);
  }

  /** The stream directory of a template's tasks, placeholders filled; '' when they write files. */
  private streamDirOf(job: Job, template: TaskTemplate): string {
    const s = this.submissions.get(template);
    if (!s || !s.streamDir) return '';
    return resolveStreamDir(s.streamDir, { jobId: job.id, submitDir: s.submitDir, serverUid: this.cp.serverUid });
  }

  private templateInfo(job: Job, index: number): TemplateInfoT {
    const t = job.templates[index]!;
    return new TemplateInfoT(
      job.id,
      index,
      programToT(t.program),
      variantsToT(t.variants),
      t.priority,
      t.crashLimit,
      t.timeLimit,
      t.timeRequest,
      t.taskDir,
      t.pin,
      this.streamDirOf(job, t),
    );
  }

  /** Checks one template of a submission and expands its task ids. */
  private template(t: SubmitTemplateT): TemplateWithIds {
    const program = programFromT(t.program);
    if (program.args.length === 0) throw new UserError('no program to run was given');
    validatePlaceholders(program);
    const ranges = rangesFromT(t.ids);
    const entries = t.entries;
    // Ids stay ranges (a 10M-task array is one run), never one number per task.
    let ids: { runs: IdRange[]; count: number };
    if (ranges.length > 0) {
      for (const r of ranges) {
        if (!(r.step >= 1 && r.end >= r.start)) throw new UserError(`invalid task id range ${r.start}-${r.end}:${r.step}`);
      }
      ids = taskIdRuns(ranges);
      if (entries.length > 0 && entries.length !== ids.count) {
        throw new UserError(`${entries.length} entries given for ${ids.count} task ids`);
      }
    } else {
      const count = Math.max(1, entries.length);
      ids = { runs: [{ start: 0, end: count - 1, step: 1 }], count };
    }
    const variants = variantsFromT(t.variants);
    if (variants.length === 0) variants.push({ nodes: 0, resources: [] });
    const deps = t.deps.map((d) => ({ taskId: d.taskId, deps: d.deps }));
    return {
      template: {
        ids: ranges.length > 0 ? ranges : [{ start: 0, end: ids.count - 1, step: 1 }],
        entries,
        program,
        variants,
        priority: t.priority,
        crashLimit: t.crashLimit,
        timeLimit: t.timeLimitSecs,
        timeRequest: t.timeRequestSecs,
        taskDir: t.taskDir,
        pin: str(t.pin),
        // Kept for task info and explain (job files: one template per task).
        ...(deps.length > 0 ? { deps } : {}),
      },
      idRuns: ids.runs,
      count: ids.count,
      deps,
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

  /** The selected jobs, and the selected ids that name no job (none for all and last). */
  private selectJobsAndMissing(sel: IdSelectorT | null): { jobs: Job[]; missing: number[] } {
    if ((str(sel?.kind) || 'all') !== 'ids') return { jobs: this.selectJobs(sel, true), missing: [] };
    const jobs: Job[] = [];
    const missing: number[] = [];
    for (const id of expandIds(rangesFromT(sel!.ranges))) {
      const job = this.cp.jobs.get(id);
      if (job) jobs.push(job);
      else missing.push(id);
    }
    return { jobs, missing };
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
    const info = this.jobSummary(job);
    info.taskIds = rangesToT(job.templates.flatMap((t) => t.ids));
    info.maxFails = BigInt(d.maxFails ?? -1);
    info.submitDir = d.submitDir;
    info.submitTime = job.submitTime;
    info.startTime = job.startTime;
    info.endTime = job.endTime;
    info.entriesCount = job.templates.reduce((n, t) => n + t.entries.length, 0);
    info.templates = job.templates.map((_, i) => this.templateInfo(job, i));
    // A submission's templates are consecutive (the control plane adds them in one go).
    for (let i = 0; i < job.templates.length; ) {
      const s = this.submissions.get(job.templates[i]!);
      let n = 1;
      while (i + n < job.templates.length && this.submissions.get(job.templates[i + n]!) === s) n++;
      info.submits.push(new SubmitInfoT(s?.graph ?? false, n));
      i += n;
    }
    const table = this.cp.table;
    // The failed tasks in row order, up to a bound that keeps the answer one
    // frame even when a huge job failed entirely (the task list has them all).
    for (let k = 0; k < job.segments.length && job.failed > 0 && info.failures.length < MAX_FAILURES_LISTED; k++) {
      const s = job.segments[k]!;
      for (let i = 0; i < s.count && info.failures.length < MAX_FAILURES_LISTED; i++) {
        const row = s.startRow + i;
        if (table.state(row) !== TaskState.Failed) continue;
        const worker = table.worker(row);
        info.failures.push(new TaskFailureInfoT(taskIdAt(s, i), worker ? [worker] : [], this.cp.taskError(job, row)));
      }
    }
    return info;
  }

  /**
   * One part of a task list: from the task the request names on, until about
   * `pageBytes` of answer (or TASK_PAGE_LOOKUPS selected ids) are collected;
   * `nextJob`/`nextAt` say where the next part starts (see client.tasks()).
   * Positions count every task in job order, shown or filtered out.
   */
  private tasks(r: TaskListRequestT): TasksResponseT {
    const allJobs = this.selectJobs(r.jobs, true);
    const taskSel = r.tasks && str(r.tasks.kind) === 'ids' ? taskIdRuns(rangesFromT(r.tasks.ranges)).runs : null;
    const states = new Set(r.states.map((s) => s.toUpperCase()));
    const table = this.cp.table;
    const res = new TasksResponseT();
    const out = res.tasks;
    const firstJob = r.resumeJob ? allJobs.findIndex((j) => j.id === r.resumeJob) : 0;
    const jobs = firstJob < 0 ? [] : allJobs.slice(firstJob); // a job forgotten meanwhile ends the list
    let budget = this.pageBytes;
    let lookups = TASK_PAGE_LOOKUPS;
    for (const job of jobs) {
      const sent = new Set<number>();
      /** Adds the task unless filtered out; returns the bytes it adds to the answer (about). */
      const visit = (row: number, taskId: number, template: number): number => {
        const state = taskStateName(table.state(row));
        if (states.size > 0 && !states.has(state)) return 0;
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
        t.error = this.cp.taskError(job, row);
        // The paths the task (instance) uses, as HyperQueue lists them: placeholders filled, absolute.
        const program = job.templates[template]!.program;
        const paths = resolveTaskPaths(
          { cwd: program.cwd, stdout: program.stdout || null, stderr: program.stderr || null },
          { jobId: job.id, taskId, instanceId: t.instance, submitDir: job.description.submitDir, serverUid: this.cp.serverUid },
        );
        t.cwd = paths.cwd;
        t.stdout = paths.stdout ?? '';
        t.stderr = paths.stderr ?? '';
        t.template = template;
        let bytes = 96 + t.cwd.length + t.stdout.length + t.stderr.length + t.error.length + 8 * t.workers.length;
        for (const h of t.hostnames) bytes += 8 + h.length;
        if (r.templates) {
          t.dependencies = dependenciesOf(job.templates[template]!, taskId);
          bytes += 4 * t.dependencies.length;
          if (!sent.has(template)) {
            sent.add(template);
            res.templates.push(this.templateInfo(job, template));
            bytes += templateBytes(job.templates[template]!);
          }
        }
        out.push(t);
        return bytes;
      };
      const at = job === jobs[0] ? r.resumeAt : 0;
      const full = (position: number): boolean => {
        if (budget > 0 && lookups > 0) return false;
        res.nextJob = job.id;
        res.nextAt = position;
        return true;
      };
      if (taskSel) {
        let position = 0;
        for (const run of taskSel) {
          const size = rangeSize(run);
          for (let k = Math.max(0, at - position); k < size; k++) {
            if (full(position + k)) return res;
            lookups--;
            const id = run.start + k * run.step;
            const row = job.rowOf(id);
            if (row >= 0) budget -= visit(row, id, table.template(row));
          }
          position += size;
        }
      } else {
        let position = 0;
        for (const s of job.segments) {
          for (let i = Math.max(0, at - position); i < s.count; i++) {
            if (full(position + i)) return res;
            lookups--;
            budget -= visit(s.startRow + i, taskIdAt(s, i), s.template);
          }
          position += s.count;
        }
      }
    }
    return res;
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
    const table = this.cp.table;
    const state = table.state(row);
    const res = new TaskExplainResponseT(r.jobId, r.taskId, taskStateName(state));
    const deps = dependenciesOf(job.templates[job.templateOfRow(row)]!, r.taskId);
    res.taskDeps = deps.length;
    // As HyperQueue: unfinished dependencies count only while the task waits.
    if (state === TaskState.Waiting) {
      res.waitingDeps = deps.filter((d) => {
        const depRow = job.rowOf(d);
        return depRow >= 0 && table.state(depRow) !== TaskState.Finished;
      }).length;
    }
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

/** Tasks one part of a task list looks at most (most may be filtered out or not exist). */
const TASK_PAGE_LOOKUPS = 1 << 20;

/** About what a template adds to an answer. */
function templateBytes(t: TaskTemplate): number {
  let bytes = 512;
  for (const a of t.program.args) bytes += 8 + a.length;
  for (const [k, v] of Object.entries(t.program.env)) bytes += 16 + k.length + v.length;
  return bytes;
}

/** Task ids the task depends on (job files keep them with its template). */
function dependenciesOf(template: TaskTemplate, taskId: number): number[] {
  return template.deps?.find((d) => d.taskId === taskId)?.deps ?? [];
}

function defaultName(args: string[]): string {
  const first = args[0] ?? 'job';
  return first.split('/').pop() || first;
}
