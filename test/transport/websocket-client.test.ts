// The WebSocket client against a hand-written server on loopback, so that
// each frame shape (lengths, fragments, control frames) is exercised exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketClient } from '../../src/transport/websocket-client.js';

interface ReceivedFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** A server that answers the upgrade and then lets the test script the frames. */
async function scriptedServer(answer = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n') {
  const frames: ReceivedFrame[] = [];
  let socket!: net.Socket;
  let request = '';
  const server = net.createServer();
  const connected = new Promise<void>((resolve) => {
    server.once('connection', (s) => {
      socket = s;
      let buffer = Buffer.alloc(0);
      let upgraded = false;
      s.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (!upgraded) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          request = buffer.subarray(0, end).toString();
          buffer = buffer.subarray(end + 4);
          upgraded = true;
          s.write(answer);
          resolve();
        }
        for (;;) {
          const frame = readClientFrame(buffer);
          if (!frame) break;
          frames.push(frame.frame);
          buffer = buffer.subarray(frame.size);
        }
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    frames,
    connected,
    get request() {
      return request;
    },
    send: (bytes: Buffer) => socket.write(bytes),
    end: () => socket.end(),
    close: () => server.close(),
  };
}

function readClientFrame(b: Buffer): { frame: ReceivedFrame; size: number } | null {
  if (b.length < 2) return null;
  let length = b[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (b.length < 4) return null;
    length = b.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (b.length < 10) return null;
    length = Number(b.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (b[1]! & 0x80) !== 0;
  const mask = masked ? b.subarray(offset, offset + 4) : null;
  if (masked) offset += 4;
  if (b.length < offset + length) return null;
  const payload = Buffer.from(b.subarray(offset, offset + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return { frame: { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, masked, payload }, size: offset + length };
}

/** An unmasked server frame. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (n >= 126 && n < 65536) {
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([header, payload]);
}

const OPTIONS = { maxPayload: 1 << 24, timeoutMs: 5000 };

test('sends masked binary frames of every length encoding and receives the server frames', async () => {
  const server = await scriptedServer();
  const client = new WebSocketClient('127.0.0.1', server.port, OPTIONS);
  await once(client, 'open');
  assert.match(server.request, /^GET \/ HTTP\/1\.1\r\n/);
  assert.match(server.request, /\r\nSec-WebSocket-Version: 13/);
  const sizes = [0, 5, 125, 126, 65535, 65536, 300_000];
  for (const n of sizes) client.send(Buffer.alloc(n, n % 251));
  await waitFor(() => server.frames.length === sizes.length);
  for (const [i, frame] of server.frames.entries()) {
    assert.equal(frame.opcode, 2);
    assert.equal(frame.fin, true);
    assert.equal(frame.masked, true, 'client frames must be masked');
    assert.equal(frame.payload.length, sizes[i]);
    assert.ok(frame.payload.every((b) => b === sizes[i]! % 251));
  }

  const received: Buffer[] = [];
  client.on('message', (m: Buffer) => received.push(m));
  const big = Buffer.alloc(200_000, 7);
  // One write holding two frames, then a frame split across many writes.
  server.send(Buffer.concat([serverFrame(2, Buffer.from('one')), serverFrame(2, Buffer.from('two'))]));
  const split = serverFrame(2, big);
  for (let i = 0; i < split.length; i += 1000) server.send(split.subarray(i, i + 1000));
  await waitFor(() => received.length === 3);
  assert.equal(received[0]!.toString(), 'one');
  assert.equal(received[1]!.toString(), 'two');
  assert.ok(received[2]!.equals(big));
  client.terminate();
  server.close();
});

test('reassembles fragmented messages and answers pings between fragments', async () => {
  const server = await scriptedServer();
  const client = new WebSocketClient('127.0.0.1', server.port, OPTIONS);
  await once(client, 'open');
  const received: Buffer[] = [];
  client.on('message', (m: Buffer) => received.push(m));
  server.send(serverFrame(2, Buffer.from('ab'), false));
  server.send(serverFrame(9, Buffer.from('ping!')));
  server.send(serverFrame(0, Buffer.from('cd'), false));
  server.send(serverFrame(0, Buffer.from('ef'), true));
  await waitFor(() => received.length === 1 && server.frames.length === 1);
  assert.equal(received[0]!.toString(), 'abcdef');
  assert.equal(server.frames[0]!.opcode, 0xa, 'a ping is answered by a pong');
  assert.equal(server.frames[0]!.payload.toString(), 'ping!');
  client.terminate();
  server.close();
});

test('a close frame from the server is answered and ends in one close event', async () => {
  const server = await scriptedServer();
  const client = new WebSocketClient('127.0.0.1', server.port, OPTIONS);
  await once(client, 'open');
  let closes = 0;
  client.on('close', () => closes++);
  server.send(serverFrame(8, Buffer.from([0x03, 0xe8])));
  await waitFor(() => server.frames.length === 1);
  assert.equal(server.frames[0]!.opcode, 8);
  server.end();
  await waitFor(() => closes === 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(closes, 1);
  server.close();
});

test('a refused upgrade, an oversized frame and a refused connection are errors', async () => {
  const refusing = await scriptedServer('HTTP/1.1 403 Forbidden\r\n\r\n');
  const a = new WebSocketClient('127.0.0.1', refusing.port, OPTIONS);
  const [e1] = (await once(a, 'error')) as [Error];
  assert.match(e1.message, /refused the WebSocket upgrade: HTTP\/1\.1 403/);
  refusing.close();

  const server = await scriptedServer();
  const b = new WebSocketClient('127.0.0.1', server.port, { maxPayload: 1000, timeoutMs: 5000 });
  await once(b, 'open');
  const failed = once(b, 'error');
  server.send(serverFrame(2, Buffer.alloc(2000)));
  const [e2] = (await failed) as [Error];
  assert.match(e2.message, /over the limit of 1000 bytes/);
  server.close();

  const port = server.port; // now closed
  const c = new WebSocketClient('127.0.0.1', port, OPTIONS);
  const [e3] = (await once(c, 'error')) as [NodeJS.ErrnoException];
  assert.equal(e3.code, 'ECONNREFUSED');
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
