// `npm run bench`: end-to-end and micro benchmarks of the TypeScript
// HyperQueue, next to native and common-tool baselines; prints a Markdown
// report and (unless --quick) writes it into docs/performance.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../src/common/errors.js';
import { parseBenchConfig, USAGE, type BenchConfig } from './bench-config.js';
import { killTrackedChildren, median } from './processes.js';
import { NativeBaselines, type NativeResult } from './native-baselines.js';
import { benchArrayMemory, benchZeroWorkArray, zeroWorkSubmitArgs, type ArrayMemoryFigures, type ZeroWorkFigures } from './zero-work-array.js';
import { benchManyJobs, type ManyJobsFigures } from './many-jobs.js';
import { benchOneTaskJobs, type OneTaskJobsFigures } from './one-task-jobs.js';
import { SUBMITS_IN_FLIGHT } from './client-jobs.js';
import {
  benchGnuParallel,
  benchHqTrue,
  benchXargs,
  hqTrueSubmitArgs,
  parallelCommand,
  xargsCommand,
  type HqMakespan,
  type OutputMode,
} from './process-makespan.js';
import { HQ_PROGRAM, NATIVE_LAUNCHER } from './hq-cluster.js';
import { makeScratchDir, removeScratchDirs } from './scratch-dirs.js';
import { benchCliLatency, LIST_COMMAND, SUBMIT_COMMAND } from './cli-latency.js';
import { benchServerCpu, serverCpuSubmitArgs, SERVER_CPU_REFERENCE_TASKS } from './server-cpu.js';
import { runMicroBenchmarks } from './micro.js';
import { benchSlurmArray, slurmArrayCommand, slurmMissing } from './slurm-array.js';
import { runSchedulerBench } from './scheduler-bench.js';
import { TASK_ROW_BYTES } from '../src/core/task-table.js';
import {
  describeMachine,
  duration,
  mebibytes,
  milliseconds,
  ratio,
  renderReport,
  seconds,
  writeIntoDoc,
  type ResultRow,
  type SectionSteal,
  type TargetCheck,
} from './report.js';
import { machineCpuTicks, stealShare } from './proc-stats.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MIB = 1024 * 1024;
const REFERENCE_ARRAY_TASKS = 1_000_000;
const BIG_ARRAY_TASKS = 10_000_000;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function hqLine(args: readonly string[]): string {
  return ['hq', '--server-dir', 'DIR', ...args].join(' ');
}

class Report {
  readonly rows: ResultRow[] = [];
  readonly targets: TargetCheck[] = [];
  readonly notes: string[] = [];
  readonly steal: SectionSteal[] = [];
  failures = 0;

  row(benchmark: string, figure: string, comparison = '', notes = ''): void {
    this.rows.push({ benchmark, figure, comparison, notes });
  }

  target(target: string, measured: string, met: boolean | null): void {
    this.targets.push({ target, measured, met });
  }

  /** Runs one benchmark; a failure becomes a FAILED row and the run goes on with the next one. */
  async section(name: string, body: () => Promise<void>): Promise<void> {
    const before = machineCpuTicks();
    const firstTarget = this.targets.length;
    try {
      await body();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      progress(`${name} FAILED: ${message}`);
      // The first two lines name the failed step and its own error message; server and worker logs follow.
      const summary = message
        .split(/\n--- /)[0]
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .slice(0, 2)
        .join(': ');
      this.row(name, 'FAILED', '', summary);
      this.failures++;
    }
    const after = machineCpuTicks();
    if (before && after) {
      const share = stealShare(before, after);
      this.steal.push({ section: name, share });
      for (let i = firstTarget; i < this.targets.length; i++) this.targets[i]!.steal = share;
    }
  }
}

