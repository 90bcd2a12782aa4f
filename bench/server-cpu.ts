// Server CPU spent while two workers run many short tasks.
import { HqCluster } from './hq-cluster.js';
import { cpuMilliseconds } from './proc-stats.js';

export const SERVER_CPU_TASK = ['sleep', '0.01'];
/** Task count the headline figure is normalised to (the size the figure was defined for). */
export const SERVER_CPU_REFERENCE_TASKS = 100_000;

export function serverCpuSubmitArgs(tasks: number): string[] {
  return ['--array', `1-${tasks}`, '--stdout', 'none', '--stderr', 'none', '--', ...SERVER_CPU_TASK];
}

export interface ServerCpu {
  tasks: number;
  /** Server user+system CPU between submitting the job and it finishing. */
  cpuMs: number;
  /** Client-observed wall time of the job. */
  seconds: number;
  /** cpuMs / seconds / (tasks / 1000): server CPU per second of run time, per 1000 tasks executed. */
  msPerSecondPer1000: number;
  /** The same figure for a run of SERVER_CPU_REFERENCE_TASKS at the measured per-task cost (it scales as 1/tasks). */
  msPerSecondPer1000AtReference: number;
  /** Server CPU per task executed. */
  usPerTask: number;
}

/** `tasks` tasks of `sleep 0.01` on two workers with one CPU each (two tasks run at a time). */
export async function benchServerCpu(tasks: number): Promise<ServerCpu> {
  const cluster = await HqCluster.start({ workers: 2, workerArgs: ['--cpus', '1'] });
  try {
    const before = cpuMilliseconds(cluster.serverPid);
    const job = await cluster.submitAndWait(serverCpuSubmitArgs(tasks), 60 + tasks * 0.02);
    const cpuMs = cpuMilliseconds(cluster.serverPid) - before;
    const msPerSecondPer1000 = cpuMs / job.seconds / (tasks / 1000);
    return {
      tasks,
      cpuMs,
      seconds: job.seconds,
      msPerSecondPer1000,
      msPerSecondPer1000AtReference: (msPerSecondPer1000 * tasks) / SERVER_CPU_REFERENCE_TASKS,
      usPerTask: (cpuMs * 1000) / tasks,
    };
  } finally {
    await cluster.stop();
  }
}
