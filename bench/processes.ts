// Running benchmark commands as child processes and timing them.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  seconds: number;
  /** Killed because it ran longer than timeoutSeconds. */
  timedOut: boolean;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this many seconds. */
  timeoutSeconds?: number;
  /** How errors name the command (default: the full command line). */
  label?: string;
}

/**
 * The environment children run with: this machine's NODE_EXTRA_CA_CERTS makes
 * every node start read a certificate bundle, which users do not pay for.
 */
export function benchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Long-running children (servers, workers), killed if the benchmark itself is interrupted. */
const liveChildren = new Set<ChildProcess>();

export function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

export function killTrackedChildren(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Runs a command to completion, collecting its output. */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? benchEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (options.timeoutSeconds !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutSeconds * 1000);
    }
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (timer) clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds,
        timedOut,
      });
    });
  });
}

/** Like runCommand, but a non-zero exit is an error that shows the command's output. */
export async function runChecked(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    const how = result.timedOut
      ? `did not finish within ${options.timeoutSeconds} s`
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with ${result.code}`;
    const label = options.label ?? [command, ...args].join(' ');
    throw new Error(`${label} ${how}\n${result.stderr.trim()}\n${result.stdout.trim()}`.trim());
  }
  return result;
}

/** Whether an executable of that name is on PATH. */
export async function hasCommand(name: string): Promise<boolean> {
  const result = await runCommand('sh', ['-c', `command -v "$0" >/dev/null 2>&1`, name]);
  return result.code === 0;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >>> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
