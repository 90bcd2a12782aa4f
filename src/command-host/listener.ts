// The server's side of the command host: a Unix socket in the run directory
// (`<server-dir>/hq-current/cli.sock`, 0600 in a 0700 directory, so only
// the server's user can connect, as only they can read access.json), and a
// small pool of threads that run the command lines (thread.ts). The pool
// starts its first thread when the first command arrives, a second one
// while two commands run at once, and lets a thread go after a while
// without commands. While no thread is ready, and for anything a thread
// cannot take, the answer is "declined" and `hq` runs the command itself,
// so a command never waits for a thread to start.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { BUILD_ID } from '../common/build-id.js';
import { formatDuration } from '../common/duration.js';
import { log } from '../common/log.js';
import type { HostReply, HostTask } from './thread.js';
import { failureFrames, REQUEST_HEADER_BYTES, replyFrame, requestLength } from './wire.js';

const SOCKET_NAME = 'cli.sock';
/** Longest path bind() takes (sun_path less its NUL). */
const MAX_SOCKET_PATH = 107;
/** A caller that has not sent its whole request by then is not hq. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Commands run at once; more wait for a thread. Most of a command's time is waiting for the server. */
const MAX_THREADS = 2;
/** A thread without a command for this long ends (about 13 MB of the server's memory each). */
const IDLE_TIMEOUT_MS = 5 * 60_000;
/**
 * A command still running (or waiting for a thread) after this long has
 * hung: its thread is ended so that it stops holding one of the few. The
 * commands the host takes are single requests to the server.
 */
const COMMAND_TIMEOUT_MS = 10 * 60_000;

export interface PoolOptions {
  /** How long a thread without a command lives on. */
  idleTimeoutMs: number;
  /** How long a command may take, from its arrival. */
  commandTimeoutMs: number;
}

