// A workflow as Nextflow's hq executor drives it: one job per task, submitted
// one after another while a real worker runs them. What matters over a long
// run is what each ended job leaves behind in the server, the worker and its
// launcher, so memory is read after a first half and after a second.
import { HqClient } from '../src/client/client.js';
import { HqCluster } from './hq-cluster.js';
import { findPids } from './process-makespan.js';
import { rssBytes } from './proc-stats.js';
import { submitJobs, trueTemplate } from './client-jobs.js';

export interface OneTaskJobsFigures {
  jobs: number;
  seconds: number;
  /** RSS growth over the second half, per job (bytes); null when the process was not found. */
  serverPerJob: number;
  workerPerJob: number | null;
  launcherPerJob: number | null;
}

export async function benchOneTaskJobs(jobs: number): Promise<OneTaskJobsFigures> {
  const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--cpus', '2'] });
  const client = await HqClient.connect(cluster.serverDir);
  try {
    const pids = findPids(cluster);
    // A workflow task's environment names its own script; this one is of a typical size.
    const program = { env: { TASK_SCRIPT: `${cluster.workDir}/work/3f/a8c1e2/.command.sh` }, cwd: cluster.workDir };
    const spec = { name: 'task', maxFails: null, submitDir: cluster.workDir, streamDir: '', templates: [trueTemplate(0, program)] };
    let submitted = 0;
    const runUpTo = async (total: number): Promise<void> => {
      await submitJobs(client, spec, total - submitted);
      submitted = total;
      const done = await client.waitJobs({ kind: 'all' });
      const unfinished = done.filter((j) => j.state !== 'FINISHED').length;
      if (done.length !== total || unfinished > 0) throw new Error(`${unfinished} of ${done.length} jobs did not finish`);
    };
    const rss = () => ({
      server: rssBytes(cluster.serverPid),
      worker: pids ? rssBytes(pids.worker) : null,
      launcher: pids?.launcher ? rssBytes(pids.launcher) : null,
    });
    const start = performance.now();
    const half = Math.floor(jobs / 2);
    await runUpTo(half);
    const middle = rss();
    await runUpTo(jobs);
    const end = rss();
    const perJob = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / (jobs - half));
    return {
      jobs,
      seconds: (performance.now() - start) / 1000,
      serverPerJob: perJob(middle.server, end.server)!,
      workerPerJob: perJob(middle.worker, end.worker),
      launcherPerJob: perJob(middle.launcher, end.launcher),
    };
  } finally {
    client.close();
    await cluster.stop();
  }
}
