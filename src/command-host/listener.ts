// The server's side of the command host: a Unix socket in the run directory
// (`<server-dir>/hq-current/cli.sock`, 0600 in a 0700 directory, so only
// the server's user can connect, as only they can read access.json), and
// the thread that runs the command lines (thread.ts), started when the
// first one arrives. Until that thread is ready, and for anything it
// cannot take, the answer is "declined" and `hq` runs the command itself,
// so a command never waits for the host to start.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BUILD_ID } from '../common/build-id.js';
import { log } from '../common/log.js';
import type { HostJob, HostReply } from './thread.js';
import { failureFrames, REQUEST_HEADER_BYTES, replyFrame, requestLength } from './wire.js';

const SOCKET_NAME = 'cli.sock';
/** Longest path bind() takes (sun_path less its NUL). */
const MAX_SOCKET_PATH = 107;
/** A caller that has not sent its whole request by then is not hq. */
const REQUEST_TIMEOUT_MS = 10_000;

export class CommandHostListener {
  private thread: Worker | null = null;
  private ready = false;
  private nextId = 1;
  private readonly pending = new Map<number, net.Socket>();
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    private readonly socketPath: string,
    private readonly dirFd: number | null,
    private readonly threadFile: URL,
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

  /** Listens on the run directory's socket; the thread starts with the first command. */
  static async listen(runDir: string, threadFile: URL): Promise<CommandHostListener> {
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
    return new CommandHostListener(server, socketPath, dirFd, threadFile);
  }

  async close(): Promise<void> {
    this.closed = true;
    // The server waits for open connections before it reports closed.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.pending.clear();
    await closed;
    await this.thread?.terminate();
    this.thread = null;
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
    if (!this.ready || !this.thread) {
      socket.end(replyFrame('d'));
      log.debug('command host declined a command: not started yet');
      this.startThread();
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, socket);
    socket.on('close', () => this.pending.delete(id));
    this.thread.postMessage({ id, payload } satisfies HostJob);
  }

  private startThread(): void {
    if (this.thread || this.closed) return;
    const thread = new Worker(this.threadFile, { name: 'hq-command-host' });
    this.thread = thread;
    thread.on('message', (m: HostReply | { ready: true }) => {
      if ('ready' in m) {
        this.ready = true;
        return;
      }
      if (m.last && m.outcome) log.debug(`command host ${m.outcome}`);
      const socket = this.pending.get(m.id);
      if (!socket) return; // the caller is gone
      if (m.frame) socket.write(m.frame);
      if (m.last) {
        this.pending.delete(m.id);
        if (m.frame) socket.end();
        else socket.destroy();
      }
    });
    thread.on('error', (e) => log.error(`command host failed: ${e.stack ?? e.message}`));
    thread.on('exit', () => {
      if (this.thread !== thread) return;
      this.thread = null;
      this.ready = false;
      // Whatever it was running may or may not have reached the server.
      for (const socket of this.pending.values()) {
        socket.end(failureFrames("Error: the server's command host stopped while running this command\n"));
      }
      this.pending.clear();
    });
  }
}