export class CommandHostListener {
  private pool: Piscina<HostTask, void> | null = null;
  /** Threads that have loaded the command line and take commands. */
  private readonly readyThreads = new Set<Worker>();
  private warmingUp = false;
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    private readonly socketPath: string,
    private readonly dirFd: number | null,
    private readonly threadFile: URL,
    private readonly poolOptions: PoolOptions,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (e) => log.warn(`command host: ${e.message}`));
  }

  /**
   * The command host of a server of a bundled build (src/build/bundle.ts),
   * unless HQ_COMMAND_HOST=0; null when there is none.
   */
  static async start(runDir: string): Promise<CommandHostListener | null> {
    if (BUILD_ID === null || process.env.HQ_COMMAND_HOST === '0') return null;
    const threadFile = new URL('./hq-command-host.cjs', import.meta.url);
    if (!fs.existsSync(threadFile)) return null;
    try {
      return await CommandHostListener.listen(runDir, threadFile);
    } catch (e) {
      log.warn(`no command host: ${(e as Error).message}`);
      return null;
    }
  }

  /** Listens on the run directory's socket; the first thread starts with the first command. */
  static async listen(runDir: string, threadFile: URL, poolOptions: PoolOptions = { idleTimeoutMs: IDLE_TIMEOUT_MS, commandTimeoutMs: COMMAND_TIMEOUT_MS }): Promise<CommandHostListener> {
    const socketPath = path.join(runDir, SOCKET_NAME);
    // A long server directory does not fit in a socket address: then the
    // directory is named through a descriptor of it.
    let dirFd: number | null = null;
    let address = socketPath;
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      dirFd = fs.openSync(runDir, 'r');
      address = `/proc/self/fd/${dirFd}/${SOCKET_NAME}`;
    }
    // Half-open: a caller may close its side once it has sent the request.
    const server = net.createServer({ allowHalfOpen: true });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      fs.chmodSync(socketPath, 0o600);
    } catch (e) {
      server.close();
      if (dirFd !== null) fs.closeSync(dirFd);
      throw e;
    }
    return new CommandHostListener(server, socketPath, dirFd, threadFile, poolOptions);
  }

  /** Threads ready to run commands now. */
  get readyThreadCount(): number {
    return this.readyThreads.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    // The server waits for open connections before it reports closed.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await this.pool?.destroy();
    this.pool = null;
    // Nothing here may keep the server from finishing its stop.
    try {
      fs.rmSync(this.socketPath, { force: true });
      if (this.dirFd !== null) fs.closeSync(this.dirFd);
    } catch (e) {
      log.warn(`command host: ${(e as Error).message}`);
    }
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    let received: Buffer = Buffer.alloc(0);
    let wanted: number | null = null;
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (wanted === null) {
        if (received.length < REQUEST_HEADER_BYTES) return;
        wanted = requestLength(received);
        if (wanted === null) return void socket.destroy();
      }
      if (received.length < REQUEST_HEADER_BYTES + wanted) return;
      if (received.length > REQUEST_HEADER_BYTES + wanted) return void socket.destroy();
      socket.off('data', onData);
      socket.setTimeout(0);
      this.dispatch(socket, received.subarray(REQUEST_HEADER_BYTES));
    };
    socket.on('data', onData);
    socket.on('end', () => {
      if (wanted === null || received.length < REQUEST_HEADER_BYTES + wanted) socket.destroy();
    });
  }

  private dispatch(socket: net.Socket, payload: Buffer): void {
    if (!this.pool || this.readyThreads.size === 0) {
      socket.end(replyFrame('d'));
      log.debug('command host declined a command: not started yet');
      this.warmUp();
      return;
    }
    const { port1, port2 } = new MessageChannel();
    let answered = false;
    port1.on('message', (m: HostReply) => {
      if (m.last) {
        answered = true;
        port1.close();
        if (m.outcome) log.debug(`command host ${m.outcome}`);
      }
      if (socket.destroyed) return; // the caller is gone
      if (m.frame) socket.write(m.frame);
      if (m.last) {
        if (m.frame) socket.end();
        else socket.destroy();
      }
    });
    const { commandTimeoutMs } = this.poolOptions;
    const signal = AbortSignal.timeout(commandTimeoutMs);
    this.pool.run({ payload, port: port2 }, { transferList: [port2], signal }).catch((e: Error) => {
      if (this.closed) return;
      const timedOut = e.name === 'AbortError';
      log.warn(`command host: ${timedOut ? `a command ran out of time (${formatDuration(commandTimeoutMs / 1000)})` : e.message}`);
      port1.close();
      // Whatever it was running may or may not have reached the server.
      if (!answered && !socket.destroyed) {
        const what = timedOut ? `gave up on this command after ${formatDuration(commandTimeoutMs / 1000)}` : 'stopped while running this command';
        socket.end(failureFrames(`Error: the server's command host ${what}\n`));
      }
    });
  }

  /** Has the pool start a thread, unless one is on its way. */
  private warmUp(): void {
    if (this.closed || this.warmingUp) return;
    this.warmingUp = true;
    const pool = (this.pool ??= this.createPool());
    pool
      .run({ warmUp: true })
      .catch((e: Error) => log.error(`command host failed to start: ${e.message}`))
      .finally(() => (this.warmingUp = false));
  }

  private createPool(): Piscina<HostTask, void> {
    // Loaded with the first command, not with every server (it takes some 15 ms).
    const { Piscina: Pool } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
    const pool = new Pool<HostTask, void>({
      filename: fileURLToPath(this.threadFile),
      name: 'default',
      minThreads: 0,
      maxThreads: MAX_THREADS,
      // One command per thread at a time: a command sets its thread's process.env and cwd.
      concurrentTasksPerWorker: 1,
      idleTimeout: this.poolOptions.idleTimeoutMs,
      // A thread between commands runs its event loop (sockets still closing) rather than block in Atomics.wait.
      atomics: 'disabled',
    });
    // Piscina announces a thread once it has loaded the command line. A
    // thread is ready until it exits, whether the pool ended it when idle or
    // it died (by then its id is gone, so its exit is what tells).
    pool.on('workerCreate', (announced: { id: number }) => {
      const thread = pool.threads.find((w) => w.threadId === announced.id);
      if (!thread) return;
      this.readyThreads.add(thread);
      thread.once('exit', () => this.readyThreads.delete(thread));
    });
    pool.on('error', (e: Error) => log.error(`command host failed: ${e.stack ?? e.message}`));
    return pool;
  }
}
