// Running many /bin/true processes two at a time: hq against posix_spawn,
// xargs and GNU parallel.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HqCluster, type JobRun } from './hq-cluster.js';
import { hasCommand, runChecked, runCommand } from './processes.js';
import { cpuMilliseconds } from './proc-stats.js';

export type OutputMode = 'none' | 'files';

/** CPU milliseconds each hq process spent while the job ran (its own, not its children's). */
export interface HqProcessCpu {
  server: number;
  worker: number;
  /** The worker's native task launcher; null when tasks started through Node. */
  launcher: number | null;
}

export interface HqMakespan extends JobRun {
  /** Server's view of the job (see HqCluster.lastJobServerSeconds); null when not available. */
  serverSeconds: number | null;
  /** Files the tasks' stdout/stderr went to (0 with --stdout none). */
  outputFiles: number;
  /** null when the processes could not be found in /proc. */
  cpu: HqProcessCpu | null;
}

export function hqTrueSubmitArgs(tasks: number, output: OutputMode): string[] {
  const streams = output === 'none' ? ['--stdout', 'none', '--stderr', 'none'] : [];
  return ['--array', `1-${tasks}`, ...streams, '--', '/bin/true'];
}

/** Pid and command line of every process whose parent is `parent` (Linux /proc). */
function childProcesses(parent: number): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      found.push({ pid: Number(name), cmdline: fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      /* ended meanwhile */
    }
  }
  return found;
}

export interface HqPids {
  server: number;
  worker: number;
  launcher: number | null;
}

/** The worker is a child of this process (see HqCluster), its launcher a child of the worker. */
export function findPids(cluster: HqCluster): HqPids | null {
  const worker = childProcesses(process.pid).find((p) => p.cmdline.includes(' worker start'));
  if (!worker) return null;
  const launcher = childProcesses(worker.pid).find((p) => p.cmdline.includes('hq-launcher'));
  return { server: cluster.serverPid, worker: worker.pid, launcher: launcher?.pid ?? null };
}

function readCpu(pids: HqPids): HqProcessCpu {
  return {
    server: cpuMilliseconds(pids.server),
    worker: cpuMilliseconds(pids.worker),
    launcher: pids.launcher === null ? null : cpuMilliseconds(pids.launcher),
  };
}

/**
 * `tasks` /bin/true on one worker with `cpus` CPUs; with 'files', each task
 * gets its default stdout and stderr file, kept until the benchmark ends.
 */
export async function benchHqTrue(tasks: number, output: OutputMode, cpus = 2): Promise<HqMakespan> {
  const cluster = await HqCluster.start({ workers: 1, workerArgs: ['--cpus', String(cpus)], keepDirUntilEnd: output === 'files' });
  try {
    const pids = findPids(cluster);
    const before = pids && readCpu(pids);
    const job = await cluster.submitAndWait(hqTrueSubmitArgs(tasks, output), 60 + tasks * 0.01);
    const after = pids && readCpu(pids);
    const cpu =
      before && after
        ? {
            server: after.server - before.server,
            worker: after.worker - before.worker,
            launcher: after.launcher === null || before.launcher === null ? null : after.launcher - before.launcher,
          }
        : null;
    const serverSeconds = await cluster.lastJobServerSeconds();
    return {
      ...job,
      serverSeconds: typeof serverSeconds === 'number' ? serverSeconds : null,
      outputFiles: countFiles(cluster.workDir),
      cpu,
    };
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

/** Microseconds of CPU per task, one figure per process. */
export function cpuPerTask(cpu: HqProcessCpu, tasks: number): string {
  const us = (ms: number) => `${((ms * 1000) / tasks).toFixed(0)} µs`;
  const parts = [`server ${us(cpu.server)}`, `worker ${us(cpu.worker)}`];
  if (cpu.launcher !== null) parts.push(`launcher ${us(cpu.launcher)}`);
  return parts.join(', ');
}

// Alone: `node bench/process-makespan.js [TASKS] [none|files]` prints one run's figures.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const tasks = Number(process.argv[2] ?? 20_000);
  const output = (process.argv[3] ?? 'none') as OutputMode;
  if (!Number.isInteger(tasks) || tasks < 1 || (output !== 'none' && output !== 'files')) {
    process.stderr.write('usage: process-makespan.js [TASKS] [none|files]\n');
    process.exit(2);
  }
  const run = await benchHqTrue(tasks, output);
  const line = {
    tasks,
    output,
    seconds: Number(run.seconds.toFixed(3)),
    serverSeconds: run.serverSeconds,
    cpuMs: run.cpu,
    cpuPerTask: run.cpu ? cpuPerTask(run.cpu, tasks) : null,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}
