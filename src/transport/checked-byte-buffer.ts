// A flatbuffers ByteBuffer for bytes from a peer. The generated accessors
// trust every offset and length they read, and the plain ByteBuffer returns
// 0 for reads past the end instead of failing, so a frame that claims a
// vector of two billion entries makes `unpack()` loop until the process runs
// out of memory. Here every read outside the buffer throws a RangeError,
// which bounds the work of decoding by the frame's size.
import * as fb from 'flatbuffers';

export class CheckedByteBuffer extends fb.ByteBuffer {
  // Every wider read of the base class goes through readInt32, readUint16 or readUint8.
  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  // The base class slices strings with subarray, which silently clamps.
  override __string(offset: number, encoding?: fb.Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    this.check(start + 4, this.readInt32(start));
    return super.__string(offset, encoding);
  }

  override __vector_len(offset: number): number {
    const length = super.__vector_len(offset);
    this.check(this.__vector(offset), length);
    return length;
  }

  private check(offset: number, size: number): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.capacity())) {
      throw new RangeError(`flatbuffer read of ${size} bytes at ${offset} outside ${this.capacity()} bytes`);
    }
  }
}
