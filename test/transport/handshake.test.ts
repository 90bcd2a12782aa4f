import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fb from 'flatbuffers';
import { ProtocolError } from '../../src/common/errors.js';
import { FrameCipher } from '../../src/transport/frame-cipher.js';
import { PeerHello, ServerHello, ServerProof } from '../../src/transport/generated/protocol.js';
import { PeerHandshake, PeerRole, ServerHandshake } from '../../src/transport/handshake.js';
import { generateKey } from '../../src/transport/secret-key.js';

const VERSION = '0.1.0';

interface Exchange {
  hello: Uint8Array;
  peerHello: Uint8Array;
  serverProof: Uint8Array;
  serverCipher: FrameCipher;
  peerCipher: FrameCipher;
  peer: PeerHandshake;
}

function handshake(serverKey: Buffer, peerKey: Buffer, role: PeerRole = 'worker'): Exchange {
  const server = new ServerHandshake(serverKey, role, VERSION);
  const peer = new PeerHandshake(peerKey, role);
  const hello = server.start();
  const peerHello = peer.receiveHello(hello);
  const { reply, cipher: serverCipher } = server.receive(peerHello);
  const peerCipher = peer.receiveProof(reply);
  return { hello, peerHello, serverProof: reply, serverCipher, peerCipher, peer };
}

function assertCiphersAgree(server: FrameCipher, peer: FrameCipher): void {
  const down = new TextEncoder().encode('assign tasks 1-1000');
  const up = new TextEncoder().encode('task 7 finished');
  assert.deepEqual(new Uint8Array(peer.open(server.seal(down))), down);
  assert.deepEqual(new Uint8Array(server.open(peer.seal(up))), up);
}

function serverProofMessage(proof: Uint8Array): Uint8Array {
  const builder = new fb.Builder(64);
  const vector = ServerProof.createProofVector(builder, proof);
  builder.finish(ServerProof.createServerProof(builder, vector));
  return builder.asUint8Array();
}

/** Deterministic pseudo-random bytes for the fuzz-style tests. */
function prng(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** Runs fn; it may succeed, but if it throws it must be a ProtocolError. */
function onlyProtocolErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    return false;
  }
}

function assertRefused(fn: () => unknown, reason: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ProtocolError && reason.test(err.message));
}

for (const role of ['client', 'worker'] as const) {
  test(`${role} handshake succeeds and both ends derive the same session keys`, () => {
    const key = generateKey();
    const run = handshake(key, Buffer.from(key), role);
    assertCiphersAgree(run.serverCipher, run.peerCipher);
    assert.equal(run.peer.serverVersion, VERSION);
  });
}

test('every connection gets fresh session keys', () => {
  const key = generateKey();
  const first = handshake(key, key);
  const second = handshake(key, key);
  const msg = new Uint8Array(32).fill(7);
  const f1 = first.serverCipher.seal(msg);
  const f2 = second.serverCipher.seal(msg);
  assert.notDeepEqual(f1, f2);
  // A frame from one connection is meaningless on the other.
  assert.throws(() => second.peerCipher.open(f1), ProtocolError);
  assert.notDeepEqual(first.hello, second.hello);
});

test('the server refuses a peer with the wrong key', () => {
  const server = new ServerHandshake(generateKey(), 'worker', VERSION);
  const peer = new PeerHandshake(generateKey(), 'worker');
  const peerHello = peer.receiveHello(server.start());
  assertRefused(() => server.receive(peerHello), /peer failed authentication/);
  // The server stays refused; a second try on the same connection is out of order.
  assertRefused(() => server.receive(peerHello), /unexpected/);
});

test('a peer refuses a server that does not know the key', () => {
  const server = new ServerHandshake(generateKey(), 'client', VERSION);
  const peer = new PeerHandshake(generateKey(), 'client');
  peer.receiveHello(server.start());
  // The fake server cannot verify the peer, so it answers with anything it can make.
  assertRefused(() => peer.receiveProof(serverProofMessage(new Uint8Array(32).fill(1))), /server failed authentication/);
});

