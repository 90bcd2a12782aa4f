// A client's authenticated connection to the server: one request, one
// response with the same id; several may be in flight.
import os from 'node:os';
import * as fb from 'flatbuffers';
import { SecureSocket } from '../transport/secure-socket.js';
import { keyFromHex } from '../transport/secret-key.js';
import { ClientRequestT, ClientResponse, ClientResponseT, Request, Response, ErrorResponseT } from '../transport/generated/protocol.js';
import { requireAccess, type AccessRecord } from '../server/server-dir.js';
import { UserError } from '../common/errors.js';

export class ServerConnection {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ClientResponseT) => void; reject: (e: Error) => void }>();
  private readonly builder = new fb.Builder(1024);
  private socket!: SecureSocket;
  private lost: string | null = null;

  private constructor(readonly access: AccessRecord) {}

  static async connect(serverDir: string): Promise<ServerConnection> {
    const access = requireAccess(serverDir);
    const conn = new ServerConnection(access);
    const key = keyFromHex(access.client.secret_key);
    const events = {
      message: (plain: Uint8Array) => conn.onMessage(plain),
      close: (reason: string) => conn.onClose(reason),
    };
    const dial = (host: string) => SecureSocket.connect(host, access.client.port, key, 'client', events);
    try {
      // The server listens on every interface: when it runs on this machine,
      // loopback reaches it without a name lookup, which alone would cost a
      // short command several milliseconds. A machine that only shares the
      // hostname (containers) refuses there, and the published host is tried.
      const local = access.hostname === os.hostname();
      conn.socket = local
        ? await dial('127.0.0.1').catch((e: Error) => {
            if (e.message !== 'ECONNREFUSED') throw e;
            return dial(access.client.host);
          })
        : await dial(access.client.host);
    } catch (e) {
      const reason = (e as Error).message;
      if (reason === 'ECONNREFUSED' || reason === 'ENOTFOUND' || reason === 'EHOSTUNREACH') {
        throw new UserError(`No server is running (server directory ${serverDir})`);
      }
      throw new UserError(`Cannot connect to the server at ${access.client.host}:${access.client.port}: ${reason}`);
    }
    return conn;
  }

  /** Sends a request; resolves with the response body or rejects with the server's error. */
  request<T>(type: Request, body: ClientRequestT['request'], expect: Response): Promise<T> {
    if (this.lost) return Promise.reject(new UserError(`Connection to the server lost: ${this.lost}`));
    const id = this.nextId++;
    const b = this.builder;
    b.clear();
    b.finish(new ClientRequestT(id, type, body).pack(b));
    const bytes = b.asUint8Array().slice();
    return new Promise<ClientResponseT>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(bytes);
    }).then((res) => {
      if (res.responseType === Response.ErrorResponse) {
        const msg = (res.response as ErrorResponseT).message;
        throw new UserError(typeof msg === 'string' ? msg : 'the server refused the request');
      }
      if (res.responseType !== expect) throw new UserError('unexpected response from the server');
      return res.response as T;
    });
  }

  close(): void {
    this.socket?.close();
  }

  private onMessage(plain: Uint8Array): void {
    let res: ClientResponseT;
    try {
      res = ClientResponse.getRootAsClientResponse(new fb.ByteBuffer(plain)).unpack();
    } catch {
      this.onClose('malformed response');
      return;
    }
    const p = this.pending.get(res.requestId);
    if (!p) return;
    this.pending.delete(res.requestId);
    p.resolve(res);
  }

  private onClose(reason: string): void {
    this.lost = reason;
    for (const p of this.pending.values()) p.reject(new UserError(`Connection to the server lost: ${reason}`));
    this.pending.clear();
  }
}

