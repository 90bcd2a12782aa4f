// A live server against peers that do not hold the key, break the handshake
// or tamper with frames: each such connection is refused or closed, and the
// server goes on serving everyone else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fb from 'flatbuffers';
import WebSocket from 'ws';
import { Cluster, lines, oneLineError, withTimeout } from '../support/cluster.js';
import { PeerHandshake, type PeerRole } from '../../src/transport/handshake.js';
import type { FrameCipher } from '../../src/transport/frame-cipher.js';
import { keyFromHex } from '../../src/transport/secret-key.js';
import { encodeRegister, decodeServerMessage, TASK_REF_WORDS } from '../../src/transport/worker-codec.js';
import { writeStructWords } from '../../src/transport/struct-vector.js';
import {
  ClientRequest,
  ClientRequestT,
  ClientResponse,
  JobListRequest,
  Request,
  ResourceDescriptorT,
  ResourceGroupT,
  Response,
  ServerInfoRequestT,
  ServerPayload,
  TaskUpdates,
  WorkerMessage,
  WorkerPayload,
  WorkerRegister,
  WorkerRegisterT,
} from '../../src/transport/generated/protocol.js';

let c: Cluster;

before(async () => {
  c = await Cluster.start({ workers: [{ cpus: 1 }] });
});
after(() => c?.stop());

/** A WebSocket peer driven message by message. */
class RawPeer {
  private readonly queue: Buffer[] = [];
  private waiting: ((m: Buffer | null) => void) | null = null;
  readonly closed: Promise<{ code: number }>;
  isClosed = false;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(data);
      } else this.queue.push(data);
    });
    ws.on('error', () => {}); // a close follows
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.isClosed = true;
        this.waiting?.(null);
        this.waiting = null;
        resolve({ code });
      }),
    );
  }

  static open(port: number): Promise<RawPeer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const peer = new RawPeer(ws);
    return withTimeout(
      new Promise<RawPeer>((resolve, reject) => {
        ws.once('open', () => resolve(peer));
        ws.once('error', reject);
      }),
      10_000,
      () => `cannot open a WebSocket to port ${port}`,
    );
  }

  /** The next message, or null when the connection closes first. */
  next(): Promise<Buffer | null> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.isClosed) return Promise.resolve(null);
    return withTimeout(new Promise<Buffer | null>((resolve) => (this.waiting = resolve)), 10_000, () => 'no message from the server');
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Resolves with the close code once the server closed the connection. */
  waitClosed(): Promise<{ code: number }> {
    return withTimeout(this.closed, 10_000, () => 'the server kept a bad connection open');
  }
}

/** A peer that completed the handshake with `key` in `role`. */
async function authenticated(port: number, keyHex: string, role: PeerRole): Promise<{ peer: RawPeer; cipher: FrameCipher }> {
  const peer = await RawPeer.open(port);
  const hs = new PeerHandshake(keyFromHex(keyHex), role);
  peer.send(hs.receiveHello((await peer.next())!));
  const proof = await peer.next();
  assert.ok(proof, 'the server closed the connection during the handshake');
  return { peer, cipher: hs.receiveProof(proof) };
}

function serverInfoRequest(requestId: number): Uint8Array {
  const b = new fb.Builder(64);
  b.finish(new ClientRequestT(requestId, Request.ServerInfoRequest, new ServerInfoRequestT()).pack(b));
  return b.asUint8Array().slice();
}

/** Sends a sealed server-info request and checks the sealed reply. */
async function askServerInfo(peer: RawPeer, cipher: FrameCipher, requestId: number): Promise<void> {
  peer.send(cipher.seal(serverInfoRequest(requestId)));
  const reply = await peer.next();
  assert.ok(reply, 'no reply to a valid request');
  const res = ClientResponse.getRootAsClientResponse(new fb.ByteBuffer(cipher.open(reply)));
  assert.equal(res.requestId(), requestId);
  assert.equal(res.responseType(), Response.ServerInfoResponse);
}

/** The server still answers a normal client. */
async function serverServes(): Promise<void> {
  const info = await c.hqJson<{ server_uid: string }>(['server', 'info']);
  assert.equal(info.server_uid, c.access().server_uid);
}

