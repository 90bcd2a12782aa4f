// The reference users leave behind: the same short tasks as a Slurm job
// array (`sbatch --array`) on a private one-node Slurm from the machine's
// slurm-wlm, against one hq worker with as many cpus as the node.
import os from 'node:os';
import { LocalSlurm } from '../test/support/local-slurm.js';
import { benchHqTrue } from './process-makespan.js';
import { runCommand } from './processes.js';

export interface SlurmArrayFigures {
  tasks: number;
  /** `sbatch --wait --array` from submit to the last task's end. */
  slurmSeconds: number;
  /** hq: submit to all finished, same tasks, one worker with the node's cpus. */
  hqSeconds: number;
  cpus: number;
}

export function slurmArrayCommand(tasks: number): string[] {
  return ['sbatch', '--wait', '--parsable', `--array=1-${tasks}`, '--output=/dev/null', '--error=/dev/null', '--wrap=/bin/true'];
}

/** Why the comparison cannot run here (a missing Slurm program), or null. */
export { slurmMissing } from '../test/support/local-slurm.js';

export async function benchSlurmArray(tasks: number): Promise<SlurmArrayFigures> {
  const cpus = os.cpus().length;
  const slurm = await LocalSlurm.start({ cpus });
  let slurmSeconds: number;
  try {
    const [command, ...args] = slurmArrayCommand(tasks);
    const r = await runCommand(command!, args, { env: slurm.env, cwd: slurm.dir, timeoutSeconds: 60 + tasks * 5 });
    if (r.code !== 0) throw new Error(`sbatch --array failed (${r.timedOut ? 'timed out' : r.code}): ${r.stderr.trim()}\n${slurm.logs()}`);
    slurmSeconds = r.seconds;
  } finally {
    await slurm.stop();
  }
  const hq = await benchHqTrue(tasks, 'none', cpus);
  return { tasks, slurmSeconds, hqSeconds: hq.seconds, cpus };
}
