// hq job submit-file FILE: a job definition file becomes one submission with
// a template per task (or one for an array), dependencies included.
import path from 'node:path';
import fs from 'node:fs';
import { readJobFile, type JobFileSpec, type JobFileTaskConfig } from '../../client/job-file.js';
import type { SubmitSpec, TaskTemplateSpec } from '../../client/client.js';
import { UserError } from '../../common/errors.js';
import type { IdRange } from '../../common/id-range.js';

function template(
  config: JobFileTaskConfig,
  ids: IdRange[],
  entries: string[],
  deps: TaskTemplateSpec['deps'],
): TaskTemplateSpec {
  return {
    ids,
    entries,
    program: { ...config.program, ...(config.stdin ? { stdin: Buffer.from(config.stdin) } : {}) },
    variants: config.variants.map((v) => ({ nodes: v.nodes, resources: v.resources })),
    priority: config.priority,
    crashLimit: config.crashLimit,
    timeLimit: config.timeLimit,
    timeRequest: config.timeRequest,
    taskDir: config.taskDir,
    pin: config.pin,
    deps,
  };
}

export function jobFileSubmitSpec(spec: JobFileSpec, submitDir: string, jobId?: number): SubmitSpec {
  let streamDir = '';
  if (spec.stream) {
    streamDir = path.resolve(submitDir, spec.stream);
    try {
      fs.mkdirSync(streamDir, { recursive: true });
      fs.accessSync(streamDir, fs.constants.W_OK);
    } catch (e) {
      throw new UserError(`Stream directory '${spec.stream}' is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const templates: TaskTemplateSpec[] = spec.array
    ? [template(spec.array.task, spec.array.ids, spec.array.entries, [])]
    : spec.tasks.map((t) =>
        template(t, [{ start: t.id, end: t.id, step: 1 }], [], t.deps.length > 0 ? [{ taskId: t.id, deps: t.deps }] : []),
      );
  if (templates.length === 0) throw new UserError('The job file defines no tasks');
  return { jobId, name: spec.name, maxFails: spec.maxFails, submitDir, streamDir, templates };
}

export function readJobFileSpec(file: string, jobId?: number, existingTaskIds?: Iterable<number>): SubmitSpec {
  const spec = readJobFile(file, existingTaskIds ? { existingTaskIds } : {});
  return jobFileSubmitSpec(spec, process.cwd(), jobId);
}