async function zeroWorkSection(config: BenchConfig, report: Report, native: NativeResult | null, workers: number): Promise<void> {
  const label = zeroWorkLabel(workers);
  progress(`${label}: ${count(config.arrayTasks)} tasks, ${config.arrayRuns} run(s)`);
  const f: ZeroWorkFigures = await benchZeroWorkArray(config.arrayTasks, workers, config.arrayRuns);
  const runs = `${count(f.tasks)} tasks, median of ${f.runs} run${f.runs === 1 ? '' : 's'}`;
  const perTaskUs = (f.seconds * 1e6) / f.tasks;
  report.row(
    `${label}: submit to all finished`,
    seconds(f.seconds),
    native ? `${ratio(perTaskUs / native.us_per_task)} the native empty call per task` : '',
    `${runs}; server's view ${serverView(f.serverSeconds)}; ${duration(perTaskUs / 1000)} per task`,
  );
  report.row(`${label}: server peak RSS`, mebibytes(f.serverPeakRss), '', `VmHWM at the end; ${runs}`);
  report.row(`${label}: server memory per task`, `${f.serverBytesPerTask.toFixed(1)} B`, '', 'peak RSS after the job minus RSS before it, per task (one-time costs included)');
  report.row(`${label}: client peak RSS`, mebibytes(f.clientPeakRss), '', 'larger of hq submit and hq job wait');

  const atReference = f.tasks === REFERENCE_ARRAY_TASKS;
  const scale = atReference ? '' : ` (${count(f.tasks)} tasks; target is for ${count(REFERENCE_ARRAY_TASKS)})`;
  // Many workers may take a little longer: every one of them is a connection to serve.
  const limitSeconds = workers === 1 ? 2 : 2.5;
  report.target(`1M-task zero-work array, ${workersText(workers)}: ≤ ${limitSeconds} s`, seconds(f.seconds) + scale, atReference ? f.seconds <= limitSeconds : null);
  if (workers === 1) {
    report.target('1M-task zero-work array: server peak RSS ≤ 300 MiB', mebibytes(f.serverPeakRss) + scale, atReference ? f.serverPeakRss <= 300 * MIB : null);
    report.target('1M-task zero-work array: client peak RSS ≤ 100 MiB', mebibytes(f.clientPeakRss) + scale, atReference ? f.clientPeakRss <= 100 * MIB : null);
  }
}

/** Memory a held task costs, and what forgetting gives back (three arrays on one server). */
async function memorySection(config: BenchConfig, report: Report): Promise<void> {
  const tasks = config.quick ? 100_000 : REFERENCE_ARRAY_TASKS;
  progress(`Array memory: 3 x ${count(tasks)} tasks on one server, forget in between`);
  const m: ArrayMemoryFigures = await benchArrayMemory(tasks);
  const per = (bytes: number) => `${bytes.toFixed(1)} B`;
  const notes = `${count(tasks)}-task zero-work arrays, 1 worker`;
  report.row('Array memory: first job, per task', per(m.firstJobBytesPerTask), '', `${notes}; peak RSS growth, one-time costs (ring pages, thread heaps) included`);
  report.row('Array memory: held per task', per(m.heldBytesPerTask), '', `${notes}; peak RSS growth over a second job, the first still held`);
  report.row('Array memory: job after forgetting, per task', per(m.afterForgetBytesPerTask), '', `${notes}; peak RSS growth over a third job once both were forgotten`);
  report.row(`hq job forget of a ${count(tasks)}-task job`, milliseconds(m.forgetMs), '', 'the request as the client sees it');
  report.row(
    'Array memory: given back by forgetting both jobs',
    mebibytes(m.returnedBytes),
    `their task rows: ${mebibytes(2 * tasks * TASK_ROW_BYTES)}`,
    'server RSS just before the two forgets minus RSS a second after (the table shrinks to its last row in use)',
  );
  // At small sizes what one job costs once (thread heaps, ring pages) hides the per-task figures.
  const atReference = tasks === REFERENCE_ARRAY_TASKS;
  const scale = atReference ? '' : ` (${count(tasks)} tasks; target is for ${count(REFERENCE_ARRAY_TASKS)})`;
  report.target('Server memory per task held ≤ 64 B', per(m.heldBytesPerTask) + scale, atReference ? m.heldBytesPerTask <= 64 : null);
  report.target(
    'A job after a forget reuses the rows: growth ≤ 4 B per task',
    per(m.afterForgetBytesPerTask) + scale,
    atReference ? m.afterForgetBytesPerTask <= 4 : null,
  );
  report.target('Forgetting a 1M-task job ≤ 50 ms', milliseconds(m.forgetMs) + scale, atReference ? m.forgetMs <= 50 : null);
}

