// A server and its workers as real processes on loopback, in a temporary
// directory of their own, driven through the hq command line.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchEnv, runChecked, runCommand, trackChild, type CommandResult } from './processes.js';
import { HqClient } from '../src/client/client.js';
import { peakRssRunner } from './native-baselines.js';
import { makeScratchDir, releaseScratchDir } from './scratch-dirs.js';

const COMPILED_CLI = fileURLToPath(new URL('../src/cli/hq.js', import.meta.url));
const BUNDLED_CLI = fileURLToPath(new URL('../bundle/hq.cjs', import.meta.url));
/**
 * The hq users run: the command `npm run build` makes (package.json "bin"),
 * run as a program, else the plain compiled CLI through Node when only tsc
 * has run.
 */
export const HQ_PROGRAM = fs.existsSync(BUNDLED_CLI) ? BUNDLED_CLI : COMPILED_CLI;
const HQ_THROUGH_NODE = HQ_PROGRAM.endsWith('.js');

/** Program and arguments of `hq <args>`. */
export function hqCommand(args: readonly string[]): [string, string[]] {
  return HQ_THROUGH_NODE ? [process.execPath, [HQ_PROGRAM, ...args]] : [HQ_PROGRAM, [...args]];
}
/** Native task launcher of the workers, when it was built. */
export const NATIVE_LAUNCHER = fileURLToPath(new URL('../hq-launcher', import.meta.url));
const RSS_PROBE = fileURLToPath(new URL('./rss-probe.js', import.meta.url));

export interface ClusterOptions {
  workers: number;
  /** Extra arguments of every `hq worker start`, e.g. ['--zero-work']. */
  workerArgs: readonly string[];
  /** Keep the directory (with the tasks' output files) until the benchmark ends; see scratch-dirs.ts. */
  keepDirUntilEnd?: boolean;
}

export interface JobRun {
  /** Client's view: from starting `hq submit` until `hq job wait last` exits. */
  seconds: number;
  /** Largest peak RSS of the two client processes. */
  clientPeakRss: number;
}

interface JobListEntry {
  id: number;
  task_count: number;
  task_stats: Record<string, number>;
}

export class HqCluster {
  /** Scratch directory holding the server directory, logs and the tasks' working directory. */
  readonly dir: string;
  readonly serverDir: string;
  /** Working directory for submitted jobs (their default output files land here). */
  readonly workDir: string;
  private readonly server: ChildProcess;
  private readonly workers: ChildProcess[] = [];
  private stopped = false;
  private jobRuns = 0;

  private constructor(
    dir: string,
    server: ChildProcess,
    private readonly keepDirUntilEnd: boolean,
  ) {
    this.dir = dir;
    this.serverDir = path.join(dir, 'server');
    this.workDir = path.join(dir, 'work');
    this.server = server;
  }

  get serverPid(): number {
    return this.server.pid!;
  }

  static async start(options: ClusterOptions): Promise<HqCluster> {
    const dir = makeScratchDir('hq-bench-');
    fs.mkdirSync(path.join(dir, 'work'));
    const serverDir = path.join(dir, 'server');
    const server = spawnLogged(dir, 'server', ['--server-dir', serverDir, 'server', 'start']);
    const cluster = new HqCluster(dir, server, options.keepDirUntilEnd ?? false);
    try {
      await cluster.hqChecked(['server', 'wait', '--timeout', '30s'], 40);
      for (let i = 0; i < options.workers; i++) {
        cluster.workers.push(spawnLogged(dir, `worker-${i + 1}`, ['--server-dir', serverDir, 'worker', 'start', ...options.workerArgs]));
      }
      await cluster.hqChecked(['worker', 'wait', String(options.workers)], 120);
    } catch (e) {
      const logs = cluster.logTails();
      await cluster.stop();
      throw new Error(`${(e as Error).message}\n${logs}`);
    }
    return cluster;
  }

  /** Runs one hq command against this server. */
  hq(args: readonly string[], options: { cwd?: string; rssFile?: string; timeoutSeconds?: number } = {}): Promise<CommandResult> {
    const [program, argv] = options.rssFile
      ? withPeakRss(options.rssFile, ['--server-dir', this.serverDir, ...args])
      : hqCommand(['--server-dir', this.serverDir, ...args]);
    // A measured client runs as its own process, as it does on another node
    // than the server's: on the server's node the command host would run it,
    // and its memory would be the server's.
    const env = benchEnv(options.rssFile ? { HQ_COMMAND_HOST: '0', ...(HQ_THROUGH_NODE ? { BENCH_RSS_FILE: options.rssFile } : {}) } : {});
    return runCommand(program, argv, {
      cwd: options.cwd ?? this.workDir,
      env,
      timeoutSeconds: options.timeoutSeconds ?? 3600,
    });
  }

  async hqChecked(args: readonly string[], timeoutSeconds = 3600, extraEnv: Record<string, string> = {}): Promise<CommandResult> {
    return runChecked(...hqCommand(['--server-dir', this.serverDir, ...args]), {
      cwd: this.workDir,
      env: benchEnv(extraEnv),
      timeoutSeconds,
      label: `hq ${args.join(' ')}`,
    });
  }

