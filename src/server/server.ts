// Starts a server: the control plane on this (main) thread, one scheduler
// thread and one or more I/O threads, wired by shared memory.
import net from 'node:net';
import os from 'node:os';
import crypto from 'node:crypto';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { TaskTable } from '../core/task-table.js';
import { RingBuffer } from '../core/ring-buffer.js';
import { Doorbell } from '../core/doorbell.js';
import { generateKey, keyToHex } from '../transport/secret-key.js';
import { UserError } from '../common/errors.js';
import { log } from '../common/log.js';
import { wrapPort, exposeOn } from '../common/comlink-node.js';
import { VERSION } from '../common/version.js';
import { ControlPlane } from './control-plane.js';
import { IdleCollector } from './idle-collector.js';
import { ClientService } from './client-service.js';
import { CommandHostListener } from '../command-host/listener.js';
import { createRunDir, mayBeAlive, readAccess, resolveServerDir, writeAccess, removeAccess } from './server-dir.js';
import type { ControlPlaneApi, IoThreadApi, IoThreadInit, SchedulerApi, SchedulerInit } from './thread-api.js';

export interface ServerOptions {
  serverDir?: string;
  /** Hostname or address written to the access file for workers and clients. */
  host?: string;
  clientPort?: number;
  workerPort?: number;
  /** Default worker idle timeout in seconds (0 = none). */
  idleTimeout?: number;
  ioThreads?: number;
}

const RING_WORDS = 1 << 20;

