// An I/O thread of the server: terminates worker and client WebSocket
// connections (uWebSockets.js), runs the handshake, decrypts and decodes
// frames. Task progress from workers goes to the scheduler through a ring
// buffer; assignments come back the same way. Client requests and worker
// (de)registrations go to the control plane over comlink.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import uWS from '@trufflesuite/uws-js-unofficial';
import { RingBuffer } from '../core/ring-buffer.js';
import { Doorbell } from '../core/doorbell.js';
import { ServerHandshake } from '../transport/handshake.js';
import type { FrameCipher } from '../transport/frame-cipher.js';
import { keyFromHex } from '../transport/secret-key.js';
import {
  ASSIGNMENT_WORDS,
  TASK_REF_WORDS,
  decodeWorkerMessage,
  encodeAssign,
  encodeAssignMultiNode,
  encodeCancel,
  encodeRegistered,
  encodeSteal,
  encodeStop,
  encodeForgetJobs,
  finishedWords,
  startedWords,
  stealResponseWords,
  type DefinitionPart,
} from '../transport/worker-codec.js';
import { StealResponse, TaskUpdates, WorkerPayload, WorkerRegister, WorkerStopping } from '../transport/generated/protocol.js';
import { exposeOn, wrapPort } from '../common/comlink-node.js';
import { log } from '../common/log.js';
import { IoToScheduler, SchedulerToIo } from './ring-kinds.js';
import type { ControlPlaneApi, IoThreadApi, IoThreadInit, WorkerRegistration } from './thread-api.js';
import type { WorkerStateName } from '../client/types.js';

const init = workerData as IoThreadInit;
const toScheduler = RingBuffer.attach(init.toScheduler);
const fromScheduler = RingBuffer.attach(init.fromScheduler);
const schedulerBell = Doorbell.attach(init.schedulerBell);
const ownBell = Doorbell.attach(init.ioBell);
const control = wrapPort<ControlPlaneApi>(init.controlPort as MessagePort);

const MAX_FRAME = 256 * 1024 * 1024;

interface Connection {
  role: 'client' | 'worker';
  handshake: ServerHandshake | null;
  cipher: FrameCipher | null;
  /** Set once the worker registered. */
  workerId: number;
  /** Jobs whose definition this worker already has. */
  jobs: Set<number>;
  lastSeen: number;
  heartbeatMs: number;
  /** State to report when the connection ends (set by a stop or a worker's notice). */
  endState: WorkerStateName;
  open: boolean;
  ws: uWS.WebSocket<Connection> | null;
  address: string;
  /** Error texts of this worker's failed tasks handed to the control plane (see forwardUpdates). */
  errorsDelivered: Promise<void>;
}

const workers = new Map<number, Connection>();
/** Parts of each job's definition (one per submission), sent before its first task. */
const jobDefinitions = new Map<number, Uint8Array[]>();
const hostnames = new Map<number, string>();
const clients = new Set<Connection>();
/** Every open socket, registered or not: all must be closed before the thread ends. */
const openConnections = new Set<Connection>();
const listenSockets: uWS.us_listen_socket[] = [];
let shuttingDown = false;

function newConnection(role: 'client' | 'worker'): Connection {
  return {
    role,
    handshake: null,
    cipher: null,
    workerId: 0,
    jobs: new Set(),
    lastSeen: Date.now(),
    heartbeatMs: 8000,
    endState: 'CONNECTION LOST',
    open: true,
    ws: null,
    address: '',
    errorsDelivered: Promise.resolve(),
  };
}

function send(conn: Connection, plain: Uint8Array): void {
  if (!conn.open || !conn.ws || !conn.cipher) return;
  let frame: Uint8Array;
  try {
    frame = conn.cipher.seal(plain);
  } catch (e) {
    // Too large for one frame: that connection cannot be served, the server goes on.
    drop(conn, (e as Error).message);
    return;
  }
  conn.ws.send(frame, true);
}

function drop(conn: Connection, reason: string): void {
  if (!conn.open) return;
  log.warn(`closing ${conn.role} connection from ${conn.address}: ${reason}`);
  conn.ws?.end(1008, 'protocol error');
}