/** The 10M-task array: server memory at scale. */
async function bigArraySection(config: BenchConfig, report: Report): Promise<void> {
  const tasks = config.quick ? 200_000 : BIG_ARRAY_TASKS;
  progress(`Zero-work array of ${count(tasks)} tasks, 1 worker`);
  const f = await benchZeroWorkArray(tasks, 1, 1);
  const label = `Zero-work array of ${count(tasks)} tasks`;
  report.row(`${label}: submit to all finished`, seconds(f.seconds), '', `1 worker, 1 run; server's view ${serverView(f.serverSeconds)}`);
  report.row(`${label}: server peak RSS`, mebibytes(f.serverPeakRss), '', 'VmHWM at the end');
  report.row(`${label}: server memory per task`, `${f.serverBytesPerTask.toFixed(1)} B`, '', 'peak RSS after the job minus RSS before it, per task');
  const scale = tasks === BIG_ARRAY_TASKS ? '' : ` (${count(tasks)} tasks; target is for ${count(BIG_ARRAY_TASKS)})`;
  report.target('10M-task zero-work array: server peak RSS < 1 GiB', mebibytes(f.serverPeakRss) + scale, tasks === BIG_ARRAY_TASKS ? f.serverPeakRss < 1024 * MIB : null);
}

/** 1000 jobs of 1000 tasks against one array of as many tasks. */
async function manyJobsSection(config: BenchConfig, report: Report): Promise<void> {
  const jobs = config.quick ? 100 : 1000;
  const perJob = config.quick ? 100 : 1000;
  // Each run is short (about a second) and its ratio swings by tens of
  // percent from run to run here: the median of seven pairs still moved
  // from 1.07 to 1.25 between runs of the benchmark an hour apart, that of
  // eleven from 0.94 to 1.14. Twenty-one pairs take about a minute and a half.
  const runs = config.quick ? 1 : 21;
  progress(`${count(jobs)} jobs of ${count(perJob)} tasks against one job of ${count(jobs * perJob)}, ${runs} run(s)`);
  const m: ManyJobsFigures = await benchManyJobs(jobs, perJob, runs);
  const label = `${count(jobs)} jobs of ${count(perJob)} tasks`;
  const usPerTask = (s: number) => (s * 1e6) / (jobs * perJob);
  // Each many-jobs run is compared with the one-job run next to it, as the
  // machine's speed drifts over the minutes the runs take.
  const ratioToOne = m.pairedRatio;
  report.row(
    `${label}: running, per task`,
    duration(usPerTask(m.runSeconds) / 1000),
    `${ratio(ratioToOne)} one job of ${count(jobs * perJob)} tasks (${duration(usPerTask(m.oneJobRunSeconds) / 1000)} per task)`,
    `server's view, first task started to last ended; 1 zero-work worker; median of ${runs} run${runs === 1 ? '' : 's'}, the two cases taking turns at going first; the ratio is the median of the ${runs === 1 ? 'pair' : 'pairs'}`,
  );
  report.row(`${label}: submitting, per job`, milliseconds(m.submitMsPerJob), '', `client library, one connection, ${SUBMITS_IN_FLIGHT} submits in flight, before any worker`);
  report.target(
    `${label} run as fast per task as one job: ≤ 1.10x`,
    ratio(ratioToOne),
    config.quick ? null : ratioToOne <= 1.1,
  );
}

/** A workflow of one-task jobs (one submit per task) on a real worker: what each ended job leaves behind. */
async function oneTaskJobsSection(config: BenchConfig, report: Report): Promise<void> {
  // The worker's heap keeps growing for the first ten thousand jobs or so whatever they leave behind: the second half starts after that.
  const jobs = config.quick ? 200 : 20_000;
  progress(`${count(jobs)} one-task jobs of /bin/true, submitted one after another`);
  const f: OneTaskJobsFigures = await benchOneTaskJobs(jobs);
  const label = `Workflow of ${count(jobs)} one-task jobs`;
  const per = (bytes: number | null) => (bytes === null ? 'not found' : `${Math.round(bytes)} B`);
  const notes = `RSS growth over the second half of the jobs, per job; client library, ${SUBMITS_IN_FLIGHT} submits in flight, 1 worker --cpus 2`;
  report.row(`${label}: submit to all finished`, seconds(f.seconds), `${milliseconds((f.seconds * 1000) / jobs)} per job`, '/bin/true, --stdout none --stderr none');
  report.row(`${label}: server memory per ended job`, per(f.serverPerJob), '', `${notes}; held until hq job forget`);
  report.row(`${label}: worker memory per ended job`, per(f.workerPerJob), '', notes);
  report.row(`${label}: launcher memory per ended job`, per(f.launcherPerJob), '', notes);
}