test('a peer refuses its own proof reflected back as the server proof', () => {
  const key = generateKey();
  const server = new ServerHandshake(key, 'client', VERSION);
  const peer = new PeerHandshake(key, 'client');
  const peerHello = peer.receiveHello(server.start());
  const ownProof = PeerHello.getRootAsPeerHello(new fb.ByteBuffer(peerHello)).proofArray()!;
  assertRefused(() => peer.receiveProof(serverProofMessage(ownProof)), /server failed authentication/);
});

test('a server proof recorded on another connection is refused', () => {
  const key = generateKey();
  const recorded = handshake(key, key);
  const server = new ServerHandshake(key, 'worker', VERSION);
  const peer = new PeerHandshake(key, 'worker');
  peer.receiveHello(server.start());
  assertRefused(() => peer.receiveProof(recorded.serverProof), /server failed authentication/);
});

test('a peer hello recorded on another connection is refused', () => {
  const key = generateKey();
  const recorded = handshake(key, key);
  const server = new ServerHandshake(key, 'worker', VERSION);
  server.start();
  assertRefused(() => server.receive(recorded.peerHello), /peer failed authentication/);
});

test('a tampered version in the hello breaks the handshake', () => {
  const key = generateKey();
  const server = new ServerHandshake(key, 'worker', VERSION);
  const hello = ServerHello.getRootAsServerHello(new fb.ByteBuffer(server.start()));
  const builder = new fb.Builder(128);
  const forged = ServerHello.createServerHello(builder, builder.createString('hq'), builder.createString('9.9.9'),
    ServerHello.createNonceVector(builder, hello.nonceArray()!));
  builder.finish(forged);
  const peer = new PeerHandshake(key, 'worker');
  const peerHello = peer.receiveHello(builder.asUint8Array());
  assert.equal(peer.serverVersion, '9.9.9');
  assertRefused(() => server.receive(peerHello), /peer failed authentication/);
});

test('role mismatch is refused', () => {
  const key = generateKey();
  const server = new ServerHandshake(key, 'worker', VERSION);
  const peer = new PeerHandshake(key, 'client');
  const peerHello = peer.receiveHello(server.start());
  assertRefused(() => server.receive(peerHello), /role "client" does not match this port \(worker\)/);
});

test('a peer refuses a hello that is not from an hq server', () => {
  const builder = new fb.Builder(128);
  const hello = ServerHello.createServerHello(builder, builder.createString('other'), builder.createString(VERSION),
    ServerHello.createNonceVector(builder, new Uint8Array(32)));
  builder.finish(hello);
  assertRefused(() => new PeerHandshake(generateKey(), 'worker').receiveHello(builder.asUint8Array()),
    /not a HyperQueue server/);
  assertRefused(() => new PeerHandshake(generateKey(), 'worker').receiveHello(new TextEncoder().encode('HTTP/1.1 200 OK\r\n\r\n')),
    /not a HyperQueue server/);
});

test('messages out of order are refused', () => {
  const key = generateKey();
  const run = handshake(key, key);
  const early = new ServerHandshake(key, 'worker', VERSION);
  assertRefused(() => early.receive(run.peerHello), /unexpected/);
  const peer = new PeerHandshake(key, 'worker');
  assertRefused(() => peer.receiveProof(run.serverProof), /unexpected/);
  const done = new PeerHandshake(key, 'worker');
  const server = new ServerHandshake(key, 'worker', VERSION);
  done.receiveProof(server.receive(done.receiveHello(server.start())).reply);
  assertRefused(() => done.receiveHello(run.hello), /unexpected/);
  assertRefused(() => done.receiveProof(run.serverProof), /unexpected/);
  assert.throws(() => server.start(), Error);
});