test('a client with a wrong key is refused with one line; others are still served', async () => {
  const wrongKey = c.serverDirCopy('wrong-client-key', (a) => {
    a.client.secret_key = a.client.secret_key.replace(/^./, (d) => (d === '0' ? '1' : '0'));
  });
  const r = await c.hq(['--server-dir', wrongKey, 'job', 'list'], { noServerDir: true });
  const line = oneLineError(r);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(line, new RegExp(c.access().client.secret_key));
  await serverServes();
});

test('a worker using the client key is refused and never registers', async () => {
  const clientKeyAsWorker = c.serverDirCopy('client-key-worker', (a) => {
    a.worker.secret_key = a.client.secret_key;
  });
  const before = await c.hqOk(['--output-mode=quiet', 'worker', 'list', '--all']);
  const r = await c.hq(['--server-dir', clientKeyAsWorker, 'worker', 'start', '--cpus', '1'], { noServerDir: true });
  oneLineError(r);
  assert.equal(await c.hqOk(['--output-mode=quiet', 'worker', 'list', '--all']), before);

  // The same key with the worker role on the client port is refused too.
  const access = c.access();
  const peer = await RawPeer.open(access.client.port);
  const hs = new PeerHandshake(keyFromHex(access.client.secret_key), 'worker');
  peer.send(hs.receiveHello((await peer.next())!));
  assert.equal(await peer.next(), null, 'the server answered a peer in the wrong role');
  await serverServes();
});