function serverView(s: number | null): string {
  return s === null ? 'unavailable (hq job info failed)' : seconds(s);
}

function workersText(workers: number): string {
  return `${workers} worker${workers === 1 ? '' : 's'}`;
}

function zeroWorkLabel(workers: number): string {
  return `Zero-work array, ${workersText(workers)}`;
}

/** `speed` = peer time / hq time: "2.00x faster than xargs" or, when hq took longer, "1.50x slower than xargs". */
function speedAgainst(speed: number, peer: string): string {
  return speed >= 1 ? `${ratio(speed)} faster than ${peer}` : `${ratio(1 / speed)} slower than ${peer}`;
}

/** The peers the hq /bin/true runs are compared with; null = not measured. */
interface SpawnPeers {
  native: NativeResult | null;
  xargs: number | null;
  parallel: number | null;
}

async function spawnPeersSection(config: BenchConfig, report: Report, baselines: NativeBaselines | null, peers: SpawnPeers): Promise<void> {
  const n = config.spawnTasks;
  if (baselines) {
    progress(`/bin/true x ${count(n)} via posix_spawn`);
    peers.native = await baselines.spawnLoop(n, 2, ['/bin/true']);
  }
  report.row(
    '/bin/true via posix_spawn (spawn-loop -P 2)',
    peers.native ? seconds(peers.native.seconds) : 'skipped',
    '',
    peers.native ? `${count(n)} tasks; ${duration(peers.native.us_per_task / 1000)} per task` : 'gcc not available',
  );
  progress(`/bin/true x ${count(n)} via GNU parallel -j 2`);
  peers.parallel = await benchGnuParallel(n);
  report.row(
    '/bin/true via GNU parallel -j 2',
    peers.parallel === null ? 'skipped' : seconds(peers.parallel),
    '',
    peers.parallel === null ? 'GNU parallel is not installed (Debian/Ubuntu: apt-get install parallel)' : `${count(n)} tasks`,
  );
  if (peers.parallel === null) {
    report.notes.push('GNU parallel was not installed, so its comparison is missing; install it with `apt-get install parallel` and re-run.');
  }
}

