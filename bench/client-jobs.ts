// Jobs the client-library benchmarks submit: `/bin/true` on one cpu, no
// output files, nothing else set, a few submits in flight over one
// connection as a workflow engine with several tasks ready would have.
import type { HqClient, SubmitSpec, TaskTemplateSpec } from '../src/client/client.js';
import type { ProgramDescription } from '../src/client/types.js';

/** Tasks `1..tasks` (or only task 0 with `tasks` = 0) of `/bin/true`; `program` overrides parts of the program. */
export function trueTemplate(tasks: number, program: Partial<ProgramDescription> = {}): TaskTemplateSpec {
  return {
    ids: [tasks === 0 ? { start: 0, end: 0, step: 1 } : { start: 1, end: tasks, step: 1 }],
    entries: [],
    program: { args: ['/bin/true'], env: {}, cwd: '%{SUBMIT_DIR}', stdout: '', stderr: '', ...program },
    variants: [{ nodes: 0, resources: [{ name: 'cpus', amount: 1, policy: 'compact' }] }],
    priority: 0,
    crashLimit: 5,
    timeLimit: 0,
    timeRequest: 0,
    taskDir: false,
    pin: '',
    deps: [],
  };
}

/** Submits at most this many jobs at once over the connection. */
export const SUBMITS_IN_FLIGHT = 8;

/** Submits `spec` as `count` jobs, SUBMITS_IN_FLIGHT at a time. */
export async function submitJobs(client: HqClient, spec: SubmitSpec, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SUBMITS_IN_FLIGHT, count) }, async () => {
      while (next < count) {
        next++;
        await client.submit(spec);
      }
    }),
  );
}