  /**
   * `hq submit <submitArgs> && hq job wait last`, timed from the client, and
   * checked: every task of the job must have finished within `timeoutSeconds`.
   */
  async submitAndWait(submitArgs: readonly string[], timeoutSeconds: number): Promise<JobRun> {
    const rssFile = path.join(this.dir, `client-rss-${++this.jobRuns}.txt`);
    const submit = await this.hq(['submit', ...submitArgs], { rssFile, timeoutSeconds: 120 });
    if (submit.code !== 0) throw new Error(`hq submit failed: ${submit.stderr.trim()}${this.logTails()}`);
    const wait = await this.hq(['job', 'wait', 'last'], { rssFile, timeoutSeconds });
    if (wait.timedOut) {
      throw new Error(`the job did not finish within ${timeoutSeconds} s (${describeJob(await this.lastJob())})${this.logTails()}`);
    }
    if (wait.code !== 0) throw new Error(`hq job wait failed: ${wait.stderr.trim()}${this.logTails()}`);
    const seconds = submit.seconds + wait.seconds;

    const job = await this.lastJob();
    if (job.task_stats.finished !== job.task_count) throw new Error(`the job ended unfinished (${describeJob(job)})`);
    const clientPeakRss = Math.max(...fs.readFileSync(rssFile, 'utf8').trim().split('\n').map(Number));
    return { seconds, clientPeakRss };
  }

  /** `hq submit` without waiting; throws when the submit fails. */
  async submit(submitArgs: readonly string[]): Promise<void> {
    const submit = await this.hq(['submit', ...submitArgs], { timeoutSeconds: 120 });
    if (submit.code !== 0) throw new Error(`hq submit failed: ${submit.stderr.trim()}${this.logTails()}`);
  }

  /** Finished tasks of the newest job. */
  async finishedTasks(): Promise<number> {
    return (await this.lastJob()).task_stats.finished ?? 0;
  }

  /** The newest job's task counts, from `hq job list`, which stays small however many tasks a job has. */
  private async lastJob(): Promise<JobListEntry> {
    const list = await this.hqChecked(['job', 'list', '--all', '--output-mode', 'json'], 60);
    const jobs = JSON.parse(list.stdout) as JobListEntry[];
    if (jobs.length === 0) throw new Error('hq job list shows no job');
    return jobs.reduce((a, b) => (b.id > a.id ? b : a));
  }

  /**
   * The server's view of the newest job: submission to its last task finishing
   * (millisecond resolution), or an explanation when `hq job info` fails. Call it
   * after reading the server's /proc figures, since it makes the server work.
   */
  async lastJobServerSeconds(): Promise<number | string> {
    // Through the client library: `hq job info --output-mode json` would also list every task.
    let client: HqClient | null = null;
    try {
      client = await HqClient.connect(this.serverDir);
      const [job] = await client.jobInfo({ kind: 'last' });
      if (!job?.endTime) return 'unavailable: the job has no end time';
      return (job.endTime - job.submitTime) / 1000;
    } catch {
      return 'unavailable: job info failed';
    } finally {
      client?.close();
    }
  }

  /** Stops the server (which stops its workers), makes sure every process is gone and removes the directory (or leaves that to the end). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const children = [this.server, ...this.workers];
    if (this.server.exitCode === null && this.server.signalCode === null) {
      await runCommand(...hqCommand(['--server-dir', this.serverDir, 'server', 'stop']), {
        env: benchEnv(),
        timeoutSeconds: 30,
      });
    }
    const exited = await Promise.race([
      Promise.all(children.map(waitForExit)).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000).unref()),
    ]);
    if (!exited) {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(children.map(waitForExit));
    }
    releaseScratchDir(this.dir, this.keepDirUntilEnd ? 'at-end' : 'now');
  }

  /** Last lines of the server and worker logs, to explain a failure. */
  logTails(): string {
    let text = '';
    for (const name of fs.existsSync(this.dir) ? fs.readdirSync(this.dir) : []) {
      if (!name.endsWith('.log')) continue;
      const lines = fs.readFileSync(path.join(this.dir, name), 'utf8').trim().split('\n').slice(-10);
      text += `\n--- ${name}\n${lines.join('\n')}`;
    }
    return text;
  }
}

/**
 * `hq <args>` run so that its peak resident set size is appended to rssFile:
 * the compiled CLI through Node with rss-probe.js, the command through
 * native-bench's peak-rss.
 */
function withPeakRss(rssFile: string, args: readonly string[]): [string, string[]] {
  if (HQ_THROUGH_NODE) return [process.execPath, ['--import', RSS_PROBE, HQ_PROGRAM, ...args]];
  return [peakRssRunner(), [rssFile, HQ_PROGRAM, ...args]];
}

function spawnLogged(dir: string, name: string, args: readonly string[]): ChildProcess {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'w');
  const child = spawn(...hqCommand(args), {
    cwd: path.join(dir, 'work'),
    env: benchEnv(),
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  trackChild(child);
  return child;
}

function describeJob(job: JobListEntry): string {
  const stats = Object.entries(job.task_stats).map(([state, n]) => `${n} ${state}`).join(', ');
  return `${job.task_count} tasks: ${stats}`;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
