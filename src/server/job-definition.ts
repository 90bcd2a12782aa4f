// The JobDefinition message a worker receives once per job it runs.
import { JobDefinitionT } from '../transport/generated/protocol.js';
import { encodeJobDefinition } from '../transport/worker-codec.js';
import { programToT, resourcesToT } from '../transport/common-codec.js';
import type { JobDescription } from './job.js';

export function jobDefinitionBytes(jobId: number, desc: JobDescription): Uint8Array {
  return encodeJobDefinition(
    new JobDefinitionT(
      jobId,
      programToT(desc.program),
      resourcesToT(desc.resources),
      desc.timeLimit,
      desc.submitDir,
      desc.entries,
      desc.taskDir,
      desc.pin,
    ),
  );
}
