// Connection set-up: a mutual challenge-response over the port's shared key,
// written as two socket-free state machines that consume and produce the three
// clear-text messages of schema/handshake.fbs.
//
//   server -> peer   ServerHello { service "hq", version, server nonce }
//   peer -> server   PeerHello   { role, peer nonce, peer proof }
//   server -> peer   ServerProof { server proof }
//
// Both proofs are BLAKE2b keyed with the shared key over a transcript of the
// role, the server's version and both nonces. Each direction uses its own
// label, so a proof seen in one direction is useless in the other, and the
// fresh nonces make every proof single-use. The server answers only after the
// peer has proven itself, so a peer without the key learns nothing but the
// hello. Session keys for the two frame directions are derived the same way
// under two more labels: every connection encrypts under fresh keys.
import * as fb from 'flatbuffers';
import { libsodium } from './sodium.js';
import { ProtocolError } from '../common/errors.js';
import { FrameCipher, FRAME_KEY_BYTES } from './frame-cipher.js';
import { PeerHello, ServerHello, ServerProof } from './generated/protocol.js';
import { SECRET_KEY_BYTES } from './secret-key.js';

export type PeerRole = 'client' | 'worker';

export const SERVICE_NAME = 'hq';
const NONCE_BYTES = 32;
const PROOF_BYTES = 32;
/** Handshake messages are tiny; anything bigger is not ours and is not parsed. */
const MAX_HANDSHAKE_BYTES = 1024;

const PEER_PROOF_LABEL = 'hq-handshake-v1 peer proof';
const SERVER_PROOF_LABEL = 'hq-handshake-v1 server proof';
const PEER_TO_SERVER_KEY_LABEL = 'hq-handshake-v1 key peer to server';
const SERVER_TO_PEER_KEY_LABEL = 'hq-handshake-v1 key server to peer';

// Field kinds in declaration order of the handshake tables, for bounds checks.
type FieldKind = 'string' | 'bytes';
const SERVER_HELLO_FIELDS: readonly FieldKind[] = ['string', 'string', 'bytes']; // service, version, nonce
const PEER_HELLO_FIELDS: readonly FieldKind[] = ['string', 'bytes', 'bytes']; // role, nonce, proof
const SERVER_PROOF_FIELDS: readonly FieldKind[] = ['bytes']; // proof

export interface ServerHandshakeResult {
  /** ServerProof bytes to send to the peer. */
  reply: Uint8Array;
  /** Cipher for every later frame on this connection. */
  cipher: FrameCipher;
}

/** Server side of one connection on a port that accepts `role` peers. */
export class ServerHandshake {
  private readonly key: Buffer;
  private readonly versionBytes: Buffer;
  private readonly serverNonce = Buffer.alloc(NONCE_BYTES);
  private state: 'new' | 'hello-sent' | 'done' | 'failed' = 'new';

  constructor(key: Uint8Array, private readonly role: PeerRole, private readonly version: string) {
    this.key = checkedKey(key);
    this.versionBytes = Buffer.from(version, 'utf8');
    if (this.versionBytes.length > MAX_HANDSHAKE_BYTES / 2) {
      throw new RangeError(`version string too long (${this.versionBytes.length} bytes)`);
    }
  }

  /** The ServerHello to send as the first message of the connection. */
  start(): Uint8Array {
    if (this.state !== 'new') throw new Error('handshake already started');
    libsodium().randombytes_buf(this.serverNonce);
    this.state = 'hello-sent';
    const builder = new fb.Builder(128);
    const service = builder.createString(SERVICE_NAME);
    const version = builder.createString(this.version);
    const nonce = ServerHello.createNonceVector(builder, this.serverNonce);
    builder.finish(ServerHello.createServerHello(builder, service, version, nonce));
    return builder.asUint8Array();
  }