function behaviour(role: 'client' | 'worker', keyHex: string): uWS.WebSocketBehavior<Connection> {
  const key = keyFromHex(keyHex);
  return {
    maxPayloadLength: MAX_FRAME,
    idleTimeout: 0,
    maxBackpressure: 1024 * 1024 * 1024,
    closeOnBackpressureLimit: 0,
    sendPingsAutomatically: false,
    upgrade(res, req, context) {
      res.upgrade(
        newConnection(role),
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open(ws) {
      const conn = ws.getUserData();
      conn.ws = ws;
      conn.address = Buffer.from(ws.getRemoteAddressAsText()).toString();
      if (shuttingDown) {
        ws.end(1001, 'server stopping');
        return;
      }
      conn.handshake = new ServerHandshake(key, role, init.version);
      ws.send(conn.handshake.start(), true);
      if (role === 'client') clients.add(conn);
      openConnections.add(conn);
    },
    message(ws, message) {
      const conn = ws.getUserData();
      // uWS reuses the message buffer after this call returns: copy what is kept.
      const bytes = new Uint8Array(message);
      try {
        if (!conn.cipher) {
          const { reply, cipher } = conn.handshake!.receive(bytes);
          conn.handshake = null;
          ws.send(reply, true);
          conn.cipher = cipher;
          return;
        }
        const plain = conn.cipher.open(bytes);
        conn.lastSeen = Date.now();
        if (role === 'worker') onWorkerFrame(conn, plain);
        else onClientFrame(conn, plain.slice());
      } catch (e) {
        drop(conn, (e as Error).message);
      }
    },
    close(ws) {
      const conn = ws.getUserData();
      conn.open = false;
      conn.ws = null;
      openConnections.delete(conn);
      if (role === 'client') clients.delete(conn);
      else if (conn.workerId) workerEnded(conn);
    },
  };
}

// ---- workers ----

function onWorkerFrame(conn: Connection, plain: Uint8Array): void {
  const msg = decodeWorkerMessage(plain);
  switch (msg.payloadType()) {
    case WorkerPayload.TaskUpdates:
      if (!conn.workerId) throw new Error('task updates before registration');
      forwardUpdates(conn, msg.payload(new TaskUpdates()) as TaskUpdates);
      break;
    case WorkerPayload.Heartbeat:
      break;
    case WorkerPayload.StealResponse: {
      if (!conn.workerId) throw new Error('steal response before registration');
      const { returned, started } = stealResponseWords(msg.payload(new StealResponse()) as StealResponse);
      const words = new Uint32Array(2 + (returned.length + started.length) / 2);
      words[0] = conn.workerId;
      words[1] = returned.length / 2;
      for (let i = 0; i < returned.length; i += 2) words[2 + i / 2] = returned[i]!;
      for (let i = 0; i < started.length; i += 2) words[2 + returned.length / 2 + i / 2] = started[i]!;
      pendingToScheduler.push([IoToScheduler.StealResult, words]);
      flushToScheduler();
      break;
    }
    case WorkerPayload.WorkerRegister:
      if (conn.workerId) throw new Error('second registration');
      register(conn, msg.payload(new WorkerRegister()) as WorkerRegister);
      break;
    case WorkerPayload.WorkerStopping: {
      const reason = (msg.payload(new WorkerStopping()) as WorkerStopping).reason() ?? 'STOPPED';
      if (reason === 'IDLE TIMEOUT' || reason === 'TIME LIMIT REACHED' || reason === 'STOPPED') conn.endState = reason;
      break;
    }
    default:
      throw new Error('unknown worker message');
  }
}

function register(conn: Connection, reg: WorkerRegister): void {
  const info = reg.unpack();
  conn.heartbeatMs = Math.max(100, (info.heartbeatSecs || 8) * 1000);
  const registration: WorkerRegistration = {
    io: init.index,
    hostname: String(info.hostname ?? ''),
    group: String(info.group ?? ''),
    workDir: String(info.workDir ?? ''),
    version: String(info.version ?? ''),
    resources: info.resources.map((r) => ({
      name: String(r.name ?? ''),
      kind: (String(r.kind ?? 'sum') as 'list' | 'groups' | 'range' | 'sum'),
      groups: r.groups.map((g) => g.indices.map(String)),
      sum: r.sum,
    })),
    heartbeatSecs: info.heartbeatSecs,
    idleTimeoutSecs: info.idleTimeoutSecs,
    timeLimitSecs: info.timeLimitSecs,
    manager: String(info.manager ?? 'none'),
    managerJobId: String(info.managerJobId ?? ''),
    zeroWork: info.zeroWork,
    prefetch: info.prefetch,
    pid: info.pid,
    address: conn.address,
    coupling: info.coupling.map(String),
  };
  // The worker is known here before the scheduler may assign it anything:
  // registration first, activation (the scheduler learns of it) second.
  control.registerWorker(registration).then(
    async ({ workerId, serverUid }) => {
      if (!conn.open) {
        void control.workerEnded(workerId, 'CONNECTION LOST');
        return;
      }
      conn.workerId = workerId;
      workers.set(workerId, conn);
      send(conn, encodeRegistered(workerId, serverUid, init.idleTimeoutSecs));
      // The scheduler may still refuse what the worker offers.
      await control.activateWorker(workerId).catch((e: Error) => drop(conn, `registration refused: ${e.message}`));
    },
    (e: Error) => drop(conn, `registration refused: ${e.message}`),
  );
}

function workerEnded(conn: Connection): void {
  workers.delete(conn.workerId);
  const state = conn.endState;
  log.info(`worker ${conn.workerId} ended: ${state}`);
  // After its last failures: the scheduler learns of those before it takes the worker's tasks back.
  const workerId = conn.workerId;
  void conn.errorsDelivered.then(() => control.workerEnded(workerId, state));
}

/** Pushes a worker's task progress to the scheduler, retrying while the ring is full. */
const pendingToScheduler: Array<[number, Uint32Array]> = [];

function forwardUpdates(conn: Connection, updates: TaskUpdates): void {
  const started = startedWords(updates);
  const finished = finishedWords(updates);
  if (started.length) pendingToScheduler.push([IoToScheduler.Started, started]);
  if (finished.length) pendingToScheduler.push([IoToScheduler.Finished, finished]);
  const failedCount = updates.failedLength();
  if (failedCount > 0) {
    const words = new Uint32Array(failedCount * TASK_REF_WORDS);
    const errors: Array<[number, number, string]> = [];
    for (let i = 0; i < failedCount; i++) {
      const f = updates.failed(i)!;
      words[i * 2] = f.row();
      words[i * 2 + 1] = f.instance();
      errors.push([f.row(), f.instance(), f.error() ?? '']);
    }
    // The failures reach the scheduler only once the control plane holds
    // their texts, so that it knows them when the scheduler reports them.
    const forward = () => {
      pendingToScheduler.push([IoToScheduler.Failed, words]);
      flushToScheduler();
    };
    conn.errorsDelivered = conn.errorsDelivered.then(() => control.taskErrors(errors)).then(forward, forward);
  }
  flushToScheduler();
}

let retryTimer: NodeJS.Timeout | null = null;

function flushToScheduler(): void {
  let pushed = false;
  while (pendingToScheduler.length > 0) {
    const [kind, words] = pendingToScheduler[0]!;
    // Large batches are split so that each record fits the ring.
    const chunk = Math.min(words.length, 1 << 16);
    if (!toScheduler.tryPush(kind, words, 0, chunk)) break;
    pushed = true;
    if (chunk === words.length) pendingToScheduler.shift();
    else pendingToScheduler[0] = [kind, words.subarray(chunk)];
  }
  if (pushed) schedulerBell.ring();
  if (pendingToScheduler.length > 0 && !retryTimer) {
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flushToScheduler();
    }, 1);
  }
}

