// hq job submit-file FILE: a job definition file becomes one submission with
// a template per task (or one for an array), dependencies included.
import type { JobFileSpec, JobFileTaskConfig } from '../../client/job-file.js';
import type { SubmitSpec, TaskTemplateSpec } from '../../client/client.js';
import { UserError } from '../../common/errors.js';
import type { IdRange } from '../../common/id-range.js';
import { DEFAULT_STDERR_TEMPLATE, DEFAULT_STDOUT_TEMPLATE } from '../../common/placeholders.js';
import { prepareStreamDir } from './submit.js';

function template(
  config: JobFileTaskConfig,
  ids: IdRange[],
  entries: string[],
  deps: TaskTemplateSpec['deps'],
): TaskTemplateSpec {
  return {
    ids,
    entries,
    program: {
      ...config.program,
      // A streamed channel travels as its default template, which the worker streams (see isStreamedOutput).
      ...(config.output.stdout.kind === 'stream' ? { stdout: DEFAULT_STDOUT_TEMPLATE } : {}),
      ...(config.output.stderr.kind === 'stream' ? { stderr: DEFAULT_STDERR_TEMPLATE } : {}),
      ...(config.stdin ? { stdin: Buffer.from(config.stdin) } : {}),
    },
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
  const streamDir = spec.stream ? prepareStreamDir(spec.stream, submitDir, jobId) : '';
  const templates: TaskTemplateSpec[] = spec.array
    ? [template(spec.array.task, spec.array.ids, spec.array.entries, [])]
    : spec.tasks.map((t) =>
        template(t, [{ start: t.id, end: t.id, step: 1 }], [], t.deps.length > 0 ? [{ taskId: t.id, deps: t.deps }] : []),
      );
  if (templates.length === 0) throw new UserError('The job file defines no tasks');
  return { jobId, name: spec.name, maxFails: spec.maxFails, submitDir, streamDir, templates };
}