  /** Verifies the PeerHello; on success returns the ServerProof and the connection's cipher. */
  receive(msg: Uint8Array): ServerHandshakeResult {
    if (this.state !== 'hello-sent') {
      this.state = 'failed';
      throw new ProtocolError('unexpected handshake message');
    }
    this.state = 'failed'; // until proven otherwise
    let role: string | null;
    let peerNonce: Uint8Array | null;
    let peerProof: Uint8Array | null;
    try {
      checkTable(msg, PEER_HELLO_FIELDS);
      const hello = PeerHello.getRootAsPeerHello(new fb.ByteBuffer(msg));
      role = hello.role();
      peerNonce = hello.nonceArray();
      peerProof = hello.proofArray();
    } catch {
      throw new ProtocolError('malformed handshake message');
    }
    if (role === null || peerNonce?.length !== NONCE_BYTES || peerProof?.length !== PROOF_BYTES) {
      throw new ProtocolError('malformed handshake message');
    }
    if (role !== this.role) {
      throw new ProtocolError(`peer role ${JSON.stringify(role.slice(0, 16))} does not match this port (${this.role})`);
    }
    const transcript = buildTranscript(this.role, this.versionBytes, this.serverNonce, peerNonce);
    const expected = keyedHash(this.key, PEER_PROOF_LABEL, transcript);
    if (!libsodium().sodium_memcmp(expected, peerProof)) {
      throw new ProtocolError('peer failed authentication (wrong key)');
    }
    const builder = new fb.Builder(64);
    const proof = ServerProof.createProofVector(builder, keyedHash(this.key, SERVER_PROOF_LABEL, transcript));
    builder.finish(ServerProof.createServerProof(builder, proof));
    const cipher = sessionCipher(this.key, transcript, SERVER_TO_PEER_KEY_LABEL, PEER_TO_SERVER_KEY_LABEL);
    this.state = 'done';
    return { reply: builder.asUint8Array(), cipher };
  }
}

/** Client or worker side of one connection to a server. */
export class PeerHandshake {
  private readonly key: Buffer;
  private transcript: Buffer | null = null;
  private state: 'new' | 'hello-sent' | 'done' | 'failed' = 'new';
  private version: string | null = null;

  constructor(key: Uint8Array, private readonly role: PeerRole) {
    this.key = checkedKey(key);
  }

  /** The version the server announced (authenticated once receiveProof succeeds). */
  get serverVersion(): string {
    if (this.version === null) throw new Error('no ServerHello received yet');
    return this.version;
  }

  /** Answers the ServerHello with this peer's proof (the PeerHello bytes to send). */
  receiveHello(msg: Uint8Array): Uint8Array {
    if (this.state !== 'new') {
      this.state = 'failed';
      throw new ProtocolError('unexpected handshake message');
    }
    this.state = 'failed';
    let service: string | null;
    let version: string | null;
    let versionBytes: Uint8Array | null;
    let serverNonce: Uint8Array | null;
    try {
      checkTable(msg, SERVER_HELLO_FIELDS);
      const hello = ServerHello.getRootAsServerHello(new fb.ByteBuffer(msg));
      service = hello.service();
      version = hello.version();
      versionBytes = hello.version(fb.Encoding.UTF8_BYTES) as Uint8Array | null;
      serverNonce = hello.nonceArray();
    } catch {
      throw new ProtocolError('not a HyperQueue server (malformed hello)');
    }
    if (service !== SERVICE_NAME || version === null || versionBytes === null || serverNonce?.length !== NONCE_BYTES) {
      throw new ProtocolError('not a HyperQueue server');
    }
    const peerNonce = Buffer.alloc(NONCE_BYTES);
    libsodium().randombytes_buf(peerNonce);
    const transcript = buildTranscript(this.role, versionBytes, serverNonce, peerNonce);
    const builder = new fb.Builder(128);
    const role = builder.createString(this.role);
    const nonce = PeerHello.createNonceVector(builder, peerNonce);
    const proof = PeerHello.createProofVector(builder, keyedHash(this.key, PEER_PROOF_LABEL, transcript));
    builder.finish(PeerHello.createPeerHello(builder, role, nonce, proof));
    this.transcript = transcript;
    this.version = version;
    this.state = 'hello-sent';
    return builder.asUint8Array();
  }

  /** Checks the server's proof; on success returns the connection's cipher. */
  receiveProof(msg: Uint8Array): FrameCipher {
    const transcript = this.transcript;
    if (this.state !== 'hello-sent' || transcript === null) {
      this.state = 'failed';
      throw new ProtocolError('unexpected handshake message');
    }
    this.state = 'failed';
    let serverProof: Uint8Array | null;
    try {
      checkTable(msg, SERVER_PROOF_FIELDS);
      serverProof = ServerProof.getRootAsServerProof(new fb.ByteBuffer(msg)).proofArray();
    } catch {
      throw new ProtocolError('malformed handshake message');
    }
    if (serverProof?.length !== PROOF_BYTES) {
      throw new ProtocolError('malformed handshake message');
    }
    const expected = keyedHash(this.key, SERVER_PROOF_LABEL, transcript);
    if (!libsodium().sodium_memcmp(expected, serverProof)) {
      throw new ProtocolError('server failed authentication (wrong key)');
    }
    const cipher = sessionCipher(this.key, transcript, PEER_TO_SERVER_KEY_LABEL, SERVER_TO_PEER_KEY_LABEL);
    this.transcript = null;
    this.state = 'done';
    return cipher;
  }
}