test('garbage, truncated handshakes and early disconnects do not hurt the server', async () => {
  const { client, worker } = c.access();
  for (const port of [client.port, worker.port]) {
    // Garbage instead of a PeerHello (binary, oversized and text).
    for (const garbage of [Buffer.from('definitely not a handshake'), Buffer.alloc(64 * 1024, 0xab), 'text frame']) {
      const peer = await RawPeer.open(port);
      await peer.next();
      peer.send(garbage);
      assert.equal((await peer.waitClosed()).code, 1008);
    }
    // Garbage before the hello was even read.
    const eager = await RawPeer.open(port);
    eager.send(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await eager.waitClosed();

    // A truncated PeerHello.
    const truncated = await RawPeer.open(port);
    const role: PeerRole = port === client.port ? 'client' : 'worker';
    const key = port === client.port ? client.secret_key : worker.secret_key;
    const hello = new PeerHandshake(keyFromHex(key), role).receiveHello((await truncated.next())!);
    truncated.send(hello.subarray(0, hello.length >> 1));
    assert.equal((await truncated.waitClosed()).code, 1008);

    // Disconnects before and in the middle of the handshake.
    const silent = await RawPeer.open(port);
    silent.ws.terminate();
    const midway = await RawPeer.open(port);
    await midway.next();
    midway.ws.terminate();
    const afterHello = await RawPeer.open(port);
    afterHello.send(new PeerHandshake(keyFromHex(key), role).receiveHello((await afterHello.next())!));
    afterHello.ws.terminate();
  }
  await serverServes();
  const states = lines(await c.hqOk(['--output-mode=quiet', 'worker', 'list']));
  assert.deepEqual(states, [`${c.workers[0]!.id} RUNNING`]);
});

test('after a correct handshake a tampered frame closes the connection', async () => {
  const { client } = c.access();
  const { peer, cipher } = await authenticated(client.port, client.secret_key, 'client');
  await askServerInfo(peer, cipher, 1);
  const frame = Buffer.from(cipher.seal(serverInfoRequest(2)));
  frame[frame.length >> 1]! ^= 0x01;
  peer.send(frame);
  assert.equal((await peer.waitClosed()).code, 1008);

  // Other connections are unaffected.
  const other = await authenticated(client.port, client.secret_key, 'client');
  await askServerInfo(other.peer, other.cipher, 1);
  other.peer.ws.close();
  await serverServes();
});

test('after a correct handshake a replayed frame closes the connection', async () => {
  const { client } = c.access();
  const { peer, cipher } = await authenticated(client.port, client.secret_key, 'client');
  const frame = cipher.seal(serverInfoRequest(7));
  peer.send(frame);
  const reply = await peer.next();
  assert.ok(reply);
  assert.equal(ClientResponse.getRootAsClientResponse(new fb.ByteBuffer(cipher.open(reply))).requestId(), 7);
  peer.send(frame);
  assert.equal((await peer.waitClosed()).code, 1008);

  // A frame from one connection replayed on another fails there as well.
  const other = await authenticated(client.port, client.secret_key, 'client');
  other.peer.send(frame);
  assert.equal((await other.peer.waitClosed()).code, 1008);
  await serverServes();
});

/** Finishes a flatbuffer and overwrites the length of the vector at `vector` (as the builder returned it). */
function withVectorLength(b: fb.Builder, root: fb.Offset, vector: fb.Offset, length: number): Uint8Array {
  b.finish(root);
  const bytes = b.asUint8Array().slice();
  new DataView(bytes.buffer).setUint32(bytes.length - vector, length, true);
  return bytes;
}

test('a request claiming a vector far larger than its frame is refused, not obeyed', async () => {
  const { client } = c.access();
  const { peer, cipher } = await authenticated(client.port, client.secret_key, 'client');
  const b = new fb.Builder(64);
  const filter = JobListRequest.createFilterVector(b, [b.createString('RUNNING')]);
  const request = JobListRequest.createJobListRequest(b, true, filter);
  const bytes = withVectorLength(b, ClientRequest.createClientRequest(b, 5, Request.JobListRequest, request), filter, 0x7fffffff);
  peer.send(cipher.seal(bytes));
  const reply = await peer.next();
  if (reply !== null) {
    // Refused with an error reply, or the connection was closed.
    const res = ClientResponse.getRootAsClientResponse(new fb.ByteBuffer(cipher.open(reply)));
    assert.equal(res.responseType(), Response.ErrorResponse);
  }
  await serverServes();
});

/** A raw worker registration offering `cpus` as one group of these indices. */
function registration(hostname: string, cpus: string[]): Uint8Array {
  const reg = new WorkerRegisterT();
  reg.hostname = hostname;
  reg.resources = [new ResourceDescriptorT('cpus', 'list', [new ResourceGroupT(cpus)], 0)];
  reg.heartbeatSecs = 8;
  return encodeRegister(reg);
}

test('a worker registration claiming a vector far larger than its frame closes that connection', async () => {
  const { worker } = c.access();
  const before = await c.hqOk(['--output-mode=quiet', 'worker', 'list', '--all']);
  const bad = await authenticated(worker.port, worker.secret_key, 'worker');
  const b = new fb.Builder(256);
  const resources = WorkerRegister.createResourcesVector(b, [new ResourceDescriptorT('cpus', 'sum', [], 1).pack(b)]);
  WorkerRegister.startWorkerRegister(b);
  WorkerRegister.addResources(b, resources);
  const register = WorkerRegister.endWorkerRegister(b);
  const message = WorkerMessage.createWorkerMessage(b, WorkerPayload.WorkerRegister, register);
  bad.peer.send(bad.cipher.seal(withVectorLength(b, message, resources, 0x7fffffff)));
  assert.equal((await bad.peer.waitClosed()).code, 1008);
  await serverServes();
  assert.equal(await c.hqOk(['--output-mode=quiet', 'worker', 'list', '--all']), before);
});

test('a worker registration with resources the scheduler cannot use is refused', async () => {
  const { worker } = c.access();
  const running = await c.hqOk(['--output-mode=quiet', 'worker', 'list']);
  const empty = await authenticated(worker.port, worker.secret_key, 'worker');
  empty.peer.send(empty.cipher.seal(registration('empty', [])));
  await empty.peer.waitClosed();
  await serverServes();
  assert.equal(await c.hqOk(['--output-mode=quiet', 'worker', 'list']), running);
});

test('a registered worker whose task report claims more tasks than its frame holds is dropped', async () => {
  const { worker } = c.access();
  const liar = await authenticated(worker.port, worker.secret_key, 'worker');
  liar.peer.send(liar.cipher.seal(registration('liar', ['0'])));
  const registered = await liar.peer.next();
  assert.ok(registered, 'the server closed the connection of a valid registration');
  assert.equal(decodeServerMessage(liar.cipher.open(registered)).payloadType(), ServerPayload.WorkerRegistered);
  const u = new fb.Builder(64);
  const started = writeStructWords(u, new Uint32Array(TASK_REF_WORDS), 1, TASK_REF_WORDS);
  const updates = TaskUpdates.createTaskUpdates(u, started, 0, 0);
  const report = WorkerMessage.createWorkerMessage(u, WorkerPayload.TaskUpdates, updates);
  liar.peer.send(liar.cipher.seal(withVectorLength(u, report, started, 0x0fffffff)));
  assert.equal((await liar.peer.waitClosed()).code, 1008);
  await serverServes();
});
