// How long a user waits for a short hq command against a running server.
import { HqCluster } from './hq-cluster.js';
import { median } from './processes.js';

export const LIST_COMMAND = ['job', 'list'];
export const SUBMIT_COMMAND = ['submit', '--stdout', 'none', '--stderr', 'none', '--', '/bin/true'];

export interface CliLatency {
  runs: number;
  /** Median wall milliseconds of each command, from spawn to exit. */
  jobListMs: number;
  submitMs: number;
}

export async function benchCliLatency(runs: number): Promise<CliLatency> {
  const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--cpus', '2'] });
  try {
    const list: number[] = [];
    const submit: number[] = [];
    // Alternating keeps both commands under the same conditions (page cache, server load).
    for (let i = 0; i < runs; i++) {
      submit.push((await cluster.hqChecked(SUBMIT_COMMAND, 60)).seconds * 1000);
      list.push((await cluster.hqChecked(LIST_COMMAND, 60)).seconds * 1000);
    }
    return { runs, jobListMs: median(list), submitMs: median(submit) };
  } finally {
    await cluster.stop();
  }
}
