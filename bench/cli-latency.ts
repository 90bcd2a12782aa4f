// How long a user waits for a short hq command against a running server.
import { HqCluster } from './hq-cluster.js';
import { benchEnv, median, runChecked } from './processes.js';

export const LIST_COMMAND = ['job', 'list'];
export const SUBMIT_COMMAND = ['submit', '--stdout', 'none', '--stderr', 'none', '--', '/bin/true'];

export interface CliLatency {
  runs: number;
  /** Median wall milliseconds of each command, from spawn to exit, on the server's node (run by its command host). */
  jobListMs: number;
  submitMs: number;
  /** The same with hq running the command itself, as on another node (HQ_COMMAND_HOST=0). */
  jobListOwnMs: number;
  submitOwnMs: number;
  /** The same for `node -e 0`: the floor of any command written for Node. */
  nodeStartMs: number;
}

export async function benchCliLatency(runs: number): Promise<CliLatency> {
  const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--cpus', '2'] });
  try {
    const list: number[] = [];
    const submit: number[] = [];
    const listOwn: number[] = [];
    const submitOwn: number[] = [];
    const nodeStart: number[] = [];
    const own = { HQ_COMMAND_HOST: '0' };
    // The first command starts the command host's thread (and runs in hq itself).
    await cluster.hqChecked(LIST_COMMAND, 60);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Interleaving keeps all commands under the same conditions (page cache, machine load).
    for (let i = 0; i < runs; i++) {
      submit.push((await cluster.hqChecked(SUBMIT_COMMAND, 60)).seconds * 1000);
      list.push((await cluster.hqChecked(LIST_COMMAND, 60)).seconds * 1000);
      submitOwn.push((await cluster.hqChecked(SUBMIT_COMMAND, 60, own)).seconds * 1000);
      listOwn.push((await cluster.hqChecked(LIST_COMMAND, 60, own)).seconds * 1000);
      const bare = await runChecked(process.execPath, ['-e', '0'], { env: benchEnv(), timeoutSeconds: 60, label: 'node -e 0' });
      nodeStart.push(bare.seconds * 1000);
    }
    return {
      runs,
      jobListMs: median(list),
      submitMs: median(submit),
      jobListOwnMs: median(listOwn),
      submitOwnMs: median(submitOwn),
      nodeStartMs: median(nodeStart),
    };
  } finally {
    await cluster.stop();
  }
}
