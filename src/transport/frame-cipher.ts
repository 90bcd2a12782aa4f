// Encrypts and authenticates every frame of an established connection.
//
// Each direction has its own key (fresh per connection, see handshake.ts) and
// its own 64-bit message counter, which is the XChaCha20-Poly1305 nonce. The
// counter is never transmitted: both ends count, so a replayed, reordered or
// dropped frame is opened under the wrong nonce and fails authentication just
// like a modified one.
import { libsodium } from './sodium.js';
import { ProtocolError } from '../common/errors.js';

// Sizes fixed by XChaCha20-Poly1305 itself (libsodium's ABYTES, KEYBYTES and
// NPUBBYTES; a test compares them), written out so that loading this module
// does not load the addon.
export const FRAME_TAG_BYTES = 16;
export const FRAME_KEY_BYTES = 32;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

const NONCE_BYTES = 24;
const TWO_POW_32 = 2 ** 32;

export class FrameCipher {
  /** Largest plaintext a frame may carry; a sealed frame is this + FRAME_TAG_BYTES. */
  readonly maxFrameBytes: number;
  private readonly sendKey: Buffer;
  private readonly recvKey: Buffer;
  // Nonce buffers are reused: only the counter bytes change per frame.
  private readonly sendNonce = Buffer.alloc(NONCE_BYTES);
  private readonly recvNonce = Buffer.alloc(NONCE_BYTES);
  private sendCounter = 0;
  private recvCounter = 0;
  private failed = false;

  constructor(sendKey: Uint8Array, recvKey: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    if (sendKey.byteLength !== FRAME_KEY_BYTES || recvKey.byteLength !== FRAME_KEY_BYTES) {
      throw new RangeError(`frame keys must be ${FRAME_KEY_BYTES} bytes`);
    }
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > 0xffffffff - FRAME_TAG_BYTES) {
      throw new RangeError(`invalid maximal frame size ${maxFrameBytes}`);
    }
    // Own copies, so the caller may wipe its key material.
    this.sendKey = Buffer.from(sendKey);
    this.recvKey = Buffer.from(recvKey);
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Encrypts one frame; frames must be opened in the order they were sealed. */
  seal(plain: Uint8Array): Uint8Array {
    if (plain.byteLength > this.maxFrameBytes) {
      // A local bug (the sender must split its batches), not a peer's fault.
      throw new RangeError(`frame of ${plain.byteLength} bytes exceeds the limit of ${this.maxFrameBytes}`);
    }
    const frame = Buffer.allocUnsafe(plain.byteLength + FRAME_TAG_BYTES);
    writeCounter(this.sendNonce, this.sendCounter);
    this.sendCounter++;
    libsodium().crypto_aead_xchacha20poly1305_ietf_encrypt(frame, plain, null, null, this.sendNonce, this.sendKey);
    return frame;
  }

  /**
   * Authenticates and decrypts the next frame from the peer. Any failure is
   * final: the connection cannot be resynchronised, so every later call throws.
   */
  open(frame: Uint8Array): Uint8Array {
    if (this.failed) {
      throw new ProtocolError('frame after an earlier authentication failure');
    }
    if (frame.byteLength > this.maxFrameBytes + FRAME_TAG_BYTES) {
      this.failed = true;
      throw new ProtocolError('frame too large');
    }
    if (frame.byteLength < FRAME_TAG_BYTES) {
      this.failed = true;
      throw new ProtocolError('frame failed authentication');
    }
    const plain = Buffer.allocUnsafe(frame.byteLength - FRAME_TAG_BYTES);
    writeCounter(this.recvNonce, this.recvCounter);
    try {
      libsodium().crypto_aead_xchacha20poly1305_ietf_decrypt(plain, null, frame, null, this.recvNonce, this.recvKey);
    } catch {
      this.failed = true;
      throw new ProtocolError('frame failed authentication');
    }
    this.recvCounter++;
    return plain;
  }
}

/** Little-endian 64-bit counter in the first nonce bytes (exact up to 2^53 frames). */
function writeCounter(nonce: Buffer, counter: number): void {
  nonce.writeUInt32LE(counter % TWO_POW_32, 0);
  nonce.writeUInt32LE(Math.floor(counter / TWO_POW_32), 4);
}