const NO_DEFINITIONS: readonly DefinitionPart[] = [];

/**
 * The definitions of the jobs of `jobs` (every `stride`-th entry) that the
 * worker has not had yet, which it now counts as sent.
 */
function newDefinitions(conn: Connection, jobs: ArrayLike<number>, stride: number): readonly DefinitionPart[] {
  let parts: DefinitionPart[] | null = null;
  let previous = -1;
  for (let i = 0; i < jobs.length; i += stride) {
    const job = jobs[i]!;
    // Assignments come in runs of one job's tasks: one lookup per run.
    if (job === previous) continue;
    previous = job;
    if (conn.jobs.has(job)) continue;
    const definition = jobDefinitions.get(job);
    // An ended job's definition is gone: its task here was canceled, and the cancel follows.
    if (definition === undefined) continue;
    conn.jobs.add(job);
    for (const part of definition) (parts ??= []).push([job, part]);
  }
  return parts ?? NO_DEFINITIONS;
}

/** Definitions up to this size in all travel inside the assignment that needs them. */
const MAX_DEFINITIONS_IN_ASSIGNMENT = 1024 * 1024;

function definitionBytes(parts: readonly DefinitionPart[]): number {
  let bytes = 0;
  for (const [, part] of parts) bytes += part.length;
  return bytes;
}

