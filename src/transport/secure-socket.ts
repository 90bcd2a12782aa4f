// The connecting side of a server connection (workers and clients): a
// WebSocket, the handshake that proves both ends hold the key, then
// encrypted frames in both directions.
import { WebSocketClient } from './websocket-client.js';
import { libsodium } from './sodium.js';
import { PeerHandshake, type PeerRole } from './handshake.js';
import type { FrameCipher } from './frame-cipher.js';
import { ProtocolError } from '../common/errors.js';

export interface SecureSocketEvents {
  message(plain: Uint8Array): void;
  close(reason: string): void;
}

export class SecureSocket {
  private closed = false;

  private constructor(
    private readonly ws: WebSocketClient,
    private readonly cipher: FrameCipher,
    private readonly events: SecureSocketEvents,
  ) {
    ws.on('message', (data: Buffer) => {
      if (this.closed) return;
      let plain: Uint8Array;
      try {
        plain = cipher.open(data);
      } catch (e) {
        this.close();
        this.finish(`protocol error: ${(e as Error).message}`);
        return;
      }
      events.message(plain);
    });
    ws.on('close', () => this.finish('connection closed'));
    ws.on('error', (e) => this.finish(e.message));
  }

  /** Connects and authenticates; rejects with a short reason. */
  static connect(
    host: string,
    port: number,
    key: Uint8Array,
    role: PeerRole,
    events: SecureSocketEvents,
    timeoutMs = 10_000,
  ): Promise<SecureSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocketClient(host.startsWith('[') ? host.slice(1, -1) : host, port, {
        maxPayload: 512 * 1024 * 1024,
        timeoutMs,
      });
      const handshake = new PeerHandshake(key, role);
      // A short command loads libsodium here, while the server answers the
      // upgrade, instead of after the answer.
      ws.once('upgrade-sent', () => libsodium());
      let step = 0;
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(new ProtocolError(reason));
      };
      const timer = setTimeout(() => fail('the server did not complete the handshake'), timeoutMs);
      ws.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      ws.on('close', () => fail('the server closed the connection (wrong key?)'));
      ws.on('message', (data: Buffer) => {
        try {
          if (step === 0) {
            ws.send(handshake.receiveHello(data));
            step = 1;
          } else if (step === 1) {
            const cipher = handshake.receiveProof(data);
            settled = true;
            clearTimeout(timer);
            ws.removeAllListeners();
            resolve(new SecureSocket(ws, cipher, events));
          }
        } catch (e) {
          fail((e as Error).message);
        }
      });
    });
  }

  send(plain: Uint8Array): void {
    if (this.closed) return;
    this.ws.send(this.cipher.seal(plain));
  }

  /** Bytes queued in the socket but not yet written. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  close(): void {
    if (this.closed) return;
    this.ws.close();
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events.close(reason);
  }
}
