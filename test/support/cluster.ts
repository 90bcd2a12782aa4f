// A real HyperQueue cluster for integration tests: one `hq server start`
// and any number of `hq worker start` child processes around a private temp
// dir, plus a runner for one-off `hq` commands against it. Everything the
// cluster started (including task processes left behind by killed workers)
// is ended by stop().
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HqClient } from '../../src/client/client.js';

/**
 * The CLI under test: $HQ_TEST_BIN when set (e.g. the compiled modules,
 * dist/src/cli/hq.js), else the command that users run (dist/bundle/hq.cjs,
 * seen from dist/test/support/cluster.js).
 */
export const HQ_BIN = process.env.HQ_TEST_BIN
  ? path.resolve(process.env.HQ_TEST_BIN)
  : fileURLToPath(new URL('../../bundle/hq.cjs', import.meta.url));

/** Program and arguments of `hq <args>`: a .js module through this Node, the command as a program, as a shell runs it. */
export function hqCommand(args: readonly string[]): [string, string[]] {
  return HQ_BIN.endsWith('.js') ? [process.execPath, [HQ_BIN, ...args]] : [HQ_BIN, [...args]];
}

/** `hq` as a shell command line (for batch scripts). */
export function hqShellCommand(): string {
  return hqCommand([]).flat().join(' ');
}

/** Longest any single `hq` command may take before it counts as hung. */
const COMMAND_TIMEOUT_MS = 30_000;
/** Longest a worker may take to register, or a process to exit when told to. */
const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 10_000;

export interface HqResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HqOptions {
  cwd?: string;
  /** Extra environment for this command. */
  env?: Record<string, string>;
  /** Text fed to the command's standard input. */
  input?: string;
  timeoutMs?: number;
  /** Leave out the cluster's --server-dir (to point the command elsewhere). */
  noServerDir?: boolean;
}

export interface WorkerSpec {
  /** Value of --cpus (default 1). */
  cpus?: number | string;
  /** Further `hq worker start` flags. */
  args?: string[];
  /** Extra environment of the worker process (e.g. CUDA_VISIBLE_DEVICES for detection). */
  env?: Record<string, string>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process of the cluster with its output captured. */
export class ClusterProcess {
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | null = null;
  private output = '';

