// A rehearsal of the commands that tools run once per task (`hq submit`,
// `hq job list`, in each output mode), played inside the builder of the
// `hq` startup snapshot (snapshot-entry.ts). The snapshot keeps the bytecode
// V8 compiled on the way and Node's modules the commands loaded, so a real
// command starts with all of it ready: reading the command line, connecting,
// the handshake, building and reading protocol messages, printing.
//
// The commands run for real against a stand-in server on a loopback port,
// found through a server directory of its own, as any server is. It speaks
// the real protocol (WebSocket upgrade, handshake, encrypted frames) and
// answers each request from a table. The one thing stood in for is
// libsodium, whose addon cannot be part of a snapshot: its operations are
// played by functions of the same shape without any secrecy, and the addon
// is only looked for, so that a command need not search for it.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as fb from 'flatbuffers';
import type { Sodium } from 'sodium-native';
import { VERSION } from '../common/version.js';
import { createRunDir, writeAccess } from '../server/server-dir.js';
import type { FrameCipher } from '../transport/frame-cipher.js';
import { ServerHandshake } from '../transport/handshake.js';
import { generateKey, keyToHex } from '../transport/secret-key.js';
import { locateSodium, setSodiumStandIn } from '../transport/sodium.js';
import {
  ClientRequest,
  ClientResponseT,
  ErrorResponseT,
  JobInfoT,
  JobsResponseT,
  Request,
  Response,
  SubmitResponseT,
} from '../transport/generated/protocol.js';
import { commandRunner, runCommandLine } from './main.js';

/** Command lines rehearsed, each in every output mode. */
const COMMANDS: readonly string[][] = [
  ['submit', '--stdout', 'none', '--stderr', 'none', '--', '/bin/true'],
  ['submit', '--array', '1-10', '--cpus', '1', '--', '/bin/echo', 'x'],
  ['job', 'list'],
  ['job', 'list', '--all'],
];
const MODES = ['cli', 'json', 'quiet'];

function job(id: number, state: string, finished: number, running: number): JobInfoT {
  return Object.assign(new JobInfoT(), { id, name: 'true', state, taskCount: 10, finished, running, waiting: 10 - finished - running });
}

/** The stand-in server's answer to each request. */
function answer(id: number, type: Request): ClientResponseT {
  switch (type) {
    case Request.SubmitRequest:
      return new ClientResponseT(id, Response.SubmitResponse, new SubmitResponseT(1));
    case Request.JobListRequest:
      return new ClientResponseT(id, Response.JobsResponse, new JobsResponseT([job(1, 'FINISHED', 10, 0), job(2, 'RUNNING', 3, 2)]));
    default:
      return new ClientResponseT(id, Response.ErrorResponse, new ErrorResponseT(`request ${Request[type]} is not rehearsed`));
  }
}

/** libsodium's operations as used by the transport, in shape only. */
const STAND_IN_SODIUM = {
  randombytes_buf: (buf: Buffer) => void buf.fill(0x5a),
  sodium_memcmp: (a: Buffer, b: Buffer) => a.equals(b),
  sodium_memzero: (buf: Buffer) => void buf.fill(0),
  crypto_generichash(out: Buffer, input: Buffer, key: Buffer) {
    out.fill(0);
    for (let i = 0; i < input.length; i++) out[i % out.length]! ^= input[i]!;
    for (let i = 0; i < key.length; i++) out[i % out.length]! ^= key[i]!;
  },
  crypto_aead_xchacha20poly1305_ietf_encrypt(out: Buffer, plain: Uint8Array) {
    out.set(plain);
    out.fill(0, plain.length);
    return out.length;
  },
  crypto_aead_xchacha20poly1305_ietf_decrypt(out: Buffer, _nsec: null, frame: Uint8Array) {
    out.set(frame.subarray(0, out.length));
    return out.length;
  },
} as unknown as Sodium;

/** A WebSocket frame from the server (unmasked), for payloads under 64 KiB. */
function serverFrame(opcode: number, payload: Uint8Array): Buffer {
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}

/** The server's side of one connection: upgrade, handshake, then answers. */
function standInConnection(socket: net.Socket, key: Buffer): void {
  const handshake = new ServerHandshake(key, 'client', VERSION);
  const builder = new fb.Builder(1024);
  let cipher: FrameCipher | null = null;
  let upgraded = false;
  let pending = Buffer.alloc(0);
  const onFrame = (opcode: number, payload: Buffer) => {
    if (opcode === 0x8) {
      socket.end(serverFrame(0x8, payload.subarray(0, 2)));
    } else if (!cipher) {
      const { reply, cipher: established } = handshake.receive(payload);
      cipher = established;
      socket.write(serverFrame(0x2, reply));
    } else {
      const request = ClientRequest.getRootAsClientRequest(new fb.ByteBuffer(cipher.open(payload))).unpack();
      builder.clear();
      builder.finish(answer(request.requestId, request.requestType).pack(builder));
      socket.write(serverFrame(0x2, cipher.seal(builder.asUint8Array())));
    }
  };
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    if (!upgraded) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      pending = pending.subarray(end + 4);
      upgraded = true;
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.write(serverFrame(0x2, handshake.start()));
    }
    // Client frames are masked: the 4 mask bytes follow the length.
    for (;;) {
      if (pending.length < 2) return;
      const short = pending[1]! & 0x7f;
      const headBytes = short === 126 ? 4 : 2;
      if (pending.length < headBytes + 4) return;
      const length = short === 126 ? pending.readUInt16BE(2) : short;
      if (pending.length < headBytes + 4 + length) return;
      const mask = pending.subarray(headBytes, headBytes + 4);
      const payload = Buffer.from(pending.subarray(headBytes + 4, headBytes + 4 + length));
      for (let i = 0; i < length; i++) payload[i]! ^= mask[i % 4]!;
      const opcode = pending[0]! & 0x0f;
      pending = pending.subarray(headBytes + 4 + length);
      onFrame(opcode, payload);
    }
  });
  socket.on('error', () => socket.destroy());
}

/** Plays every rehearsed command; throws when one fails or prints nothing. */
export async function rehearseCommands(): Promise<void> {
  locateSodium();
  setSodiumStandIn(STAND_IN_SODIUM);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-rehearsal-'));
  const key = generateKey();
  const server = net.createServer((socket) => standInConnection(socket, key));
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const endpoint = { host: '127.0.0.1', port, secret_key: keyToHex(key) };
    const hostname = os.hostname();
    writeAccess(createRunDir(dir), {
      version: VERSION,
      server_uid: 'rehearsal',
      pid: process.pid,
      hostname,
      start_date: new Date().toISOString(),
      client: endpoint,
      worker: endpoint,
    });
    for (const mode of MODES) {
      for (const line of COMMANDS) {
        let printed = '';
        let errors = '';
        let code = 0;
        const printer = { write: (text: string) => void (printed += text), writeError: (text: string) => void (errors += text) };
        const run = commandRunner((c) => (code = c), printer);
        await runCommandLine(['--server-dir', dir, '--output-mode', mode, ...line], run, () => {
          throw new Error('a rehearsed command read standard input');
        });
        if (code !== 0 || errors !== '' || (mode !== 'quiet' && printed === '')) {
          throw new Error(`rehearsal of \`hq --output-mode ${mode} ${line.join(' ')}\` failed (exit ${code}): ${errors.trim()}`);
        }
      }
    }
  } finally {
    setSodiumStandIn(undefined);
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