async function hqTrueSection(
  config: BenchConfig,
  report: Report,
  baselines: NativeBaselines | null,
  peers: SpawnPeers,
  output: OutputMode,
): Promise<void> {
  const n = config.spawnTasks;
  const label = output === 'none' ? '/bin/true via hq, --stdout none' : '/bin/true via hq, output files';
  // Each round runs hq and its peers back to back, so that each ratio
  // compares runs under the same machine load; the report gives medians.
  // hq goes first in even rounds and last in odd ones, so that whatever a
  // run leaves behind (exiting processes, dirty pages) weighs on both sides.
  const runs = config.spawnRounds;
  const rounds: Array<{ hq: HqMakespan; native: NativeResult | null; nativeFiles: NativeResult | null; xargs: number | null }> = [];
  for (let round = 0; round < runs; round++) {
    const runHq = (): Promise<HqMakespan> => {
      progress(`/bin/true x ${count(n)} via hq, ${output === 'none' ? '--stdout none' : 'output files'} (round ${round + 1} of ${runs})`);
      return benchHqTrue(n, output);
    };
    const hqBefore = round % 2 === 0 ? await runHq() : null;
    let native: NativeResult | null = null;
    let nativeFiles: NativeResult | null = null;
    if (baselines) {
      progress(`/bin/true x ${count(n)} via posix_spawn, paired with the hq run`);
      native = await baselines.spawnLoop(n, 2, ['/bin/true']);
      // With output files, also the C loop creating the same files: creating
      // 2 files a task costs the kernel more than starting the process.
      if (output === 'files') {
        // Kept until the run ends, like hq's output (see scratch-dirs.ts).
        const dir = makeScratchDir('hq-bench-files-');
        progress(`/bin/true x ${count(n)} via posix_spawn with 2 output files a task`);
        nativeFiles = await baselines.spawnLoop(n, 2, ['/bin/true'], dir);
      }
    }
    // xargs is the peer closest to hq here; paired like the C loop, so that
    // a slow minute of the machine does not land on one side only.
    let xargs: number | null = null;
    if (output === 'none') {
      progress(`/bin/true x ${count(n)} via xargs -P 2, paired with the hq run`);
      xargs = await benchXargs(n);
    }
    const hq = hqBefore ?? (await runHq());
    rounds.push({ hq, native, nativeFiles, xargs });
  }
  const run = [...rounds].sort((a, b) => a.hq.seconds - b.hq.seconds)[rounds.length >> 1]!.hq;
  const medianOf = (pick: (r: (typeof rounds)[number]) => number | null): number | null => {
    const values = rounds.map(pick).filter((v): v is number => v !== null);
    return values.length === rounds.length ? median(values) : null;
  };
  const nativeSeconds = medianOf((r) => r.native?.seconds ?? null);
  const nativeRatio = medianOf((r) => (r.native ? r.hq.seconds / r.native.seconds : null));
  const filesSeconds = medianOf((r) => r.nativeFiles?.seconds ?? null);
  const filesRatio = medianOf((r) => (r.nativeFiles ? r.hq.seconds / r.nativeFiles.seconds : null));
  if (output === 'none') {
    peers.xargs = medianOf((r) => r.xargs);
    const when = runs === 1 ? 'run right after the hq run' : `median of ${runs} runs, each paired with an hq run`;
    report.row('/bin/true via xargs -P 2', seconds(peers.xargs!), '', `${count(n)} tasks; ${when}`);
  }
  const xargsSpeed = medianOf((r) => (r.xargs === null ? null : r.xargs / r.hq.seconds));
  const { xargs, parallel } = peers;
  const comparisons: string[] = [];
  if (nativeRatio !== null) comparisons.push(`${ratio(nativeRatio)} posix_spawn (${seconds(nativeSeconds!)}, each run paired with an hq run)`);
  if (filesRatio !== null) comparisons.push(`${ratio(filesRatio)} posix_spawn creating the same files (${seconds(filesSeconds!)})`);
  if (xargsSpeed !== null) comparisons.push(speedAgainst(xargsSpeed, 'xargs (each run paired with an hq run)'));
  else if (xargs !== null) comparisons.push(speedAgainst(xargs / run.seconds, 'xargs'));
  if (parallel !== null) comparisons.push(speedAgainst(parallel / run.seconds, 'GNU parallel'));
  const files = output === 'files' ? `; ${count(run.outputFiles)} stdout/stderr files` : '';
  const medians = runs === 1 ? '1 run' : `medians of ${runs} runs`;
  report.row(label, seconds(run.seconds), comparisons.join('; '), `${count(n)} tasks, 1 worker --cpus 2${files}; ${medians}; server's view ${serverView(run.serverSeconds)}`);

  const limit = output === 'none' ? 1.1 : 1.25;
  report.target(
    `/bin/true makespan with ${output === 'none' ? '--stdout none' : 'output files'} ≤ ${limit.toFixed(2)}x posix_spawn`,
    nativeRatio !== null ? ratio(nativeRatio) : 'no native baseline',
    nativeRatio !== null ? nativeRatio <= limit : null,
  );
  if (output === 'files') {
    report.target(
      '/bin/true makespan with output files ≤ 1.10x posix_spawn creating the same files',
      filesRatio !== null ? ratio(filesRatio) : 'no native baseline',
      filesRatio !== null ? filesRatio <= 1.1 : null,
    );
  }
  if (output === 'none') {
    report.target(
      '≥ 1.3x faster than xargs -P 2',
      xargsSpeed === null ? 'not measured' : ratio(xargsSpeed),
      xargsSpeed === null ? null : xargsSpeed >= 1.3,
    );
    report.target(
      '≥ 5x faster than GNU parallel -j 2',
      parallel === null ? 'not installed' : ratio(parallel / run.seconds),
      parallel === null ? null : parallel / run.seconds >= 5,
    );
  }
}

