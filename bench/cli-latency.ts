// How long a user waits for a short hq command against a running server.
import { HqCluster } from './hq-cluster.js';
import { benchEnv, median, runChecked } from './processes.js';

export const LIST_COMMAND = ['job', 'list'];
export const SUBMIT_COMMAND = ['submit', '--stdout', 'none', '--stderr', 'none', '--', '/bin/true'];

export interface CliLatency {
  runs: number;
  /** Median wall milliseconds of each command, from spawn to exit. */
  jobListMs: number;
  submitMs: number;
  /** The same for `node -e 0`: the floor of any command written for Node. */
  nodeStartMs: number;
}

export async function benchCliLatency(runs: number): Promise<CliLatency> {
  const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--cpus', '2'] });
  try {
    const list: number[] = [];
    const submit: number[] = [];
    const nodeStart: number[] = [];
    // Interleaving keeps all commands under the same conditions (page cache, machine load).
    for (let i = 0; i < runs; i++) {
      submit.push((await cluster.hqChecked(SUBMIT_COMMAND, 60)).seconds * 1000);
      list.push((await cluster.hqChecked(LIST_COMMAND, 60)).seconds * 1000);
      const bare = await runChecked(process.execPath, ['-e', '0'], { env: benchEnv(), timeoutSeconds: 60, label: 'node -e 0' });
      nodeStart.push(bare.seconds * 1000);
    }
    return { runs, jobListMs: median(list), submitMs: median(submit), nodeStartMs: median(nodeStart) };
  } finally {
    await cluster.stop();
  }
}
