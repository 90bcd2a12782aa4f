// Output streaming (`hq submit --stream DIR`): instead of two files per task,
// the stdout/stderr of tasks go into a few stream files in DIR. Every writer
// (one per worker process and stream directory) creates its own file with an
// exclusive create, so no two writers ever append to the same file, which
// keeps this safe on shared filesystems where appends from several nodes to
// one file can interleave or get lost. `hq output-log DIR ...` reads them back.
//
// The file format is described in common/stream-format.ts.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DATA_RECORD_HEADER_SIZE,
  RECORD_DATA,
  RECORD_HEADER_SIZE,
  RECORD_TASK_ENDED,
  RECORD_TASK_STARTED,
  STREAM_FILE_SUFFIX,
  STREAM_FORMAT_VERSION,
  STREAM_HEADER_FIXED_SIZE,
  STREAM_MAGIC,
} from '../common/stream-format.js';

export type StreamChannelId = 0 | 1;

export interface StreamWriterOptions {
  /** Bytes buffered before they are written out (default 256 KiB). */
  bufferSize?: number;
  /** Buffered records are written at the latest this long after the first of them (default 1000 ms). */
  flushIntervalMs?: number;
}

const MAX_U16 = 0xffff;

function checkId(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${what} ${value} is not a 32-bit id`);
}

/** Keeps a writer name usable in a file name. */
function fileNamePart(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return cleaned === '' ? 'writer' : cleaned;
}

function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
}

function encodeHeader(serverUid: string, writerName: string): Buffer {
  const uid = Buffer.from(serverUid, 'utf8');
  const name = Buffer.from(writerName, 'utf8');
  if (uid.length > MAX_U16 || name.length > MAX_U16) throw new RangeError('server uid or writer name is too long');
  const length = STREAM_HEADER_FIXED_SIZE + 2 + uid.length + 2 + name.length;
  const header = Buffer.alloc(length);
  STREAM_MAGIC.copy(header, 0);
  header.writeUInt16LE(STREAM_FORMAT_VERSION, 8);
  header.writeUInt16LE(length, 10);
  header.writeUInt32LE(process.pid, 12);
  header.writeDoubleLE(Date.now(), 16);
  header.writeUInt16LE(uid.length, 24);
  uid.copy(header, 26);
  header.writeUInt16LE(name.length, 26 + uid.length);
  name.copy(header, 28 + uid.length);
  return header;
}

/** Wall-clock milliseconds with sub-millisecond steps that never go back within a process. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

export class StreamWriter {
  private readonly buffer: Buffer;
  private used = 0;
  private timer: NodeJS.Timeout | null = null;
  private fd: number;
  /** Set when a write failed: the file may end in a partial record, so nothing more is appended. */
  private failure: Error | null = null;

  private constructor(
    /** The file this writer owns. */
    readonly path: string,
    fd: number,
    bufferSize: number,
    private readonly flushIntervalMs: number,
  ) {
    this.fd = fd;
    this.buffer = Buffer.allocUnsafe(bufferSize);
  }

  /** Creates a new stream file in `dir` (made if missing) and writes its header. */
  static open(dir: string, serverUid: string, writerName: string, options: StreamWriterOptions = {}): StreamWriter {
    const bufferSize = Math.max(options.bufferSize ?? 256 * 1024, DATA_RECORD_HEADER_SIZE);
    const header = encodeHeader(serverUid, writerName);
    fs.mkdirSync(dir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      const file = path.join(dir, `${fileNamePart(writerName)}-${process.pid}-${randomBytes(4).toString('hex')}${STREAM_FILE_SUFFIX}`);
      let fd: number;
      try {
        fd = fs.openSync(file, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 8) continue;
        throw error;
      }
      try {
        writeAll(fd, header);
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
      return new StreamWriter(file, fd, bufferSize, options.flushIntervalMs ?? 1000);
    }
  }

  get isClosed(): boolean {
    return this.fd < 0;
  }

  taskStarted(job: number, task: number, instance: number): void {
    this.putHeader(RECORD_TASK_STARTED, 0, job, task, instance, RECORD_HEADER_SIZE);
  }

  /** Appends output of a task instance; empty data is ignored. */
  write(job: number, task: number, instance: number, channel: StreamChannelId, data: Uint8Array): void {
    if (channel !== 0 && channel !== 1) throw new RangeError(`channel ${String(channel)} is not 0 (stdout) or 1 (stderr)`);
    if (data.length === 0) return;
    const size = DATA_RECORD_HEADER_SIZE + data.length;
    if (size <= this.buffer.length) {
      const at = this.putHeader(RECORD_DATA, channel, job, task, instance, size);
      this.buffer.writeUInt32LE(data.length, at + RECORD_HEADER_SIZE);
      this.buffer.set(data, at + DATA_RECORD_HEADER_SIZE);
      return;
    }
    // Larger than the whole buffer: write it straight through, after what is buffered.
    const at = this.putHeader(RECORD_DATA, channel, job, task, instance, DATA_RECORD_HEADER_SIZE);
    this.buffer.writeUInt32LE(data.length, at + RECORD_HEADER_SIZE);
    this.flush();
    try {
      writeAll(this.fd, data);
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  taskEnded(job: number, task: number, instance: number, ok: boolean): void {
    this.putHeader(RECORD_TASK_ENDED, ok ? 1 : 0, job, task, instance, RECORD_HEADER_SIZE);
  }

  /** Writes out everything buffered (no fsync). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.fd < 0) return;
    this.checkUsable();
    if (this.used === 0) return;
    const pending = this.used;
    this.used = 0;
    try {
      writeAll(this.fd, this.buffer.subarray(0, pending));
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  /** Flushes and closes the file; a failed writer still closes its file and then throws its error. */
  close(): void {
    if (this.fd < 0) return;
    try {
      if (this.failure !== null) throw this.failure;
      this.flush();
    } finally {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  /** Reserves `size` bytes in the buffer, fills the common record header and returns its offset. */
  private putHeader(kind: number, data: number, job: number, task: number, instance: number, size: number): number {
    this.checkUsable();
    checkId(job, 'job');
    checkId(task, 'task');
    checkId(instance, 'instance');
    if (this.used + size > this.buffer.length) this.flush();
    const at = this.used;
    const b = this.buffer;
    b[at] = kind;
    b[at + 1] = data;
    b[at + 2] = 0;
    b[at + 3] = 0;
    b.writeUInt32LE(job, at + 4);
    b.writeUInt32LE(task, at + 8);
    b.writeUInt32LE(instance, at + 12);
    b.writeDoubleLE(now(), at + 16);
    this.used += size;
    if (this.timer === null && this.flushIntervalMs > 0) {
      this.timer = setTimeout(() => this.onTimer(), this.flushIntervalMs);
      this.timer.unref();
    }
    return at;
  }

  private checkUsable(): void {
    if (this.fd < 0) throw new Error(`stream file ${this.path} is closed`);
    if (this.failure !== null) throw new Error(`writing stream file ${this.path} failed: ${this.failure.message}`);
  }

  private onTimer(): void {
    this.timer = null;
    try {
      this.flush();
    } catch {
      // Kept in `failure`: the next write, flush or close reports it.
    }
  }
}