  constructor(
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    const log = fs.createWriteStream(logFile);
    log.on('error', () => {}); // the copy on disk is for people; the test reads `output`
    const capture = (chunk: Buffer) => {
      this.output += chunk.toString();
      log.write(chunk);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        log.end();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  log(): string {
    return this.output;
  }

  /** Resolves when the output matches, rejects if the process exits first or time runs out. */
  waitForLog(pattern: RegExp, what: string, timeoutMs = START_TIMEOUT_MS): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.output.match(pattern);
        if (!m) return false;
        done();
        resolve(m);
        return true;
      };
      const onData = () => void check();
      const onExit = () => {
        if (check()) return;
        done();
        reject(new Error(`${what}: the process exited first; its output:\n${this.output}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: not seen within ${timeoutMs} ms; output so far:\n${this.output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.stderr?.off('data', onData);
        this.child.off('close', onExit);
      };
      if (check()) return;
      this.child.stdout?.on('data', onData);
      this.child.stderr?.on('data', onData);
      this.child.once('close', onExit);
    });
  }

  /** Sends a signal unless the process already ended. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      /* exited meanwhile */
    }
  }

  /** Waits for the exit; rejects with the output when it does not come. */
  waitExit(timeoutMs = EXIT_TIMEOUT_MS): Promise<ProcessExit> {
    return withTimeout(this.exited, timeoutMs, () => `process ${this.pid} did not exit; its output:\n${this.output}`);
  }
}

/** A worker process and the id the server gave it. */
export class ClusterWorker extends ClusterProcess {
  /** Worker id assigned by the server (0 until registered). */
  id = 0;
  /** CPUs it offers, when --cpus was a count. */
  cpus = 0;
}

export interface ClusterOptions {
  workers?: WorkerSpec[];
  /** Further `hq server start` flags. */
  serverArgs?: string[];
  /** Extra environment of the server process. */
  serverEnv?: Record<string, string>;
}

// Processes of every cluster of this test file, ended even if a test run dies.
const livePids = new Set<number>();
process.on('exit', () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** Settings of the caller's environment that would point hq elsewhere or change its output. */
const UNSET_FOR_CHILDREN = ['HQ_SERVER_DIR', 'HQ_OUTPUT_MODE', 'HQ_TEST_BIN'];

/** Environment for children: the caller's (so HQ_LAUNCHER, HQ_IO_THREADS, ... pass through) plus `extra`. */
function childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of UNSET_FOR_CHILDREN) delete env[name];
  return { ...env, ...extra };
}

export class Cluster {
  /** The temp dir that holds everything of this cluster. */
  readonly dir: string;
  readonly serverDir: string;
  server!: ClusterProcess;
  readonly workers: ClusterWorker[] = [];
  private stopped = false;
  private libraryClient: HqClient | null = null;

  private constructor() {
    this.dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'hq-test-')));
    this.serverDir = path.join(this.dir, 'server');
  }

  /** Starts a server and the given workers; on failure everything is cleaned up. */
  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const c = new Cluster();
    try {
      await c.startServer(opts.serverArgs ?? [], opts.serverEnv);
      for (const spec of opts.workers ?? []) await c.startWorker(spec);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** Starts `hq server start` and waits until it answers. */
  async startServer(args: string[] = [], env?: Record<string, string>): Promise<ClusterProcess> {
    const n = this.server ? 2 : 1;
    this.server = this.spawnHq(['server', 'start', ...args], path.join(this.dir, `server-${n}.log`), ClusterProcess, env);
    const waited = await this.hq(['server', 'wait', '--timeout', '20s']);
    if (waited.code !== 0) {
      throw new Error(`the server did not come up: ${waited.stderr}\nserver output:\n${this.server.log()}`);
    }
    return this.server;
  }

  /** Starts `hq worker start --cpus N ...` and waits until the server registered it. */
  async startWorker(spec: WorkerSpec = {}): Promise<ClusterWorker> {
    const index = this.workers.length;
    const args = ['worker', 'start', '--cpus', String(spec.cpus ?? 1), ...(spec.args ?? [])];
    const worker = this.spawnHq(args, path.join(this.dir, `worker-${index}.log`), ClusterWorker, spec.env);
    worker.cpus = Number(spec.cpus ?? 1) || 0;
    this.workers.push(worker);
    const m = await worker.waitForLog(/worker (\d+) registered with the server/, `worker ${index} registration`);
    worker.id = Number(m[1]);
    return worker;
  }

  /** Signals worker `index` (in start order) and waits until it exited. */
  async killWorker(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit> {
    const worker = this.workers[index];
    if (!worker) throw new Error(`no worker ${index}`);
    worker.kill(signal);
    return worker.waitExit();
  }

  /** Runs `hq --server-dir <dir> ...args` to its end. */
  hq(args: string[], opts: HqOptions = {}): Promise<HqResult> {
    const [program, argv] = hqCommand([...(opts.noServerDir ? [] : ['--server-dir', this.serverDir]), ...args]);
    const child = spawn(program, argv, {
      cwd: opts.cwd ?? this.dir,
      env: childEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    livePids.add(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {}); // the command may exit without reading
    child.stdin.end(opts.input ?? '');
    const timeoutMs = opts.timeoutMs ?? COMMAND_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`hq ${args.join(' ')} did not end within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, timeoutMs);
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        livePids.delete(child.pid!);
        resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
      });
    });
  }

  /** Runs an hq command that must succeed; returns its stdout. */
  async hqOk(args: string[], opts: HqOptions = {}): Promise<string> {
    const r = await this.hq(args, opts);
    if (r.code !== 0) throw new Error(`hq ${args.join(' ')} failed with ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** `hq --output-mode json ...args`, parsed. */
  async hqJson<T = unknown>(args: string[], opts: HqOptions = {}): Promise<T> {
    const out = await this.hqOk(['--output-mode', 'json', ...args], opts);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`hq ${args.join(' ')} printed no JSON:\n${out}`);
    }
  }

  /**
   * A client-library connection to the server, for probing state in a loop
   * without starting a process per probe.
   */
  async client(): Promise<HqClient> {
    if (!this.libraryClient) this.libraryClient = await HqClient.connect(this.serverDir);
    return this.libraryClient;
  }

  /**
   * A copy of the server directory (pointing at the same server) with a
   * changed access record, e.g. a wrong key.
   */
  serverDirCopy(name: string, change: (access: AccessFile) => void): string {
    const dir = path.join(this.dir, name);
    fs.mkdirSync(path.join(dir, '001'), { recursive: true, mode: 0o700 });
    const access = this.access();
    change(access);
    fs.writeFileSync(path.join(dir, '001', 'access.json'), JSON.stringify(access, null, 2), { mode: 0o600 });
    fs.symlinkSync('001', path.join(dir, 'hq-current'));
    return dir;
  }

  /** The server's access record (hosts, ports, keys) of the current run. */
  access(): AccessFile {
    return JSON.parse(fs.readFileSync(path.join(this.serverDir, 'hq-current', 'access.json'), 'utf8')) as AccessFile;
  }

  /** A fresh directory inside the cluster's temp dir. */
  mkdir(name: string): string {
    const dir = path.join(this.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Stops the server (politely first), kills whatever is left, including task
   * processes still running in the temp dir, and removes the dir. Safe to call
   * more than once and after a failed start.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.libraryClient?.close();
    this.libraryClient = null;
    if (this.server?.running) {
      await this.hq(['server', 'stop'], { timeoutMs: EXIT_TIMEOUT_MS }).catch(() => undefined);
      await this.server.waitExit().catch(() => undefined);
    }
    const children: ClusterProcess[] = [...(this.server ? [this.server] : []), ...this.workers];
    for (const p of children) p.kill('SIGKILL');
    await Promise.all(children.map((p) => p.waitExit().catch(() => undefined)));
    killProcessesUnder(this.dir);
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  private spawnHq<P extends ClusterProcess>(
    args: string[],
    logFile: string,
    Kind: new (child: ChildProcess, logFile: string) => P,
    env?: Record<string, string>,
  ): P {
    const [program, argv] = hqCommand(['--server-dir', this.serverDir, ...args]);
    const child = spawn(program, argv, {
      cwd: this.dir,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new Kind(child, logFile);
    livePids.add(child.pid!);
    void proc.exited.then(() => livePids.delete(child.pid!));
    return proc;
  }
}

export interface AccessFile {
  version: string;
  server_uid: string;
  pid: number;
  hostname: string;
  client: { host: string; port: number; secret_key: string };
  worker: { host: string; port: number; secret_key: string };
}

/**
 * SIGKILLs every process whose working directory lies inside `dir`: tasks
 * run in their submit dir, so this finds those that outlived a killed worker.
 */
export function killProcessesUnder(dir: string): void {
  for (const pid of processesUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Pids whose working directory is `dir` or below it (Linux /proc). */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + path.sep)) pids.push(Number(name));
    } catch {
      /* gone or not ours */
    }
  }
  return pids;
}

/** True while a process with this pid exists (zombies count as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message())), ms);
    }),
  ]);
}

/**
 * Re-evaluates `probe` until it returns a value other than undefined; for
 * states the cluster reaches on its own (a worker seen as lost, a task
 * running). Gives up with `what` after `timeoutMs`.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Lines of text without the trailing empty one. */
export function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** Asserts the shape of a user mistake's report: exactly one line, no stack trace. */
export function oneLineError(r: HqResult): string {
  const errLines = lines(r.stderr);
  if (r.code === 0) throw new Error(`expected a failure, got exit code 0; stdout: ${r.stdout}`);
  if (errLines.length !== 1) throw new Error(`expected exactly one line on stderr, got ${errLines.length}:\n${r.stderr}`);
  if (/^\s+at /m.test(r.stderr) || /internal error/i.test(r.stderr)) throw new Error(`stack trace or internal error on stderr:\n${r.stderr}`);
  return errLines[0]!;
}
