// Bulk access to flatbuffers vectors of structs made only of 32-bit fields
// (TaskRef, TaskAssignment): one copy into a Uint32Array instead of an
// accessor call per field, and writing from a Uint32Array the same way.
import * as fb from 'flatbuffers';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface TableLike {
  bb: fb.ByteBuffer | null;
  bb_pos: number;
}

/**
 * Copies the struct vector at the given vtable slot of a table into a fresh
 * Uint32Array (little-endian, as flatbuffers stores it). Returns an empty
 * array when the field is absent.
 */
export function readStructWords(table: TableLike, vtableSlot: number, wordsPerStruct: number): Uint32Array {
  const bb = table.bb!;
  const offset = bb.__offset(table.bb_pos, vtableSlot);
  if (!offset) return new Uint32Array(0);
  const start = bb.__vector(table.bb_pos + offset);
  const length = bb.__vector_len(table.bb_pos + offset);
  const words = length * wordsPerStruct;
  const bytes = bb.bytes();
  // The length comes from the peer: it must not claim more than the frame holds.
  if (start < 0 || start + words * 4 > bytes.length) throw new RangeError(`struct vector of ${length} entries exceeds the frame`);
  const out = new Uint32Array(words);
  new Uint8Array(out.buffer).set(bytes.subarray(start, start + words * 4));
  return out;
}

/**
 * Writes `count` structs of `wordsPerStruct` uint32 fields taken from
 * `words` (struct i at words[i * wordsPerStruct ...]) as a vector; returns
 * its offset for the table's add-field call.
 */
export function writeStructWords(
  builder: fb.Builder,
  words: Uint32Array | Int32Array,
  count: number,
  wordsPerStruct: number,
): fb.Offset {
  const size = wordsPerStruct * 4;
  const bytes = count * size;
  const inner = builder as unknown as { bb: fb.ByteBuffer; space: number };
  if (LITTLE_ENDIAN) {
    // The structs will start 4-byte aligned; 4 bytes of padding more put them
    // at the source's offset modulo 8 (the source may be shared memory, which
    // V8 copies word by word only then, and byte by byte otherwise).
    builder.prep(4, bytes + 4);
    if ((inner.space - bytes - words.byteOffset) & 7) builder.pad(4);
  }
  // startVector reserves room for the whole vector, 4-byte aligned.
  builder.startVector(size, count, 4);
  if (LITTLE_ENDIAN) {
    // One copy of all structs: flatbuffers is little-endian, like this host.
    inner.space -= bytes;
    inner.bb.bytes().set(new Uint8Array(words.buffer, words.byteOffset, bytes), inner.space);
  } else {
    // The builder writes back to front: last struct first, last field first.
    for (let i = count - 1; i >= 0; i--) {
      builder.prep(4, size);
      const base = i * wordsPerStruct;
      for (let f = wordsPerStruct - 1; f >= 0; f--) builder.writeInt32(words[base + f]! | 0);
    }
  }
  return builder.endVector();
}