async function cliSection(config: BenchConfig, report: Report): Promise<void> {
  progress(`CLI latency, ${config.cliRuns} runs`);
  const cli = await benchCliLatency(config.cliRuns);
  const notes = `median of ${cli.runs} runs, NODE_EXTRA_CA_CERTS unset`;
  const overNode = (ms: number) => `${milliseconds(cli.nodeStartMs)} Node start + ${milliseconds(ms - cli.nodeStartMs)}`;
  const own = `${notes}; hq runs it itself, as on another node (HQ_COMMAND_HOST=0)`;
  report.row('CLI latency: node -e 0 (Node start alone)', milliseconds(cli.nodeStartMs), '', notes);
  report.row('CLI latency: hq job list', milliseconds(cli.jobListMs), '', `${notes}; on the server's node: run by the command host`);
  report.row('CLI latency: hq submit', milliseconds(cli.submitMs), '', `${notes}; on the server's node: run by the command host; one /bin/true task`);
  report.row('CLI latency: hq job list, own process', milliseconds(cli.jobListOwnMs), overNode(cli.jobListOwnMs), own);
  report.row('CLI latency: hq submit, own process', milliseconds(cli.submitOwnMs), overNode(cli.submitOwnMs), `${own}; one /bin/true task`);
  report.target('CLI latency ≤ 60 ms: hq job list', milliseconds(cli.jobListMs), cli.jobListMs <= 60);
  report.target('CLI latency ≤ 60 ms: hq submit', milliseconds(cli.submitMs), cli.submitMs <= 60);
  report.target('CLI latency ≤ 60 ms: hq job list, own process', milliseconds(cli.jobListOwnMs), cli.jobListOwnMs <= 60);
  report.target('CLI latency ≤ 60 ms: hq submit, own process', milliseconds(cli.submitOwnMs), cli.submitOwnMs <= 60);
}

async function serverCpuSection(config: BenchConfig, report: Report): Promise<void> {
  progress(`Server CPU, ${count(config.serverCpuTasks)} x sleep 0.01 on 2 workers`);
  const cpu = await benchServerCpu(config.serverCpuTasks);
  const reference = `${count(SERVER_CPU_REFERENCE_TASKS)}-task run`;
  const w = cpu.window;
  report.row(
    'Server CPU, sleep 0.01 tasks on 2 workers',
    `${cpu.msPerSecondPer1000AtReference.toFixed(3)} ms/s per 1000 tasks`,
    `HyperQueue's own figure: about 0.3`,
    (cpu.basis === 'measured'
      ? `${count(cpu.tasks)} tasks, the whole run`
      : cpu.basis === 'window'
        ? `for a ${reference}: ${(w!.cpuMs / w!.seconds).toFixed(1)} ms/s of server CPU in a steady window (${count(w!.tasks)} tasks in ${seconds(w!.seconds)}, ${((w!.cpuMs * 1000) / w!.tasks).toFixed(1)} µs per task), divided by the run's ${SERVER_CPU_REFERENCE_TASKS / 1000} thousand tasks`
        : `for a ${reference}, scaled from this run's per-task cost`) +
      `; whole run: ${count(cpu.tasks)} tasks in ${seconds(cpu.seconds)}, ${milliseconds(cpu.cpuMs)} server CPU = ${cpu.usPerTask.toFixed(1)} µs per task`,
  );
  report.target(
    `Server CPU ≤ 0.1 ms per s per 1000 tasks (${reference})`,
    `${cpu.msPerSecondPer1000AtReference.toFixed(3)}${cpu.basis === 'measured' ? '' : cpu.basis === 'window' ? ' (from a steady window)' : ' (scaled from the measured per-task cost)'}`,
    cpu.basis === 'scaled' ? null : cpu.msPerSecondPer1000AtReference <= 0.1,
  );
}

async function slurmSection(config: BenchConfig, report: Report): Promise<void> {
  const n = config.slurmTasks;
  const label = `${count(n)}-task job array via Slurm (sbatch --array)`;
  const missing = slurmMissing();
  if (missing) {
    report.row(label, 'skipped', '', `${missing} (Debian: apt-get install slurmctld slurmd slurm-client munge)`);
    return;
  }
  progress(`/bin/true x ${count(n)} as a Slurm job array, then via hq`);
  const f = await benchSlurmArray(n);
  report.row(
    label,
    seconds(f.slurmSeconds),
    '',
    `one-node Slurm from slurm-wlm, ${f.cpus} cpus, batch_sched_delay=0; ${duration((f.slurmSeconds * 1000) / n)} per task`,
  );
  report.row(
    `${count(n)} tasks via hq (the same /bin/true tasks)`,
    seconds(f.hqSeconds),
    `${ratio(f.slurmSeconds / f.hqSeconds)} faster than the Slurm job array`,
    `1 worker --cpus ${f.cpus}, --stdout none --stderr none`,
  );
}

