// A large task array on zero-work workers: scheduling, protocol and
// bookkeeping cost alone, with no process started per task.
import { HqCluster } from './hq-cluster.js';
import { HqClient } from '../src/client/client.js';
import { median } from './processes.js';
import { peakRssBytes, rssBytes } from './proc-stats.js';

export interface ZeroWorkFigures {
  tasks: number;
  workers: number;
  runs: number;
  /** Medians over the runs. */
  seconds: number;
  /** Server's view of the job (see HqCluster.lastJobServerSeconds); null when not available in every run. */
  serverSeconds: number | null;
  serverPeakRss: number;
  clientPeakRss: number;
  /** Server memory growth (peak after the job minus resident before it) per task. */
  serverBytesPerTask: number;
}

export function zeroWorkSubmitArgs(tasks: number): string[] {
  return ['--array', `1-${tasks}`, '--stdout', 'none', '--stderr', 'none', '--', '/bin/true'];
}

export async function benchZeroWorkArray(tasks: number, workers: number, runs: number): Promise<ZeroWorkFigures> {
  const seconds: number[] = [];
  const serverSeconds: (number | string)[] = [];
  const serverPeak: number[] = [];
  const clientPeak: number[] = [];
  const perTask: number[] = [];
  for (let run = 0; run < runs; run++) {
    const cluster = await HqCluster.start({ workers, workerArgs: ['--zero-work'] });
    try {
      const before = rssBytes(cluster.serverPid);
      const job = await cluster.submitAndWait(zeroWorkSubmitArgs(tasks), 60 + tasks * 1e-4);
      const peak = peakRssBytes(cluster.serverPid);
      seconds.push(job.seconds);
      serverSeconds.push(await cluster.lastJobServerSeconds());
      serverPeak.push(peak);
      clientPeak.push(job.clientPeakRss);
      perTask.push(Math.max(0, peak - before) / tasks);
    } finally {
      await cluster.stop();
    }
  }
  return {
    tasks,
    workers,
    runs,
    seconds: median(seconds),
    serverSeconds: serverSeconds.every((s) => typeof s === 'number') ? median(serverSeconds as number[]) : null,
    serverPeakRss: median(serverPeak),
    clientPeakRss: median(clientPeak),
    serverBytesPerTask: median(perTask),
  };
}

export interface ArrayMemoryFigures {
  tasks: number;
  /** Peak RSS growth over the first job, per task: the task rows plus one-time costs (ring pages, thread heaps). */
  firstJobBytesPerTask: number;
  /** Peak RSS growth over a second job of the same size, the first still held, per task: what holding a task costs. */
  heldBytesPerTask: number;
  /** Peak RSS growth over a third job after both were forgotten, per task: ~0 when forgotten rows are reused. */
  afterForgetBytesPerTask: number;
  /** Time of `hq job forget` of one job of `tasks` tasks (the request, seen by the client). */
  forgetMs: number;
  /** Server RSS just before forgetting both jobs minus RSS a second after: what forgetting gave back to the system. */
  returnedBytes: number;
  serverPeakRss: number;
}

/**
 * Server memory of zero-work arrays on one worker: three jobs of `tasks`
 * tasks in a row on one server; the first two are kept, then forgotten, and
 * the third must fit into their rows.
 */
export async function benchArrayMemory(tasks: number): Promise<ArrayMemoryFigures> {
  const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--zero-work'] });
  const timeout = 60 + tasks * 1e-4;
  try {
    const before = rssBytes(cluster.serverPid);
    await cluster.submitAndWait(zeroWorkSubmitArgs(tasks), timeout);
    const first = peakRssBytes(cluster.serverPid);
    await cluster.submitAndWait(zeroWorkSubmitArgs(tasks), timeout);
    const second = peakRssBytes(cluster.serverPid);
    const client = await HqClient.connect(cluster.serverDir);
    let forgetMs: number;
    const heldRss = rssBytes(cluster.serverPid);
    try {
      const start = performance.now();
      const { forgotten } = await client.forgetJobs({ kind: 'ids', ranges: [{ start: 1, end: 1, step: 1 }] }, []);
      forgetMs = performance.now() - start;
      if (forgotten.length !== 1) throw new Error('job 1 was not forgotten');
      await client.forgetJobs({ kind: 'ids', ranges: [{ start: 2, end: 2, step: 1 }] }, []);
    } finally {
      client.close();
    }
    // The table's chunks go back once both server threads have collected their garbage.
    await new Promise((r) => setTimeout(r, 1000));
    const returnedBytes = heldRss - rssBytes(cluster.serverPid);
    await cluster.submitAndWait(zeroWorkSubmitArgs(tasks), timeout);
    const third = peakRssBytes(cluster.serverPid);
    return {
      tasks,
      firstJobBytesPerTask: Math.max(0, first - before) / tasks,
      heldBytesPerTask: (second - first) / tasks,
      afterForgetBytesPerTask: (third - second) / tasks,
      forgetMs,
      returnedBytes,
      serverPeakRss: third,
    };
  } finally {
    await cluster.stop();
  }
}
