// The part of sodium-native's API that the transport layer uses. The package
// ships no type declarations; every function throws on misuse (wrong lengths)
// and the AEAD decrypt throws when authentication fails.
declare module 'sodium-native' {
  export interface Sodium {
    readonly crypto_aead_xchacha20poly1305_ietf_ABYTES: number;
    readonly crypto_aead_xchacha20poly1305_ietf_KEYBYTES: number;
    readonly crypto_aead_xchacha20poly1305_ietf_NPUBBYTES: number;

    randombytes_buf(buffer: ArrayBufferView): void;
    sodium_memcmp(a: ArrayBufferView, b: ArrayBufferView): boolean;
    sodium_memzero(buffer: ArrayBufferView): void;
    crypto_generichash(output: ArrayBufferView, input: ArrayBufferView, key?: ArrayBufferView): void;
    /** Returns the ciphertext length (always m.byteLength + ABYTES). */
    crypto_aead_xchacha20poly1305_ietf_encrypt(
      c: ArrayBufferView, m: ArrayBufferView, ad: ArrayBufferView | null, nsec: null,
      npub: ArrayBufferView, k: ArrayBufferView): number;
    /** Returns the plaintext length; throws if the tag does not verify. */
    crypto_aead_xchacha20poly1305_ietf_decrypt(
      m: ArrayBufferView, nsec: null, c: ArrayBufferView, ad: ArrayBufferView | null,
      npub: ArrayBufferView, k: ArrayBufferView): number;
  }
  const sodium: Sodium;
  export = sodium;
}
