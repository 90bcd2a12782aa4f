// Starting task processes. The native launcher (native/launcher.c, built at
// install) starts them with posix_spawn from a small helper process, which
// stays cheap however large the worker's heap grows; Node's child_process
// forks the worker itself and serves as the fallback.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { log } from '../common/log.js';

export interface SpawnRequest {
  args: string[];
  cwd: string;
  /** File given as standard input, or null for /dev/null. */
  stdin: string | null;
  /** File path, or null for /dev/null. */
  stdout: string | null;
  /** File path, null for /dev/null, or 'stdout' to share the stdout file. */
  stderr: string | null | 'stdout';
  /** Added to (and overriding) the worker's environment. */
  env: Record<string, string>;
  /**
   * Receives the output instead of files (output streaming); only Node's
   * launcher supports it (kind 'node').
   */
  pipe?: (channel: 0 | 1, data: Buffer) => void;
}

export type SpawnResult = { code: number; signal: null } | { code: null; signal: string } | { error: string };

export interface SpawnHandlers {
  started(pid: number): void;
  ended(result: SpawnResult): void;
}

export interface Launcher {
  readonly kind: 'native' | 'node';
  spawn(req: SpawnRequest, handlers: SpawnHandlers): void;
  close(): void;
}

/** dist/hq-launcher, seen from the bundle (dist/bundle/) or from compiled modules (dist/src/worker/). */
function nativeLauncherPath(): string | null {
  for (const rel of ['../hq-launcher', '../../hq-launcher']) {
    const candidate = fileURLToPath(new URL(rel, import.meta.url));
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** The native launcher when it was built (and not disabled by HQ_LAUNCHER=node), else Node's. */
export function createLauncher(): Launcher {
  const native = process.env.HQ_LAUNCHER === 'node' ? null : nativeLauncherPath();
  return native ? new NativeLauncher(native) : new NodeLauncher();
}

function signalName(signal: number): string {
  for (const [name, value] of Object.entries(os.constants.signals)) if (value === signal) return name;
  return `signal ${signal}`;
}

function errnoText(errno: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) {
    if (value === errno) return name === 'ENOENT' ? 'No such file or directory' : name === 'EACCES' ? 'Permission denied' : name;
  }
  return `errno ${errno}`;
}

class NativeLauncher implements Launcher {
  readonly kind = 'native' as const;
  private readonly child: ChildProcess;
  private readonly handlers = new Map<number, SpawnHandlers>();
  private nextId = 1;
  private rest: Buffer = Buffer.alloc(0);
  private dead = false;

  constructor(path: string) {
    this.child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.on('exit', () => this.onExit());
    this.child.on('error', () => this.onExit());
    this.child.stdin!.on('error', () => this.onExit());
  }

  spawn(req: SpawnRequest, handlers: SpawnHandlers): void {
    if (this.dead) {
      handlers.ended({ error: 'the task launcher has stopped' });
      return;
    }
    const id = this.nextId++;
    this.handlers.set(id, handlers);
    const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
    const stderr = req.stderr === 'stdout' ? '\x01' : (req.stderr ?? '');
    const strings = [req.cwd, req.stdin ?? '', req.stdout ?? '', stderr, ...req.args, ...env].join('\0') + '\0';
    const body = Buffer.from(strings, 'utf8');
    const msg = Buffer.allocUnsafe(16 + body.length);
    msg.writeUInt32LE(12 + body.length, 0);
    msg.writeUInt32LE(id, 4);
    msg.writeUInt32LE(req.args.length, 8);
    msg.writeUInt32LE(env.length, 12);
    body.copy(msg, 16);
    this.child.stdin!.write(msg);
  }

  close(): void {
    this.child.stdin!.end();
  }

  private onData(chunk: Buffer): void {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let off = 0;
    for (; off + 12 <= data.length; off += 12) {
      const id = data.readUInt32LE(off);
      const kind = data.readUInt32LE(off + 4);
      const value = data.readInt32LE(off + 8);
      const h = this.handlers.get(id);
      if (!h) continue;
      if (kind === 0) {
        h.started(value);
        continue;
      }
      this.handlers.delete(id);
      if (kind === 1) h.ended({ code: value, signal: null });
      else if (kind === 2) h.ended({ code: null, signal: signalName(value) });
      else h.ended({ error: errnoText(value) });
    }
    this.rest = data.subarray(off);
  }

  private onExit(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.handlers.size > 0) log.error('the task launcher ended unexpectedly');
    for (const h of this.handlers.values()) h.ended({ error: 'the task launcher ended unexpectedly' });
    this.handlers.clear();
  }
}

export class NodeLauncher implements Launcher {
  readonly kind = 'node' as const;

  spawn(req: SpawnRequest, handlers: SpawnHandlers): void {
    let input: number | 'ignore' = 'ignore';
    let out: number | 'ignore' | 'pipe' = 'ignore';
    let err: number | 'ignore' | 'pipe' = 'ignore';
    let child: ChildProcess;
    try {
      if (req.stdin) input = fs.openSync(req.stdin, 'r');
      if (req.pipe) {
        out = 'pipe';
        err = 'pipe';
      } else {
        if (req.stdout) out = fs.openSync(req.stdout, 'w');
        if (req.stderr === 'stdout') err = out;
        else if (req.stderr) err = fs.openSync(req.stderr, 'w');
      }
      child = spawn(req.args[0]!, req.args.slice(1), {
        cwd: req.cwd,
        env: { ...process.env, ...req.env },
        stdio: [input, out, err],
        detached: true,
      });
    } catch (e) {
      handlers.ended({ error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      return;
    } finally {
      for (const fd of new Set([input, out, err])) if (typeof fd === 'number') fs.closeSync(fd);
    }
    let done = false;
    let exit: SpawnResult | null = null;
    let openStreams = 0;
    // With pipes, the end is reported once the output is drained too.
    const settle = () => {
      if (done || !exit || openStreams > 0) return;
      done = true;
      handlers.ended(exit);
    };
    if (req.pipe) {
      const pipe = req.pipe;
      for (const [stream, channel] of [[child.stdout, 0], [child.stderr, 1]] as const) {
        if (!stream) continue;
        openStreams++;
        stream.on('data', (data: Buffer) => pipe(channel, data));
        stream.on('close', () => {
          openStreams--;
          settle();
        });
      }
    }
    child.on('spawn', () => handlers.started(child.pid!));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      handlers.ended({ error: e.code === 'ENOENT' ? 'No such file or directory' : e.message });
    });
    child.on('exit', (code, signal) => {
      exit = signal ? { code: null, signal } : { code: code ?? 0, signal: null };
      settle();
    });
  }

  close(): void {}
}
