// The JobDefinition message a worker receives before it runs tasks of a job:
// one part per submission, each with the templates that submission added.
import { JobDefinitionT, TaskTemplateT } from '../transport/generated/protocol.js';
import { encodeJobDefinition } from '../transport/worker-codec.js';
import { programToT, rangesToT, variantsToT } from '../transport/common-codec.js';
import type { JobDescription, TemplateDescription } from './job.js';

export function jobDefinitionBytes(jobId: number, desc: JobDescription, templates: readonly TemplateDescription[]): Uint8Array {
  return encodeJobDefinition(
    new JobDefinitionT(
      jobId,
      desc.submitDir,
      desc.streamDir,
      templates.map(
        (t) =>
          new TaskTemplateT(
            rangesToT(t.ids),
            t.entries,
            programToT(t.program),
            variantsToT(t.variants),
            t.timeLimit,
            t.taskDir,
            t.pin,
            t.priority,
          ),
      ),
    ),
  );
}
