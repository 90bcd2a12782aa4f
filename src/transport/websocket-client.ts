// The client end of a WebSocket (RFC 6455) over a plain TCP socket: just
// what the hq protocol needs (binary messages, ping/pong, close). Written on
// node:net instead of a general WebSocket library so that a CLI command does
// not load node's http, tls and zlib stacks: that load is most of the wall
// time of a short `hq` call.
import net from 'node:net';
import { EventEmitter } from 'node:events';

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export interface WebSocketClientOptions {
  /** Largest message accepted from the server, in bytes. */
  maxPayload: number;
  /** Time allowed for the TCP connect plus the HTTP upgrade. */
  timeoutMs: number;
}

/**
 * Events: 'upgrade-sent' (the upgrade request is on its way), 'open',
 * 'message' (Buffer), 'close', 'error' (Error with `code` for socket
 * errors). 'close' follows every 'open', exactly once.
 */
export class WebSocketClient extends EventEmitter {
  private readonly socket: net.Socket;
  private open = false;
  private ended = false;
  /** Received bytes not yet parsed into frames. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Payloads of a fragmented message so far. */
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    host: string,
    port: number,
    private readonly options: WebSocketClientOptions,
  ) {
    super();
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.timer = setTimeout(() => this.fail(Object.assign(new Error('the WebSocket upgrade timed out'), { code: 'ETIMEDOUT' })), options.timeoutMs);
    this.socket.once('connect', () => {
      // The key only has to look random to intermediaries; the hq handshake
      // that follows is what authenticates the server.
      const key = Buffer.from(`${Date.now()}${Math.random()}`.slice(0, 16)).toString('base64');
      this.socket.write(
        `GET / HTTP/1.1\r\nHost: ${formatHost(host)}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      this.emit('upgrade-sent');
    });
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.finish());
  }

  /** Bytes accepted by send() but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  send(payload: Uint8Array): void {
    if (!this.open || this.ended) return;
    this.writeFrame(OP_BINARY, payload);
  }

  /** Starts a closing handshake; 'close' follows when the server answers or the socket ends. */
  close(): void {
    if (this.ended) return;
    if (this.open) this.writeFrame(OP_CLOSE, new Uint8Array([0x03, 0xe8])); // 1000: normal closure
    this.socket.end();
  }

  /** Drops the connection at once. */
  terminate(): void {
    this.socket.destroy();
  }

  private writeFrame(opcode: number, payload: Uint8Array): void {
    const n = payload.length;
    const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
    // Client frames must be masked. The mask is zero: masking exists to stop
    // cache poisoning through proxies that misread the stream, and every hq
    // payload is already encrypted, so a zero mask saves a copy of each payload.
    const header = Buffer.allocUnsafe(2 + lengthBytes + 4);
    header[0] = 0x80 | opcode;
    if (lengthBytes === 0) header[1] = 0x80 | n;
    else if (lengthBytes === 2) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(n, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(n), 2);
    }
    header.writeUInt32BE(0, 2 + lengthBytes);
    if (n < 1024) {
      this.socket.write(Buffer.concat([header, payload]));
    } else {
      this.socket.cork();
      this.socket.write(header);
      this.socket.write(payload);
      this.socket.uncork();
    }
  }

  private receive(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.open) {
      if (!this.readUpgrade()) return;
    }
    while (!this.ended && this.readFrame()) {
      /* one frame per pass */
    }
  }

  /** Consumes the HTTP answer to the upgrade; false while it is incomplete. */
  private readUpgrade(): boolean {
    const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 16384) this.fail(new Error('the server sent an oversized HTTP answer'));
      this.pending = [head];
      return false;
    }
    const lines = head.toString('latin1', 0, end).split('\r\n');
    if (!/^HTTP\/1\.1 101\b/.test(lines[0] ?? '')) {
      this.fail(new Error(`the server refused the WebSocket upgrade: ${lines[0] ?? ''}`));
      return false;
    }
    if (!lines.some((l) => /^upgrade:\s*websocket\s*$/i.test(l))) {
      this.fail(new Error('the server answered the upgrade without "Upgrade: websocket"'));
      return false;
    }
    const rest = head.subarray(end + 4);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    this.open = true;
    clearTimeout(this.timer);
    this.emit('open');
    return true;
  }

  /** Parses one frame from the pending bytes; false when more bytes are needed. */
  private readFrame(): boolean {
    if (this.pendingBytes < 2) return false;
    const head = this.peek(Math.min(this.pendingBytes, 14));
    const fin = (head[0]! & 0x80) !== 0;
    const opcode = head[0]! & 0x0f;
    const masked = (head[1]! & 0x80) !== 0;
    let length = head[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (head.length < 4) return false;
      length = head.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (head.length < 10) return false;
      const big = head.readBigUInt64BE(2);
      if (big > BigInt(this.options.maxPayload)) {
        this.fail(new Error(`the server sent a frame of ${big} bytes, more than the limit of ${this.options.maxPayload}`));
        return false;
      }
      length = Number(big);
      offset = 10;
    }
    if (masked) {
      this.fail(new Error('the server sent a masked frame'));
      return false;
    }
    if (this.fragmentBytes + length > this.options.maxPayload) {
      this.fail(new Error(`the server sent a message over the limit of ${this.options.maxPayload} bytes`));
      return false;
    }
    if (this.pendingBytes < offset + length) return false;
    this.take(offset);
    const payload = this.take(length);
    this.handleFrame(fin, opcode, payload);
    return true;
  }

  private handleFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_BINARY:
      case OP_TEXT:
      case OP_CONTINUATION: {
        if (opcode !== OP_CONTINUATION && this.fragments.length > 0) {
          this.fail(new Error('the server started a message inside another'));
          return;
        }
        if (fin && this.fragments.length === 0) {
          this.emit('message', payload);
          return;
        }
        this.fragments.push(payload);
        this.fragmentBytes += payload.length;
        if (fin) {
          const whole = Buffer.concat(this.fragments, this.fragmentBytes);
          this.fragments = [];
          this.fragmentBytes = 0;
          this.emit('message', whole);
        }
        return;
      }
      case OP_PING:
        this.writeFrame(OP_PONG, payload);
        return;
      case OP_PONG:
        return;
      case OP_CLOSE:
        // Answer the closing handshake, then let the server close the TCP connection.
        this.writeFrame(OP_CLOSE, payload.subarray(0, 2));
        this.socket.end();
        return;
      default:
        this.fail(new Error(`the server sent an unknown WebSocket opcode ${opcode}`));
    }
  }

  /** The first n pending bytes without consuming them (n ≤ pendingBytes). */
  private peek(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.pending, this.pendingBytes).subarray(0, n);
  }

  /** Consumes n pending bytes (n ≤ pendingBytes), copying only when they span chunks. */
  private take(n: number): Buffer {
    this.pendingBytes -= n;
    const first = this.pending[0];
    if (n === 0) return Buffer.alloc(0);
    if (first!.length > n) {
      this.pending[0] = first!.subarray(n);
      return first!.subarray(0, n);
    }
    if (first!.length === n) {
      this.pending.shift();
      return first!;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.pending[0]!;
      const part = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(part);
    }
    return out;
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.emit('error', error);
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.emit('close');
  }
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