test('garbage handshake messages are refused with ProtocolError', () => {
  const random = prng(12345);
  const key = generateKey();
  for (let length = 0; length < 300; length++) {
    const garbage = random(length);
    const server = new ServerHandshake(key, 'worker', VERSION);
    server.start();
    assert.throws(() => server.receive(garbage), ProtocolError);
    assert.throws(() => new PeerHandshake(key, 'worker').receiveHello(garbage), ProtocolError);
    const peer = new PeerHandshake(key, 'worker');
    peer.receiveHello(new ServerHandshake(key, 'worker', VERSION).start());
    assert.throws(() => peer.receiveProof(garbage), ProtocolError);
  }
  const server = new ServerHandshake(key, 'worker', VERSION);
  server.start();
  assertRefused(() => server.receive(new Uint8Array(64 * 1024)), /malformed/);
});

test('every truncation of every handshake message is refused with ProtocolError', () => {
  const key = generateKey();
  const run = handshake(key, key);
  for (let keep = 0; keep < run.hello.length; keep++) {
    // Only cutting trailing alignment padding leaves the hello intact.
    const accepted = onlyProtocolErrors(() => new PeerHandshake(key, 'worker').receiveHello(run.hello.subarray(0, keep)));
    assert.ok(!accepted || keep > run.hello.length - 4, `hello cut to ${keep} bytes was accepted`);
  }
  for (let keep = 0; keep < run.peerHello.length; keep++) {
    const server = new ServerHandshake(key, 'worker', VERSION);
    server.start();
    assert.throws(() => server.receive(run.peerHello.subarray(0, keep)), ProtocolError);
  }
  for (let keep = 0; keep < run.serverProof.length; keep++) {
    const server = new ServerHandshake(key, 'worker', VERSION);
    const peer = new PeerHandshake(key, 'worker');
    server.receive(peer.receiveHello(server.start()));
    assert.throws(() => peer.receiveProof(run.serverProof.subarray(0, keep)), ProtocolError);
  }
});

test('bit flips in handshake messages never raise anything but ProtocolError', () => {
  const key = generateKey();
  const server = new ServerHandshake(key, 'worker', VERSION);
  const hello = server.start();
  for (let bit = 0; bit < hello.length * 8; bit++) {
    const flipped = Uint8Array.from(hello);
    flipped[bit >> 3]! ^= 1 << (bit & 7);
    onlyProtocolErrors(() => new PeerHandshake(key, 'worker').receiveHello(flipped));
  }
  let accepted = 0;
  let bits = 0;
  for (let bit = 0; bits === 0 || bit < bits; bit++) {
    // A fresh, otherwise genuine connection per flip: only the flip decides the outcome.
    const fresh = new ServerHandshake(key, 'worker', VERSION);
    const flipped = Uint8Array.from(new PeerHandshake(key, 'worker').receiveHello(fresh.start()));
    bits = flipped.length * 8;
    flipped[bit >> 3]! ^= 1 << (bit & 7);
    if (onlyProtocolErrors(() => fresh.receive(flipped))) accepted++;
  }
  // Only flips in padding or string terminators can leave the content intact.
  assert.ok(accepted < bits / 8);
});

test('a vector length pointing past the message is refused', () => {
  const key = generateKey();
  const server = new ServerHandshake(key, 'worker', VERSION);
  const peerHello = Uint8Array.from(new PeerHandshake(key, 'worker').receiveHello(server.start()));
  // Find the nonce vector's length prefix (32) and make it huge.
  const view = new DataView(peerHello.buffer);
  const nonce = PeerHello.getRootAsPeerHello(new fb.ByteBuffer(peerHello)).nonceArray()!;
  view.setUint32(nonce.byteOffset - 4, 0x7fffffff, true);
  assertRefused(() => server.receive(peerHello), /malformed/);
});

test('keys of the wrong size are a programming error', () => {
  assert.throws(() => new ServerHandshake(new Uint8Array(16), 'worker', VERSION), RangeError);
  assert.throws(() => new PeerHandshake(new Uint8Array(33), 'client'), RangeError);
});