export interface RunningServer {
  serverDir: string;
  runDir: string;
  clientPort: number;
  workerPort: number;
  /** Resolves once the server has fully stopped. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const serverDir = resolveServerDir(opts.serverDir);
  const previous = readAccess(serverDir);
  if (previous && mayBeAlive(previous)) {
    throw new UserError(
      `A server is already running in ${serverDir} (pid ${previous.pid} on ${previous.hostname}); stop it first or use another --server-dir`,
    );
  }
  const ioCount = Math.max(1, opts.ioThreads ?? Number(process.env.HQ_IO_THREADS ?? 1));
  const host = opts.host || os.hostname();
  const serverUid = crypto.randomBytes(4).toString('hex').slice(0, 6);
  const clientKey = keyToHex(generateKey());
  const workerKey = keyToHex(generateKey());

  const table = TaskTable.create();
  const schedulerBell = Doorbell.create();
  const mainBell = Doorbell.create();
  const toMain = RingBuffer.create(RING_WORDS);
  const fromIo = Array.from({ length: ioCount }, () => RingBuffer.create(RING_WORDS));
  const toIo = Array.from({ length: ioCount }, () => RingBuffer.create(RING_WORDS));
  const ioBells = Array.from({ length: ioCount }, () => Doorbell.create());

  const threadUrl = (name: string) => new URL(`./${name}.js`, import.meta.url);
  const schedChannel = new MessageChannel();
  const schedulerInit: SchedulerInit = {
    table: table.shared,
    fromIo: fromIo.map((r) => r.buffer),
    toIo: toIo.map((r) => r.buffer),
    ioBells: ioBells.map((b) => b.buffer),
    toMain: toMain.buffer,
    mainBell: mainBell.buffer,
    ownBell: schedulerBell.buffer,
    apiPort: schedChannel.port2,
  };
  const schedulerThread = new Worker(threadUrl('scheduler-thread'), {
    workerData: schedulerInit,
    transferList: [schedChannel.port2],
    name: 'hq-scheduler',
  });
  const scheduler = wrapPort<SchedulerApi>(schedChannel.port1, () => schedulerBell.ring());

  const ioThreads: Worker[] = [];
  const ioApis: Array<ReturnType<typeof wrapPort<IoThreadApi>>> = [];
  const controlPorts: MessagePort[] = [];
  // uWebSockets.js shares a port between threads only when it is not 0, so
  // with several I/O threads the OS-assigned ports are picked up front.
  let clientPort = opts.clientPort ?? (ioCount > 1 ? await freePort() : 0);
  let workerPort = opts.workerPort ?? (ioCount > 1 ? await freePort() : 0);
  const threadFailed = (name: string) => (e: Error) => log.error(`${name} thread failed: ${e.stack ?? e.message}`);
  schedulerThread.on('error', threadFailed('scheduler'));

  try {
    for (let i = 0; i < ioCount; i++) {
      const control = new MessageChannel();
      const api = new MessageChannel();
      const init: IoThreadInit = {
        index: i,
        host: '0.0.0.0',
        clientPort,
        workerPort,
        clientKey,
        workerKey,
        version: VERSION,
        idleTimeoutSecs: opts.idleTimeout ?? 0,
        toScheduler: fromIo[i]!.buffer,
        fromScheduler: toIo[i]!.buffer,
        schedulerBell: schedulerBell.buffer,
        ioBell: ioBells[i]!.buffer,
        controlPort: control.port2,
        apiPort: api.port2,
      };
      const thread = new Worker(threadUrl('io-thread'), {
        workerData: init,
        transferList: [control.port2, api.port2],
        name: `hq-io-${i}`,
      });
      thread.on('error', threadFailed(`I/O ${i}`));
      ioThreads.push(thread);
      ioApis.push(wrapPort<IoThreadApi>(api.port1));
      controlPorts.push(control.port1);
      // The first thread picks the ports (OS-assigned unless given); the others share them.
      const ports = await new Promise<{ clientPort: number; workerPort: number }>((resolve, reject) => {
        thread.once('message', (m: { type: string; clientPort: number; workerPort: number; message?: string }) =>
          m.type === 'listening' ? resolve(m) : reject(new UserError(m.message ?? 'cannot listen')),
        );
        thread.once('exit', () => reject(new Error('I/O thread exited during start')));
      });
      clientPort = ports.clientPort;
      workerPort = ports.workerPort;
    }
  } catch (e) {
    await Promise.all([...ioThreads, schedulerThread].map((t) => t.terminate()));
    throw e;
  }

  const runDir = createRunDir(serverDir);
  const startTime = Date.now();
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | null = null;
  let commandHost: CommandHostListener | null = null;

  const controlPlane = new ControlPlane({
    serverUid,
    table,
    scheduler,
    io: ioApis,
    fromScheduler: toMain,
    ownBell: mainBell,
  });

  const collector = new IdleCollector();

  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      log.info('server is stopping');
      collector.stop();
      await Promise.all(ioApis.map((io) => io.shutdown()));
      await scheduler.stop();
      await controlPlane.stop();
      for (const p of controlPorts) p.close();
      schedChannel.port1.close();
      await Promise.all([...ioThreads, schedulerThread].map((t) => t.terminate()));
      await commandHost?.close();
      removeAccess(runDir);
      resolveStopped();
    })();
    return stopping;
  };

  const service = new ClientService(controlPlane, {
    serverDir,
    host,
    clientPort,
    workerPort,
    version: VERSION,
    startTime,
    stop: () => void stop(),
  });

  const controlApi: ControlPlaneApi = {
    registerWorker: (reg) => controlPlane.registerWorker(reg),
    activateWorker: (id) => controlPlane.activateWorker(id),
    workerEnded: (id, state) => controlPlane.workerEnded(id, state),
    clientRequest: (bytes) => {
      collector.noteRequest();
      return service.handle(bytes);
    },
    taskErrors: (errors) => controlPlane.recordTaskErrors(errors),
  };
  for (const port of controlPorts) exposeOn(controlApi, port);

  writeAccess(runDir, {
    version: VERSION,
    server_uid: serverUid,
    pid: process.pid,
    hostname: os.hostname(),
    start_date: new Date(startTime).toISOString(),
    client: { host, port: clientPort, secret_key: clientKey },
    worker: { host, port: workerPort, secret_key: workerKey },
  });
  const listener = await CommandHostListener.start(runDir);
  if (stopping) void listener?.close();
  else commandHost = listener;
  log.info(`server uid ${serverUid} started; clients on ${host}:${clientPort}, workers on ${host}:${workerPort}`);
  log.info(`server directory: ${serverDir}`);
  return { serverDir, runDir, clientPort, workerPort, stopped, stop };
}
