// Many small jobs against one big one: the same number of zero-work tasks,
// as one array or as many jobs. The jobs are submitted over one client
// connection (as a workflow tool would, a few submits in flight) before any
// worker exists; then one zero-work worker runs them all. Running time is
// the server's view (first task started to last task ended), so per-job
// costs of scheduling show up as time per task; submitting is timed apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { HqClient } from '../src/client/client.js';
import { HqCluster, hqCommand } from './hq-cluster.js';
import { submitJobs, trueTemplate } from './client-jobs.js';
import { benchEnv, median, trackChild } from './processes.js';
import { peakRssBytes } from './proc-stats.js';

export interface ManyJobsFigures {
  jobs: number;
  tasksPerJob: number;
  runs: number;
  /** Medians over the runs. Server's view of running every task of the many jobs. */
  runSeconds: number;
  /** The same for all tasks as one array. */
  oneJobRunSeconds: number;
  /** Median over the runs of each run's many-jobs time over its one-job time (the two ran back to back). */
  pairedRatio: number;
  /** Client's view of submitting the many jobs, per job. */
  submitMsPerJob: number;
  serverPeakRss: number;
}

interface Run {
  submitSeconds: number;
  runSeconds: number;
  peakRss: number;
}

async function runJobs(jobs: number, tasksPerJob: number): Promise<Run> {
  const cluster = await HqCluster.start({ workers: 0, workerArgs: [] });
  let worker: ChildProcess | null = null;
  const client = await HqClient.connect(cluster.serverDir);
  try {
    const submitStart = performance.now();
    const spec = { name: 'bench', maxFails: null, submitDir: cluster.workDir, streamDir: '', templates: [trueTemplate(tasksPerJob)] };
    await submitJobs(client, spec, jobs);
    const submitSeconds = (performance.now() - submitStart) / 1000;
    worker = spawn(...hqCommand(['--server-dir', cluster.serverDir, 'worker', 'start', '--zero-work']), {
      env: benchEnv(),
      stdio: 'ignore',
    });
    trackChild(worker);
    const done = await client.waitJobs({ kind: 'all' });
    const unfinished = done.filter((j) => j.counts.finished !== tasksPerJob);
    if (done.length !== jobs || unfinished.length > 0) throw new Error(`${unfinished.length} of ${done.length} jobs did not finish every task`);
    const peakRss = peakRssBytes(cluster.serverPid);
    const details = await client.jobInfo({ kind: 'all' });
    const first = Math.min(...details.map((j) => j.startTime));
    const last = Math.max(...details.map((j) => j.endTime));
    return { submitSeconds, runSeconds: (last - first) / 1000, peakRss };
  } finally {
    client.close();
    await cluster.stop();
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  }
}

export async function benchManyJobs(jobs: number, tasksPerJob: number, runs: number): Promise<ManyJobsFigures> {
  const many: Run[] = [];
  const one: Run[] = [];
  // The order alternates, so that a drift of the machine's speed during the
  // runs weighs on both sides alike.
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) many.push(await runJobs(jobs, tasksPerJob));
    one.push(await runJobs(1, jobs * tasksPerJob));
    if (run % 2 === 1) many.push(await runJobs(jobs, tasksPerJob));
  }
  return {
    jobs,
    tasksPerJob,
    runs,
    runSeconds: median(many.map((r) => r.runSeconds)),
    oneJobRunSeconds: median(one.map((r) => r.runSeconds)),
    pairedRatio: median(many.map((r, i) => r.runSeconds / one[i]!.runSeconds)),
    submitMsPerJob: (median(many.map((r) => r.submitSeconds)) * 1000) / jobs,
    serverPeakRss: median(many.map((r) => r.peakRss)),
  };
}
