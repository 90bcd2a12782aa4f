// Server CPU spent while two workers run many short tasks.
//
// The target is defined for a 100 000-task run (about 10 minutes). A short
// run overstates it: during the first tens of seconds V8 compiles the hot
// paths, and the end of a job costs extra frames. So besides the whole run,
// the benchmark measures a steady window (from 30 % to 90 % of the tasks
// finished) and derives the figure for the reference run from the server's
// CPU per second in that window, which does not depend on the run's length.
import { HqCluster } from './hq-cluster.js';
import { cpuMilliseconds, threadCpuMilliseconds } from './proc-stats.js';

export const SERVER_CPU_TASK = ['sleep', '0.01'];
/** Task count the headline figure is defined for. */
export const SERVER_CPU_REFERENCE_TASKS = 100_000;
/** Below this many tasks the run is too short for a steady window; only the whole run is measured. */
const WINDOW_MIN_TASKS = 2_000;
const WINDOW_FROM = 0.3;
const WINDOW_TO = 0.9;

export function serverCpuSubmitArgs(tasks: number): string[] {
  return ['--array', `1-${tasks}`, '--stdout', 'none', '--stderr', 'none', '--', ...SERVER_CPU_TASK];
}

export interface ServerCpuWindow {
  /** Tasks that finished inside the window. */
  tasks: number;
  seconds: number;
  /** Server CPU (all threads) inside the window. */
  cpuMs: number;
}

export interface ServerCpu {
  tasks: number;
  /** Server user+system CPU between submitting the job and it finishing. */
  cpuMs: number;
  /** Wall time from the submit until the job finished. */
  seconds: number;
  /** cpuMs / seconds / (tasks / 1000): server CPU per second of this run, per 1000 tasks executed. */
  msPerSecondPer1000: number;
  /** Server CPU per task over the whole run. */
  usPerTask: number;
  /** The steady window; null when the run was too short for one. */
  window: ServerCpuWindow | null;
  /**
   * The figure for a SERVER_CPU_REFERENCE_TASKS run: the window's CPU per
   * second spread over that many tasks (or the whole-run figure when this run
   * is that long, or had no window: then scaled from the per-task cost).
   */
  msPerSecondPer1000AtReference: number;
  /** How msPerSecondPer1000AtReference was obtained. */
  basis: 'measured' | 'window' | 'scaled';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `tasks` tasks of `sleep 0.01` on two workers with one CPU each (two tasks run at a time). */
export async function benchServerCpu(tasks: number): Promise<ServerCpu> {
  const cluster = await HqCluster.start({ workers: 2, workerArgs: ['--cpus', '1'] });
  try {
    const pid = cluster.serverPid;
    const before = cpuMilliseconds(pid);
    const start = performance.now();
    await cluster.submit(serverCpuSubmitArgs(tasks));
    let window: ServerCpuWindow | null = null;
    if (tasks >= WINDOW_MIN_TASKS) window = await measureWindow(cluster, tasks, start);
    const wait = await cluster.hq(['job', 'wait', 'last'], { timeoutSeconds: 60 + tasks * 0.02 });
    if (wait.code !== 0) throw new Error(`hq job wait failed: ${wait.stderr.trim()}${cluster.logTails()}`);
    const seconds = (performance.now() - start) / 1000;
    const cpuMs = cpuMilliseconds(pid) - before;
    const finished = await cluster.finishedTasks();
    if (finished !== tasks) throw new Error(`only ${finished} of ${tasks} tasks finished`);
    const msPerSecondPer1000 = cpuMs / seconds / (tasks / 1000);
    let basis: ServerCpu['basis'];
    let atReference: number;
    if (tasks >= SERVER_CPU_REFERENCE_TASKS) {
      basis = 'measured';
      atReference = msPerSecondPer1000;
    } else if (window) {
      basis = 'window';
      atReference = window.cpuMs / window.seconds / (SERVER_CPU_REFERENCE_TASKS / 1000);
    } else {
      basis = 'scaled';
      atReference = (msPerSecondPer1000 * tasks) / SERVER_CPU_REFERENCE_TASKS;
    }
    return { tasks, cpuMs, seconds, msPerSecondPer1000, usPerTask: (cpuMs * 1000) / tasks, window, msPerSecondPer1000AtReference: atReference, basis };
  } finally {
    await cluster.stop();
  }
}

/**
 * Reads the server's CPU when about 30 % and 90 % of the tasks have
 * finished. The moments are estimated from the rate seen after a few seconds,
 * so that the server answers only three requests of the benchmark's own
 * while it runs.
 */
async function measureWindow(cluster: HqCluster, tasks: number, start: number): Promise<ServerCpuWindow> {
  const elapsed = () => (performance.now() - start) / 1000;
  await sleep(5000);
  const early = await cluster.finishedTasks();
  const rate = Math.max(early, 1) / elapsed();
  await sleep(Math.max(0, (WINDOW_FROM * tasks - early) / rate) * 1000);
  const finishedA = await cluster.finishedTasks();
  const cpuA = threadCpuMilliseconds(cluster.serverPid);
  const tA = elapsed();
  await sleep(Math.max(0, (WINDOW_TO * tasks - finishedA) / rate) * 1000);
  const finishedB = await cluster.finishedTasks();
  const cpuB = threadCpuMilliseconds(cluster.serverPid);
  const tB = elapsed();
  return { tasks: finishedB - finishedA, seconds: tB - tA, cpuMs: cpuB - cpuA };
}
