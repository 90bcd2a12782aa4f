// Many small jobs against one big one: the same number of zero-work tasks
// submitted as one array or as many jobs over one client connection (as a
// workflow tool would), so per-job costs show up as time per task.
import { HqClient } from '../src/client/client.js';
import type { TaskTemplateSpec } from '../src/client/client.js';
import { HqCluster } from './hq-cluster.js';
import { median } from './processes.js';
import { peakRssBytes } from './proc-stats.js';

export interface ManyJobsFigures {
  jobs: number;
  tasksPerJob: number;
  runs: number;
  /** Medians over the runs: first submit to every job finished, client side. */
  seconds: number;
  /** The same tasks as one array on a fresh server, measured the same way. */
  oneJobSeconds: number;
  serverPeakRss: number;
}

function template(tasks: number): TaskTemplateSpec {
  return {
    ids: [{ start: 1, end: tasks, step: 1 }],
    entries: [],
    program: { args: ['/bin/true'], env: {}, cwd: '%{SUBMIT_DIR}', stdout: '', stderr: '' },
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

/** Submits `jobs` jobs of `tasksPerJob` tasks each (all before waiting) and waits for all; seconds. */
async function submitAndWait(cluster: HqCluster, jobs: number, tasksPerJob: number): Promise<number> {
  const client = await HqClient.connect(cluster.serverDir);
  try {
    const start = performance.now();
    const ids: number[] = [];
    for (let j = 0; j < jobs; j++) {
      ids.push(
        await client.submit({ name: 'bench', maxFails: null, submitDir: cluster.workDir, streamDir: '', templates: [template(tasksPerJob)] }),
      );
    }
    const done = await client.waitJobs({ kind: 'ids', ranges: [{ start: ids[0]!, end: ids[ids.length - 1]!, step: 1 }] });
    const seconds = (performance.now() - start) / 1000;
    const unfinished = done.filter((j) => j.counts.finished !== tasksPerJob);
    if (done.length !== jobs || unfinished.length > 0) throw new Error(`${unfinished.length} of ${done.length} jobs did not finish every task`);
    return seconds;
  } finally {
    client.close();
  }
}

export async function benchManyJobs(jobs: number, tasksPerJob: number, runs: number): Promise<ManyJobsFigures> {
  const many: number[] = [];
  const one: number[] = [];
  const peaks: number[] = [];
  for (let run = 0; run < runs; run++) {
    for (const shape of ['many', 'one'] as const) {
      const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--zero-work'] });
      try {
        if (shape === 'many') {
          many.push(await submitAndWait(cluster, jobs, tasksPerJob));
          peaks.push(peakRssBytes(cluster.serverPid));
        } else {
          one.push(await submitAndWait(cluster, 1, jobs * tasksPerJob));
        }
      } finally {
        await cluster.stop();
      }
    }
  }
  return { jobs, tasksPerJob, runs, seconds: median(many), oneJobSeconds: median(one), serverPeakRss: median(peaks) };
}