// Assignments, cancellations and steals from the scheduler.
function drainScheduler(): void {
  fromScheduler.drain((kind, data, offset, words) => {
    const workerId = data[offset]!;
    const conn = workers.get(workerId);
    if (!conn) return; // gone: the scheduler already took its tasks back
    const body = new Uint32Array(data.buffer, data.byteOffset + (offset + 1) * 4, words - 1);
    if (kind === SchedulerToIo.Assign) {
      const count = body.length / ASSIGNMENT_WORDS;
      // Word 2 of an assignment is its job.
      const definitions = newDefinitions(conn, body.subarray(2), ASSIGNMENT_WORDS);
      if (definitionBytes(definitions) > MAX_DEFINITIONS_IN_ASSIGNMENT) {
        // Large ones (long --each-line lists) each in a frame of their own, so the assignment stays within a frame's limit.
        for (const [, part] of definitions) send(conn, part);
        send(conn, encodeAssign(body, count));
      } else {
        send(conn, encodeAssign(body, count, definitions));
      }
    } else if (kind === SchedulerToIo.AssignMultiNode) {
      const ids = body.subarray(ASSIGNMENT_WORDS);
      const message = encodeAssignMultiNode(body.subarray(0, ASSIGNMENT_WORDS), [...ids].map((id) => hostnames.get(id) ?? ''));
      // Rare: the definition goes ahead in a frame of its own.
      for (const [, part] of newDefinitions(conn, body.subarray(2, 3), 1)) send(conn, part);
      send(conn, message);
    } else if (kind === SchedulerToIo.Cancel) {
      send(conn, encodeCancel(body, body.length / TASK_REF_WORDS));
    } else if (kind === SchedulerToIo.Steal) {
      send(conn, encodeSteal(body, body.length / TASK_REF_WORDS));
    }
  });
}

async function ioLoop(): Promise<void> {
  while (!shuttingDown) {
    const seen = ownBell.value;
    drainScheduler();
    await ownBell.waitAsync(seen);
  }
}

// Heartbeats: a worker silent for three intervals is considered lost.
const heartbeatTimer = setInterval(() => {
  const now = Date.now();
  for (const conn of workers.values()) {
    if (now - conn.lastSeen > 3 * conn.heartbeatMs && conn.open) {
      conn.endState = 'HEARTBEAT LOST';
      conn.ws?.close();
    }
  }
}, 1000);

// ---- clients ----

function onClientFrame(conn: Connection, plain: Uint8Array): void {
  control.clientRequest(plain).then(
    (reply) => send(conn, reply),
    (e: Error) => drop(conn, `request failed: ${e.message}`),
  );
}

// ---- control from the main thread ----

const api: IoThreadApi = {
  defineJob(jobId, definition) {
    const parts = jobDefinitions.get(jobId);
    if (!parts) {
      jobDefinitions.set(jobId, [definition]);
      return;
    }
    parts.push(definition);
    // Workers that already know the job learn its new tasks' templates now.
    for (const conn of workers.values()) if (conn.jobs.has(jobId)) send(conn, definition);
  },
  knowWorker(workerId, hostname) {
    hostnames.set(workerId, hostname);
  },
  jobsEnded(jobIds) {
    const told = new Map<Connection, number[]>();
    for (const jobId of jobIds) {
      jobDefinitions.delete(jobId);
      for (const conn of workers.values()) {
        if (!conn.jobs.delete(jobId)) continue;
        const ids = told.get(conn);
        if (ids === undefined) told.set(conn, [jobId]);
        else ids.push(jobId);
      }
    }
    for (const [conn, ids] of told) send(conn, encodeForgetJobs(Uint32Array.from(ids)));
  },
  stopWorker(workerId, reason) {
    const conn = workers.get(workerId);
    if (!conn) return false;
    conn.endState = 'STOPPED';
    send(conn, encodeStop(reason));
    return true;
  },
  async shutdown() {
    shuttingDown = true;
    clearInterval(heartbeatTimer);
    for (const conn of workers.values()) {
      conn.endState = 'STOPPED';
      send(conn, encodeStop('server stopping'));
    }
    for (const s of listenSockets) uWS.us_listen_socket_close(s);
    listenSockets.length = 0;
    // Give stop messages a moment to leave, then close what is still open.
    await new Promise((r) => setTimeout(r, 50));
    for (const conn of [...openConnections]) conn.ws?.close();
    // Node aborts a thread that ends with open uWS handles: wait until every
    // close has been processed by the loop.
    for (let i = 0; i < 100 && openConnections.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    ownBell.ring();
  },
};

function listen(app: uWS.TemplatedApp, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    app.listen(init.host, port, (token) => {
      if (!token) {
        reject(new Error(`cannot listen on ${init.host}:${port}`));
        return;
      }
      listenSockets.push(token);
      resolve(uWS.us_socket_local_port(token as unknown as uWS.us_socket));
    });
  });
}

async function main(): Promise<void> {
  exposeOn(api, init.apiPort as MessagePort);
  const clientApp = uWS.App().ws('/*', behaviour('client', init.clientKey));
  const workerApp = uWS.App().ws('/*', behaviour('worker', init.workerKey));
  try {
    const clientPort = await listen(clientApp, init.clientPort);
    const workerPort = await listen(workerApp, init.workerPort);
    parentPort!.postMessage({ type: 'listening', clientPort, workerPort });
  } catch (e) {
    for (const s of listenSockets) uWS.us_listen_socket_close(s);
    parentPort!.postMessage({ type: 'error', message: (e as Error).message });
    return;
  }
  void ioLoop();
}

void main();
