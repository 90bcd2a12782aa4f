// A large task array on zero-work workers: scheduling, protocol and
// bookkeeping cost alone, with no process started per task.
import { HqCluster } from './hq-cluster.js';
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
