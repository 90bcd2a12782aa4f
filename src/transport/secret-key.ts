// The 32-byte shared secrets that clients and workers must know to talk to a
// server. They live hex-encoded in the server's access file.
import { libsodium } from './sodium.js';
import { UserError } from '../common/errors.js';

export const SECRET_KEY_BYTES = 32;

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** A fresh key from the operating system's CSPRNG. */
export function generateKey(): Buffer {
  const key = Buffer.alloc(SECRET_KEY_BYTES);
  libsodium().randombytes_buf(key);
  return key;
}

export function keyToHex(key: Uint8Array): string {
  if (key.byteLength !== SECRET_KEY_BYTES) {
    throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes, got ${key.byteLength}`);
  }
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

/**
 * Parses a key written by keyToHex (surrounding whitespace is ignored). The
 * error names the length, never the value, so a near-miss key is not logged.
 */
export function keyFromHex(hex: unknown): Buffer {
  if (typeof hex !== 'string') {
    throw new UserError(`secret key must be a string of ${SECRET_KEY_BYTES * 2} hex digits, got ${typeof hex}`);
  }
  const text = hex.trim();
  if (!HEX_KEY.test(text)) {
    throw new UserError(
      `secret key must be ${SECRET_KEY_BYTES * 2} hex digits, got ${text.length} characters` +
      (text.length === SECRET_KEY_BYTES * 2 ? ' with a non-hex digit' : ''));
  }
  return Buffer.from(text, 'hex');
}