async function schedulerSection(config: BenchConfig, report: Report): Promise<void> {
  progress('Scheduler (simulated workers)');
  for (const r of await runSchedulerBench(config.quick)) report.row(r.name, r.value, '', 'in-process, simulated workers, no sockets');
}

async function microSection(config: BenchConfig, report: Report): Promise<void> {
  progress('Micro benchmarks');
  for (const m of await runMicroBenchmarks(config.quick)) {
    const perItemMs = m.msPerOp / m.itemsPerOp;
    const detail =
      m.itemName === 'byte'
        ? `${((m.itemsPerOp / (m.msPerOp / 1000)) / MIB).toFixed(0)} MiB/s`
        : `${duration(perItemMs)} per ${m.itemName}`;
    report.row(`Micro: ${m.name}`, duration(m.msPerOp), '', `median per call; ${detail}`);
  }
}

function commandsOf(config: BenchConfig): string[] {
  const n = config.spawnTasks;
  return [
    `# every hq command below uses a fresh temporary server directory DIR, and NODE_EXTRA_CA_CERTS is unset`,
    `npm run bench${config.quick ? ' -- --quick' : ''}    # npm run build (tsc, bundle, launcher) && node dist/bench/run.js`,
    'gcc -O2 -o native-bench/build/spawn-loop native-bench/spawn-loop.c',
    'gcc -O2 -o native-bench/build/zero-loop native-bench/zero-loop.c',
    `native-bench/build/zero-loop -n ${config.zeroLoopCalls}`,
    `${hqLine(['server', 'start'])} &`,
    `${hqLine(['worker', 'start', '--zero-work'])} &    # 1 or ${config.manyWorkers} of them`,
    `${hqLine(['submit', ...zeroWorkSubmitArgs(config.arrayTasks)])} && ${hqLine(['job', 'wait', 'last'])}`,
    `${hqLine(['submit', ...zeroWorkSubmitArgs(config.quick ? 100_000 : REFERENCE_ARRAY_TASKS)])} && ${hqLine(['job', 'wait', 'last'])}    # 3 times, then: ${hqLine(['job', 'forget', '1'])}; ${hqLine(['job', 'forget', '2'])}`,
    `${hqLine(['submit', ...zeroWorkSubmitArgs(config.quick ? 200_000 : BIG_ARRAY_TASKS)])} && ${hqLine(['job', 'wait', 'last'])}`,
    `# ${config.quick ? '100 jobs of 100' : '1000 jobs of 1000'} tasks, and one job of as many, submitted through the client library (bench/many-jobs.ts), then one zero-work worker`,
    `# ${config.quick ? 200 : '20000'} jobs of one /bin/true task each through the client library, ${SUBMITS_IN_FLIGHT} submits in flight, on one worker --cpus 2 (bench/one-task-jobs.ts); RSS of server, worker and launcher after each half`,
    `${hqLine(['worker', 'start', '--cpus', '2'])} &`,
    `${hqLine(['submit', ...hqTrueSubmitArgs(n, 'none')])} && ${hqLine(['job', 'wait', 'last'])}    # ${config.spawnRounds} rounds with spawn-loop and xargs, hq first in every other round`,
    `${hqLine(['submit', ...hqTrueSubmitArgs(n, 'files')])} && ${hqLine(['job', 'wait', 'last'])}    # ${config.spawnRounds} rounds with both spawn-loops, hq first in every other round`,
    `native-bench/build/spawn-loop -n ${n} -P 2 -- /bin/true`,
    `native-bench/build/spawn-loop -n ${n} -P 2 -o "$(mktemp -d)" -- /bin/true    # the same, creating 2 output files a task`,
    xargsCommand(n),
    parallelCommand(n),
    `node -e 0    # ${config.cliRuns} runs`,
    `${hqLine(LIST_COMMAND)}    # ${config.cliRuns} runs`,
    `${hqLine(SUBMIT_COMMAND)}    # ${config.cliRuns} runs`,
    `${hqLine(['worker', 'start', '--cpus', '1'])} &    # 2 of them`,
    `${hqLine(['submit', ...serverCpuSubmitArgs(config.serverCpuTasks)])} && ${hqLine(['job', 'wait', 'last'])}    # server CPU from /proc, whole run and 30-90 % window`,
    `# a one-node Slurm (munged, slurmctld, slurmd from Debian's packages, config in a temp dir: test/support/local-slurm.ts)`,
    `${slurmArrayCommand(config.slurmTasks).join(' ')}`,
    `${hqLine(['submit', ...hqTrueSubmitArgs(config.slurmTasks, 'none')])} && ${hqLine(['job', 'wait', 'last'])}    # worker --cpus = the node's cpus`,
  ];
}

