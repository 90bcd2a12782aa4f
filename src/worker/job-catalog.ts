// The jobs a worker has been told about: for each, the templates that say
// how its tasks run, and which template and entry belong to a task id.
import { expandIds, type IdRange } from '../common/id-range.js';
import type { ResourceVariant } from '../core/resources.js';
import { toCoreVariants } from '../common/request-variants.js';
import type { JobDefinitionT } from '../transport/generated/protocol.js';
import { programFromT, rangesFromT, str, variantsFromT } from '../transport/common-codec.js';
import { decodeJobDefinition } from '../transport/worker-codec.js';
import type { ProgramDescription, ResourceVariantSpec } from '../client/types.js';

export interface WorkerTemplate {
  ids: IdRange[];
  entries: string[];
  program: ProgramDescription;
  variants: ResourceVariantSpec[];
  /** The same variants in the allocator's terms; one object per variant, reused for every task. */
  coreVariants: ResourceVariant[];
  timeLimit: number;
  taskDir: boolean;
  pin: string;
  /** Higher starts first among queued tasks (see TaskQueue). */
  priority: number;
  /** Where the tasks' outputs are streamed ('' = files): each submission into an open job has its own. */
  streamDir: string;
  /** Task id -> position among the template's ids (built on first need, for entries). */
  positions: Map<number, number> | null;
}

export interface WorkerJob {
  submitDir: string;
  templates: WorkerTemplate[];
  /** Task id -> template, when the job has several templates. */
  templateOf: Map<number, number> | null;
}

export class JobCatalog {
  private readonly jobs = new Map<number, WorkerJob>();
  /**
   * Parts of definitions as they came (encoded server messages), read when a
   * task of their job first needs them: a worker told about thousands of
   * jobs builds objects only for those it runs tasks of.
   */
  private readonly unread = new Map<number, Uint8Array[]>();

  /** Keeps one part of a job's definition, encoded as `encodeJobDefinition` made it; copied, so the frame it came in can go. */
  addEncoded(jobId: number, message: Uint8Array): void {
    const copy = message.slice();
    const parts = this.unread.get(jobId);
    if (parts === undefined) this.unread.set(jobId, [copy]);
    else parts.push(copy);
  }

  /** Adds one part of a job's definition (one submission's templates). */
  add(def: JobDefinitionT): void {
    let job = this.jobs.get(def.jobId);
    if (!job) {
      job = { submitDir: str(def.submitDir), templates: [], templateOf: null };
      this.jobs.set(def.jobId, job);
    }
    for (const t of def.templates) {
      const variants = variantsFromT(t.variants);
      job.templates.push({
        ids: rangesFromT(t.ids),
        entries: t.entries,
        program: programFromT(t.program),
        variants,
        coreVariants: toCoreVariants(variants),
        timeLimit: t.timeLimitSecs,
        taskDir: t.taskDir,
        pin: str(t.pin),
        priority: t.priority,
        streamDir: str(def.streamDir),
        positions: null,
      });
    }
    job.templateOf = null; // rebuilt on demand with the new templates
  }

  get(jobId: number): WorkerJob | undefined {
    const parts = this.unread.get(jobId);
    if (parts !== undefined) {
      this.unread.delete(jobId);
      for (const part of parts) this.add(decodeJobDefinition(part));
    }
    return this.jobs.get(jobId);
  }

  /** The template a task of the job follows. */
  template(job: WorkerJob, taskId: number): WorkerTemplate | undefined {
    if (job.templates.length === 1) return job.templates[0];
    if (!job.templateOf) {
      job.templateOf = new Map();
      job.templates.forEach((t, i) => {
        for (const id of expandIds(t.ids)) job.templateOf!.set(id, i);
      });
    }
    const i = job.templateOf.get(taskId);
    return i === undefined ? undefined : job.templates[i];
  }

  /** The entry (--each-line / --from-json) of a task, or null. */
  entry(template: WorkerTemplate, taskId: number): string | null {
    if (template.entries.length === 0) return null;
    if (!template.positions) {
      template.positions = new Map();
      let i = 0;
      for (const id of expandIds(template.ids)) template.positions.set(id, i++);
    }
    const at = template.positions.get(taskId);
    return at === undefined ? null : (template.entries[at] ?? null);
  }

  /** Drops the job; returns what was built from it, undefined when no task of it needed it yet. */
  forget(jobId: number): WorkerJob | undefined {
    const job = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    this.unread.delete(jobId);
    return job;
  }
}