function checkedKey(key: Uint8Array): Buffer {
  if (key.byteLength !== SECRET_KEY_BYTES) {
    throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes, got ${key.byteLength}`);
  }
  return Buffer.from(key);
}

/**
 * Everything both proofs and both session keys are bound to. Variable-length
 * parts are length-prefixed so no two different inputs encode alike.
 */
function buildTranscript(role: PeerRole, version: Uint8Array, serverNonce: Uint8Array, peerNonce: Uint8Array): Buffer {
  const roleBytes = Buffer.from(role, 'ascii');
  const out = Buffer.alloc(1 + roleBytes.length + 2 + version.length + NONCE_BYTES * 2);
  let at = out.writeUInt8(roleBytes.length, 0);
  at += roleBytes.copy(out, at);
  at = out.writeUInt16LE(version.length, at);
  out.set(version, at);
  at += version.length;
  out.set(serverNonce, at);
  out.set(peerNonce, at + NONCE_BYTES);
  return out;
}

function keyedHash(key: Buffer, label: string, transcript: Buffer): Buffer {
  const labelBytes = Buffer.from(label, 'ascii');
  const input = Buffer.concat([Buffer.from([labelBytes.length]), labelBytes, transcript]);
  const out = Buffer.alloc(PROOF_BYTES);
  libsodium().crypto_generichash(out, input, key);
  return out;
}

function sessionCipher(key: Buffer, transcript: Buffer, sendLabel: string, recvLabel: string): FrameCipher {
  const sendKey = keyedHash(key, sendLabel, transcript);
  const recvKey = keyedHash(key, recvLabel, transcript);
  if (sendKey.length !== FRAME_KEY_BYTES) throw new Error('session key size mismatch');
  const cipher = new FrameCipher(sendKey, recvKey);
  // The cipher holds its own copies.
  libsodium().sodium_memzero(sendKey);
  libsodium().sodium_memzero(recvKey);
  return cipher;
}

/**
 * Bounds check of an untrusted flatbuffer before the generated accessors read
 * it (they do no checking): the root table, its vtable and every field listed
 * in `fields` must lie inside `msg`, and strings must be zero-terminated.
 * Throws on any violation; the caller turns that into a ProtocolError.
 */
function checkTable(msg: Uint8Array, fields: readonly FieldKind[]): void {
  const size = msg.byteLength;
  if (size < 8 || size > MAX_HANDSHAKE_BYTES) throw new RangeError('bad size');
  const view = new DataView(msg.buffer, msg.byteOffset, size);
  const table = view.getUint32(0, true);
  if (table + 4 > size) throw new RangeError('root out of bounds');
  const vtable = table - view.getInt32(table, true);
  if (vtable < 0 || vtable + 4 > size) throw new RangeError('vtable out of bounds');
  const vtableSize = view.getUint16(vtable, true);
  const tableSize = view.getUint16(vtable + 2, true);
  if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > size) throw new RangeError('bad vtable');
  if (tableSize < 4 || table + tableSize > size) throw new RangeError('bad table');
  for (let field = 0; field < fields.length; field++) {
    const slot = 4 + 2 * field;
    if (slot + 2 > vtableSize) break; // absent trailing fields
    const fieldOffset = view.getUint16(vtable + slot, true);
    if (fieldOffset === 0) continue;
    if (fieldOffset < 4 || fieldOffset + 4 > tableSize) throw new RangeError('field out of table');
    const at = table + fieldOffset;
    const vector = at + view.getUint32(at, true);
    if (vector + 4 > size) throw new RangeError('vector out of bounds');
    const end = vector + 4 + view.getUint32(vector, true);
    if (end > size) throw new RangeError('vector too long');
    if (fields[field] === 'string' && (end >= size || view.getUint8(end) !== 0)) throw new RangeError('unterminated string');
  }
}
