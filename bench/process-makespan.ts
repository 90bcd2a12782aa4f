// Running many /bin/true processes two at a time: hq against posix_spawn,
// xargs and GNU parallel.
import fs from 'node:fs';
import path from 'node:path';
import { HqCluster, type JobRun } from './hq-cluster.js';
import { hasCommand, runChecked, runCommand } from './processes.js';

export type OutputMode = 'none' | 'files';

export interface HqMakespan extends JobRun {
  /** Server's view of the job (see HqCluster.lastJobServerSeconds); null when not available. */
  serverSeconds: number | null;
  /** Files the tasks' stdout/stderr went to (0 with --stdout none). */
  outputFiles: number;
}

export function hqTrueSubmitArgs(tasks: number, output: OutputMode): string[] {
  const streams = output === 'none' ? ['--stdout', 'none', '--stderr', 'none'] : [];
  return ['--array', `1-${tasks}`, ...streams, '--', '/bin/true'];
}

/** `tasks` /bin/true on one worker with 2 CPUs; with 'files', each task gets its default stdout and stderr file. */
export async function benchHqTrue(tasks: number, output: OutputMode): Promise<HqMakespan> {
  const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--cpus', '2'] });
  try {
    const job = await cluster.submitAndWait(hqTrueSubmitArgs(tasks, output), 60 + tasks * 0.01);
    const serverSeconds = await cluster.lastJobServerSeconds();
    return { ...job, serverSeconds: typeof serverSeconds === 'number' ? serverSeconds : null, outputFiles: countFiles(cluster.workDir) };
  } finally {
    await cluster.stop();
  }
}

function countFiles(dir: string): number {
  let count = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    count += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  }
  return count;
}

export function xargsCommand(tasks: number): string {
  return `seq 1 ${tasks} | xargs -P 2 -n 1 /bin/true`;
}

export function parallelCommand(tasks: number): string {
  return `seq 1 ${tasks} | parallel --will-cite -j 2 /bin/true`;
}

/** Wall seconds of a shell pipeline running `tasks` processes. */
async function timeShell(command: string, tasks: number): Promise<number> {
  return (await runChecked('sh', ['-c', command], { timeoutSeconds: 60 + tasks * 0.05 })).seconds;
}

export function benchXargs(tasks: number): Promise<number> {
  return timeShell(xargsCommand(tasks), tasks);
}

/** Whether `parallel` is GNU parallel (moreutils ships a different program of the same name). */
export async function hasGnuParallel(): Promise<boolean> {
  if (!(await hasCommand('parallel'))) return false;
  const version = await runCommand('parallel', ['--version']);
  return version.code === 0 && version.stdout.includes('GNU parallel');
}

/** null when GNU parallel is not installed. */
export async function benchGnuParallel(tasks: number): Promise<number | null> {
  if (!(await hasGnuParallel())) return null;
  return timeShell(parallelCommand(tasks), tasks);
}