function describeBuild(): string {
  const cli = path.relative(REPO_ROOT, HQ_PROGRAM);
  const launcher = fs.existsSync(NATIVE_LAUNCHER)
    ? `workers start tasks through ${path.relative(REPO_ROOT, NATIVE_LAUNCHER)} (vfork + exec)`
    : 'workers start tasks through Node child_process (dist/hq-launcher not built)';
  const hq = HQ_PROGRAM.endsWith('.js') ? `\`node ${cli}\`` : `\`${cli}\` run as a program (Node from its startup snapshot)`;
  return `hq is ${hq}; ${launcher}`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const config = parseBenchConfig(argv, process.env, path.join(REPO_ROOT, 'docs', 'performance.md'));
  const report = new Report();
  const date = new Date();
  const loadAtStart = os.loadavg()[0];

  let baselines: NativeBaselines | null = null;
  let zeroLoop: NativeResult | null = null;
  try {
    progress('Building native baselines');
    baselines = NativeBaselines.build();
    zeroLoop = await baselines.zeroLoop(config.zeroLoopCalls);
  } catch (e) {
    report.notes.push(`Native baselines skipped: ${(e as Error).message.split('\n')[0]}`);
  }
  report.row(
    'Native zero-loop (empty function call)',
    zeroLoop ? duration(zeroLoop.us_per_task / 1000) : 'skipped',
    '',
    zeroLoop ? `${count(zeroLoop.tasks)} calls through a function pointer` : 'gcc not available',
  );

  for (const workers of [1, config.manyWorkers]) {
    await report.section(zeroWorkLabel(workers), () => zeroWorkSection(config, report, zeroLoop, workers));
  }
  await report.section('Array memory', () => memorySection(config, report));
  await report.section('Zero-work array at 10M tasks', () => bigArraySection(config, report));
  await report.section('Many jobs', () => manyJobsSection(config, report));
  await report.section('One-task jobs', () => oneTaskJobsSection(config, report));
  const peers: SpawnPeers = { native: null, xargs: null, parallel: null };
  await report.section('/bin/true baselines', () => spawnPeersSection(config, report, baselines, peers));
  await report.section('/bin/true via hq, --stdout none', () => hqTrueSection(config, report, baselines, peers, 'none'));
  await report.section('/bin/true via hq, output files', () => hqTrueSection(config, report, baselines, peers, 'files'));
  await report.section('CLI latency', () => cliSection(config, report));
  await report.section('Server CPU', () => serverCpuSection(config, report));
  await report.section('Slurm job array', () => slurmSection(config, report));
  await report.section('Scheduler', () => schedulerSection(config, report));
  await report.section('Micro benchmarks', () => microSection(config, report));
  if (report.failures > 0) report.notes.push(`${report.failures} benchmark(s) FAILED in this run; see their rows.`);

  const markdown = renderReport({
    quick: config.quick,
    date,
    machine: describeMachine(loadAtStart),
    build: describeBuild(),
    rows: report.rows,
    targets: report.targets,
    commands: commandsOf(config),
    notes: report.notes,
    steal: report.steal,
  });
  console.log(markdown);
  if (config.outputFile) {
    writeIntoDoc(config.outputFile, markdown);
    progress(`Report written to ${config.outputFile}`);
  }
  return report.failures > 0 ? 1 : 0;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    killTrackedChildren();
    removeScratchDirs();
    process.exit(code);
  });
}

main().then(
  (code) => {
    removeScratchDirs();
    process.exitCode = code;
  },
  (e: unknown) => {
    killTrackedChildren();
    removeScratchDirs();
    if (e instanceof UserError) process.stderr.write(`Error: ${e.message}\n${USAGE}\n`);
    else process.stderr.write(`Benchmark failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
