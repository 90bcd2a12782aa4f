// Header words; head and tail sit 64 bytes apart so producer and consumer do not share a cache line.
const HEAD = 0;
const TAIL = 16;
const CAPACITY = 32;
// 49 words: the data area starts 4 bytes past a multiple of 8, so that the
// payload of a record at an even word (all of them are) is 8-byte aligned.
const HEADER_WORDS = 49;
const PADDING = 0xff;

/** Words a record of `payload` words takes: its header and payload, rounded up to even. */
function recordSize(payload: number): number {
  return (payload + 2) & ~1;
}

function isValidCapacity(words: number): boolean {
  return Number.isInteger(words) && words >= 4 && words <= 1 << 25 && (words & (words - 1)) === 0;
}

/**
 * Single-producer single-consumer queue of variable-length records in a
 * SharedArrayBuffer, for hot-path events between threads.
 *
 * Layout (Int32 words): a header with the head (next word the consumer reads)
 * and tail (next word the producer writes) on separate cache lines, then a
 * data area of `capacity` words (a power of two). head and tail run freely
 * modulo 2^32; their difference is the number of words in use.
 *
 * A record is one header word (kind in the low 8 bits, payload length in words
 * in the upper 24) followed by its payload, and takes an even number of words,
 * so that every payload starts 8-byte aligned: V8 copies between shared and
 * ordinary memory word by word only when both sides agree modulo 8, and byte
 * by byte, six to eight times slower, when they do not. Records never wrap:
 * when one does not fit before the end of the data area, the producer fills
 * the rest with a padding record and writes the record at the start.
 *
 * Ordering: the producer writes the payload, then publishes it with
 * Atomics.store on the tail; the consumer reads the tail with Atomics.load
 * before reading payloads, and publishes freed space with Atomics.store on the
 * head after it is done with them.
 */
export class RingBuffer {
  readonly buffer: SharedArrayBuffer;
  /** The data area; record payloads are read and written here by word offset. */
  readonly data: Int32Array;
  readonly capacity: number;
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly mask: number;
  private readonly maxRecordWords: number;
  // Producer side: tail including reserved but not yet committed records.
  private pendingTail = 0;
  private pending = false;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    const capacity = this.header[CAPACITY];
    if (buffer.byteLength !== (HEADER_WORDS + capacity) * 4 || !isValidCapacity(capacity)) {
      throw new RangeError('not a ring buffer');
    }
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.maxRecordWords = capacity >>> 1;
    this.data = new Int32Array(buffer, HEADER_WORDS * 4, capacity);
    this.bytes = new Uint8Array(buffer, HEADER_WORDS * 4, capacity * 4);
  }

  static create(capacityWords: number): RingBuffer {
    if (!isValidCapacity(capacityWords)) {
      throw new RangeError(`ring capacity must be a power of two between 4 and 2^25 words, got ${capacityWords}`);
    }
    const buffer = new SharedArrayBuffer((HEADER_WORDS + capacityWords) * 4);
    new Int32Array(buffer)[CAPACITY] = capacityWords;
    return new RingBuffer(buffer);
  }

  static attach(buffer: SharedArrayBuffer): RingBuffer {
    return new RingBuffer(buffer);
  }

  /** Largest payload (in words) a single record can carry: a record takes at most half the ring. */
  get maxPayloadWords(): number {
    return this.maxRecordWords - 1;
  }

  // ---- producer ----

  /**
   * Reserves room for a record of `words` payload words and returns the offset
   * of its payload in `data`, or -1 when the ring is full. The record becomes
   * visible to the consumer at the next commit(); several reservations may be
   * committed together.
   */
  reserve(kind: number, words: number): number {
    if (!Number.isInteger(kind) || kind < 0 || kind >= PADDING) throw new RangeError(`record kind must be 0..254, got ${kind}`);
    if (!Number.isInteger(words) || words < 0 || recordSize(words) > this.maxRecordWords) {
      throw new RangeError(`record of ${words} words does not fit a ring of ${this.capacity} words`);
    }
    const size = recordSize(words);
    let tail = this.pending ? this.pendingTail : Atomics.load(this.header, TAIL);
    const used = (tail - Atomics.load(this.header, HEAD)) | 0;
    let pos = tail & this.mask;
    const toEnd = this.capacity - pos;
    if (size > toEnd) {
      if (used + toEnd + size > this.capacity) return -1;
      this.data[pos] = PADDING | ((toEnd - 1) << 8);
      tail = (tail + toEnd) | 0;
      pos = 0;
    } else if (used + size > this.capacity) {
      return -1;
    }
    this.data[pos] = kind | (words << 8);
    this.pendingTail = (tail + size) | 0;
    this.pending = true;
    return pos + 1;
  }

  /** Publishes every reserved record to the consumer. */
  commit(): void {
    if (!this.pending) return;
    this.pending = false;
    Atomics.store(this.header, TAIL, this.pendingTail);
  }

  /** Appends one record with words[offset, offset+count) as payload; false (nothing written) when full. */
  tryPush(kind: number, words: Int32Array | Uint32Array | number[], offset = 0, count = words.length - offset): boolean {
    const at = this.reserve(kind, count);
    if (at < 0) return false;
    const data = this.data;
    if (Array.isArray(words)) {
      for (let i = 0; i < count; i++) data[at + i] = words[offset + i] | 0;
    } else {
      // A Uint32Array source is converted word by word, keeping the bit pattern.
      data.set(words.subarray(offset, offset + count), at);
    }
    this.commit();
    return true;
  }

  /** Appends a record whose payload is the byte length followed by the bytes, padded to whole words. */
  tryPushBytes(kind: number, bytes: Uint8Array): boolean {
    const words = 1 + ((bytes.length + 3) >>> 2);
    const at = this.reserve(kind, words);
    if (at < 0) return false;
    this.data[at + words - 1] = 0; // deterministic padding bytes
    this.data[at] = bytes.length;
    this.bytes.set(bytes, (at + 1) * 4);
    this.commit();
    return true;
  }

  // ---- consumer ----

  /**
   * Calls `handler` for up to `max` records in order and returns how many were
   * read. The payload is data[offset, offset+words) and is valid only during the
   * call. A record whose handler throws is consumed. Not re-entrant.
   */
  drain(handler: (kind: number, data: Int32Array, offset: number, words: number) => void, max = Infinity): number {
    const data = this.data;
    let head = Atomics.load(this.header, HEAD);
    const tail = Atomics.load(this.header, TAIL);
    let records = 0;
    try {
      while (head !== tail && records < max) {
        const pos = head & this.mask;
        const word = data[pos];
        const words = word >>> 8;
        head = (head + recordSize(words)) | 0;
        const kind = word & 0xff;
        if (kind === PADDING) continue;
        records++;
        handler(kind, data, pos + 1, words);
      }
    } finally {
      Atomics.store(this.header, HEAD, head);
    }
    return records;
  }

  /** Copies out the bytes of a payload written by tryPushBytes. */
  static bytesOf(data: Int32Array, offset: number): Uint8Array {
    const length = data[offset];
    return new Uint8Array(data.buffer, data.byteOffset + (offset + 1) * 4, length).slice();
  }

  get isEmpty(): boolean {
    return Atomics.load(this.header, HEAD) === Atomics.load(this.header, TAIL);
  }

  /** Unused words; a record may still not fit when it would have to wrap. */
  get freeWords(): number {
    return this.capacity - ((Atomics.load(this.header, TAIL) - Atomics.load(this.header, HEAD)) | 0);
  }
}
