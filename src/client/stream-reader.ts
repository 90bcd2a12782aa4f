// Reads a stream directory written by StreamWriter (format described in
// worker/stream-writer.ts) for `hq output-log DIR summary|jobs|cat|show|export`.
//
// Opening indexes every `*.hqs` file up to its size at that moment, so a
// directory can be read while writers still append: what is complete is
// read, a partial record at the end of a file is left out and reported (a
// writer in the middle of a write, or one that died). Data bytes stay on
// disk; they are read when asked for. Each task's output comes from its
// last instance (the highest instance id); earlier instances are superseded
// by a restart and only counted.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
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

export type StreamChannel = 'stdout' | 'stderr';

export interface StreamFileInfo {
  path: string;
  serverUid: string;
  writer: string;
  pid: number;
  /** ms since the epoch. */
  createdAt: number;
  /** Bytes read: the header and every complete record. */
  validBytes: number;
  /** Bytes after the last complete record that were not read (0 for a clean file). */
  tailBytes: number;
  /** Why the tail was not read, when there is one. */
  tailReason: 'incomplete record' | 'corrupt record' | null;
}

export interface TruncatedStreamFile {
  path: string;
  writer: string;
  validBytes: number;
  droppedBytes: number;
  reason: 'incomplete record' | 'corrupt record';
}

export interface StreamSummary {
  serverUid: string;
  files: number;
  jobs: number;
  tasks: number;
  /** Task instances (a restarted task has several). */
  streams: number;
  /** Instances replaced by a later instance of the same task. */
  superseded: number;
  /** Tasks whose last instance has no end record (still running, or its writer died). */
  incompleteTasks: number;
  /** Tasks whose last instance ended with a failure. */
  failedTasks: number;
  stdoutBytes: number;
  stderrBytes: number;
  supersededStdoutBytes: number;
  supersededStderrBytes: number;
  truncatedFiles: TruncatedStreamFile[];
  /** `*.hqs` files that were not read: not a stream file, or written for another server. */
  skippedFiles: Array<{ path: string; reason: string }>;
}

/** One task as `hq output-log DIR export` prints it (`job` only when all jobs are exported). */
export interface StreamExportEntry {
  job?: number;
  id: number;
  finished: boolean;
  stdout: string;
  stderr: string;
}

export interface StreamReaderOptions {
  /** Read only files of this server; required when the directory holds streams of several servers. */
  serverUid?: string;
}

export interface ShowOptions {
  job?: number;
  channel?: StreamChannel;
}

export interface CatOptions {
  /** Also print tasks whose last instance has not ended (refused by default, as HyperQueue does). */
  allowUnfinished?: boolean;
}

/** One run of a task: where its output chunks are. */
interface InstanceStreams {
  instance: number;
  ended: boolean;
  ok: boolean;
  /** Indices into the chunk table, in file order. */
  chunks: number[];
}

type JobIndex = Map<number, InstanceStreams[]>;

/** Output chunks of all files as columns. */
class ChunkTable {
  count = 0;
  job = new Uint32Array(1024);
  task = new Uint32Array(1024);
  file = new Uint32Array(1024);
  offset = new Float64Array(1024);
  length = new Uint32Array(1024);
  time = new Float64Array(1024);
  channel = new Uint8Array(1024);

  add(job: number, task: number, file: number, offset: number, length: number, time: number, channel: number): number {
    if (this.count === this.file.length) this.grow();
    const i = this.count++;
    this.job[i] = job;
    this.task[i] = task;
    this.file[i] = file;
    this.offset[i] = offset;
    this.length[i] = length;
    this.time[i] = time;
    this.channel[i] = channel;
    return i;
  }

  private grow(): void {
    const size = this.file.length * 2;
    const grown = <T extends Uint32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.job = grown(this.job, (n) => new Uint32Array(n));
    this.task = grown(this.task, (n) => new Uint32Array(n));
    this.file = grown(this.file, (n) => new Uint32Array(n));
    this.offset = grown(this.offset, (n) => new Float64Array(n));
    this.length = grown(this.length, (n) => new Uint32Array(n));
    this.time = grown(this.time, (n) => new Float64Array(n));
    this.channel = grown(this.channel, (n) => new Uint8Array(n));
  }
}

const WINDOW_SIZE = 1 << 20;

/** Sequential reads of one file through a reusable window. */
class FileWindow {
  private buffer = Buffer.allocUnsafe(WINDOW_SIZE);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** Makes bytes [pos, pos + n) available in `view` and returns their offset there, or -1 when the file ends first. */
  at(pos: number, n: number): number {
    if (pos >= this.start && pos + n <= this.end) return pos - this.start;
    if (pos + n > this.size) return -1;
    if (n > this.buffer.length) this.buffer = Buffer.allocUnsafe(n);
    const want = Math.min(this.buffer.length, this.size - pos);
    let got = 0;
    while (got < want) {
      const read = fs.readSync(this.fd, this.buffer, got, want - got, pos + got);
      if (read === 0) break;
      got += read;
    }
    this.start = pos;
    this.end = pos + got;
    return got >= n ? 0 : -1;
  }

  get view(): Buffer {
    return this.buffer;
  }
}

interface FileHeader {
  serverUid: string;
  writer: string;
  pid: number;
  createdAt: number;
  headerLength: number;
}

function readHeader(window: FileWindow): FileHeader | string {
  let at = window.at(0, STREAM_HEADER_FIXED_SIZE + 2);
  if (at < 0) return 'too short for a stream file header';
  let b = window.view;
  if (!b.subarray(at, at + STREAM_MAGIC.length).equals(STREAM_MAGIC)) return 'not a stream file';
  const version = b.readUInt16LE(at + 8);
  if (version !== STREAM_FORMAT_VERSION) return `unsupported stream format version ${version}`;
  const headerLength = b.readUInt16LE(at + 10);
  const pid = b.readUInt32LE(at + 12);
  const createdAt = b.readDoubleLE(at + 16);
  at = window.at(0, headerLength);
  if (at < 0) return 'incomplete header';
  b = window.view;
  const uidLength = b.readUInt16LE(at + 24);
  if (26 + uidLength + 2 > headerLength) return 'corrupt header';
  const serverUid = b.toString('utf8', at + 26, at + 26 + uidLength);
  const nameLength = b.readUInt16LE(at + 26 + uidLength);
  if (28 + uidLength + nameLength > headerLength) return 'corrupt header';
  const writer = b.toString('utf8', at + 28 + uidLength, at + 28 + uidLength + nameLength);
  return { serverUid, writer, pid, createdAt, headerLength };
}

function channelId(channel: StreamChannel): 0 | 1 {
  return channel === 'stdout' ? 0 : 1;
}

export class StreamReader {
  private readonly chunks = new ChunkTable();
  private readonly index = new Map<number, JobIndex>();

  private constructor(
    readonly dir: string,
    readonly serverUid: string,
    readonly files: StreamFileInfo[],
    private readonly skipped: Array<{ path: string; reason: string }>,
  ) {}

  /** Indexes every stream file of `dir`. */
  static open(dir: string, options: StreamReaderOptions = {}): StreamReader {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((name) => name.endsWith(STREAM_FILE_SUFFIX));
    } catch (error) {
      throw new UserError(`Cannot read stream directory '${dir}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    names.sort();
    if (names.length === 0) throw new UserError(`No stream files (*${STREAM_FILE_SUFFIX}) found in '${dir}'`);

    const skipped: Array<{ path: string; reason: string }> = [];
    const candidates: Array<{ path: string; fd: number; window: FileWindow; header: FileHeader }> = [];
    try {
      for (const name of names) {
        const file = path.join(dir, name);
        let fd: number;
        try {
          fd = fs.openSync(file, 'r');
        } catch (error) {
          skipped.push({ path: file, reason: `cannot open: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
          continue;
        }
        const window = new FileWindow(fd, fs.fstatSync(fd).size);
        const header = readHeader(window);
        if (typeof header === 'string') {
          skipped.push({ path: file, reason: header });
          fs.closeSync(fd);
          continue;
        }
        candidates.push({ path: file, fd, window, header });
      }
      const uids = [...new Set(candidates.map((c) => c.header.serverUid))].sort();
      if (options.serverUid === undefined && uids.length > 1) {
        throw new UserError(`Stream directory '${dir}' holds streams of several servers (${uids.join(', ')}): choose one with --server-uid`);
      }
      const serverUid = options.serverUid ?? uids[0];
      if (serverUid === undefined) {
        throw new UserError(`No readable stream files in '${dir}' (${skipped.map((s) => `${path.basename(s.path)}: ${s.reason}`).join('; ')})`);
      }
      const files: StreamFileInfo[] = [];
      const reader = new StreamReader(dir, serverUid, files, skipped);
      for (const candidate of candidates) {
        if (candidate.header.serverUid !== serverUid) {
          skipped.push({ path: candidate.path, reason: `written for server ${candidate.header.serverUid}` });
          continue;
        }
        files.push(reader.indexFile(files.length, candidate.path, candidate.window, candidate.header));
      }
      if (files.length === 0) throw new UserError(`No stream files of server ${serverUid} found in '${dir}'`);
      return reader;
    } finally {
      for (const candidate of candidates) fs.closeSync(candidate.fd);
    }
  }

  private instanceOf(job: number, task: number, instance: number): InstanceStreams {
    let tasks = this.index.get(job);
    if (tasks === undefined) this.index.set(job, (tasks = new Map()));
    let instances = tasks.get(task);
    if (instances === undefined) tasks.set(task, (instances = []));
    let found = instances.find((i) => i.instance === instance);
    if (found === undefined) {
      found = { instance, ended: false, ok: false, chunks: [] };
      instances.push(found);
      // Kept sorted so the last element is the latest instance.
      instances.sort((a, b) => a.instance - b.instance);
    }
    return found;
  }

  private indexFile(fileIndex: number, filePath: string, window: FileWindow, header: FileHeader): StreamFileInfo {
    let pos = header.headerLength;
    let tailReason: StreamFileInfo['tailReason'] = null;
    while (pos < window.size) {
      let at = window.at(pos, RECORD_HEADER_SIZE);
      if (at < 0) {
        tailReason = 'incomplete record';
        break;
      }
      let b = window.view;
      const kind = b[at]!;
      const data = b[at + 1]!;
      const valid =
        b.readUInt16LE(at + 2) === 0 &&
        ((kind === RECORD_DATA && data <= 1) || (kind === RECORD_TASK_ENDED && data <= 1) || (kind === RECORD_TASK_STARTED && data === 0));
      if (!valid) {
        tailReason = 'corrupt record';
        break;
      }
      const job = b.readUInt32LE(at + 4);
      const task = b.readUInt32LE(at + 8);
      const instance = b.readUInt32LE(at + 12);
      const time = b.readDoubleLE(at + 16);
      if (kind === RECORD_DATA) {
        at = window.at(pos, DATA_RECORD_HEADER_SIZE);
        if (at < 0) {
          tailReason = 'incomplete record';
          break;
        }
        b = window.view;
        const length = b.readUInt32LE(at + RECORD_HEADER_SIZE);
        if (pos + DATA_RECORD_HEADER_SIZE + length > window.size) {
          tailReason = 'incomplete record';
          break;
        }
        const chunk = this.chunks.add(job, task, fileIndex, pos + DATA_RECORD_HEADER_SIZE, length, time, data);
        this.instanceOf(job, task, instance).chunks.push(chunk);
        pos += DATA_RECORD_HEADER_SIZE + length;
      } else {
        const streams = this.instanceOf(job, task, instance);
        if (kind === RECORD_TASK_ENDED) {
          streams.ended = true;
          streams.ok = data === 1;
        }
        pos += RECORD_HEADER_SIZE;
      }
    }
    return {
      path: filePath,
      serverUid: header.serverUid,
      writer: header.writer,
      pid: header.pid,
      createdAt: header.createdAt,
      validBytes: pos,
      tailBytes: window.size - pos,
      tailReason,
    };
  }

  private channelBytes(streams: InstanceStreams, channel: 0 | 1): number {
    let total = 0;
    for (const chunk of streams.chunks) if (this.chunks.channel[chunk] === channel) total += this.chunks.length[chunk]!;
    return total;
  }

  summary(): StreamSummary {
    const summary: StreamSummary = {
      serverUid: this.serverUid,
      files: this.files.length,
      jobs: this.index.size,
      tasks: 0,
      streams: 0,
      superseded: 0,
      incompleteTasks: 0,
      failedTasks: 0,
      stdoutBytes: 0,
      stderrBytes: 0,
      supersededStdoutBytes: 0,
      supersededStderrBytes: 0,
      truncatedFiles: this.files
        .filter((f) => f.tailReason !== null)
        .map((f) => ({ path: f.path, writer: f.writer, validBytes: f.validBytes, droppedBytes: f.tailBytes, reason: f.tailReason! })),
      skippedFiles: [...this.skipped],
    };
    for (const tasks of this.index.values()) {
      for (const instances of tasks.values()) {
        summary.tasks++;
        summary.streams += instances.length;
        summary.superseded += instances.length - 1;
        const last = instances[instances.length - 1]!;
        if (!last.ended) summary.incompleteTasks++;
        else if (!last.ok) summary.failedTasks++;
        summary.stdoutBytes += this.channelBytes(last, 0);
        summary.stderrBytes += this.channelBytes(last, 1);
        for (let i = 0; i < instances.length - 1; i++) {
          summary.supersededStdoutBytes += this.channelBytes(instances[i]!, 0);
          summary.supersededStderrBytes += this.channelBytes(instances[i]!, 1);
        }
      }
    }
    return summary;
  }

  /** Job ids with streamed output, ascending. */
  jobs(): number[] {
    return [...this.index.keys()].sort((a, b) => a - b);
  }

  /** Task ids of a job with streamed output, ascending. */
  tasks(job: number): number[] {
    return [...this.job(job).keys()].sort((a, b) => a - b);
  }

  /** Tasks whose last instance has not ended. */
  incompleteTasks(): Array<{ job: number; task: number }> {
    const result: Array<{ job: number; task: number }> = [];
    for (const job of this.jobs()) {
      const tasks = this.index.get(job)!;
      for (const task of [...tasks.keys()].sort((a, b) => a - b)) {
        const instances = tasks.get(task)!;
        if (!instances[instances.length - 1]!.ended) result.push({ job, task });
      }
    }
    return result;
  }

  /**
   * The output of one channel of a job's tasks (all, or `taskIds`), task
   * after task in id order, each from its last instance.
   */
  cat(job: number, channel: StreamChannel, taskIds?: readonly number[], options: CatOptions = {}): Buffer {
    const selected = this.select(job, taskIds);
    if (!options.allowUnfinished) {
      for (const [task, streams] of selected) {
        if (!streams.ended) throw new UserError(`The stream of task ${task} of job ${job} is not finished (use --allow-unfinished to print it anyway)`);
      }
    }
    const id = channelId(channel);
    const picked: number[] = [];
    for (const [, streams] of selected) for (const chunk of streams.chunks) if (this.chunks.channel[chunk] === id) picked.push(chunk);
    return this.readChunks(picked);
  }

  /**
   * Output records in the order they were produced (by their time, then file
   * position), each as `JOB.TASK:CHANNEL> text` with ids zero-padded to the
   * widest id in the directory and a newline added where a record lacks one.
   */
  show(options: ShowOptions = {}): string {
    if (options.job !== undefined) this.job(options.job);
    const wantedChannel = options.channel === undefined ? -1 : channelId(options.channel);
    let maxJob = 0;
    let maxTask = 0;
    const picked: number[] = [];
    for (const [job, tasks] of this.index) {
      maxJob = Math.max(maxJob, job);
      for (const [task, instances] of tasks) {
        maxTask = Math.max(maxTask, task);
        if (options.job !== undefined && job !== options.job) continue;
        for (const chunk of instances[instances.length - 1]!.chunks) {
          if (wantedChannel >= 0 && this.chunks.channel[chunk] !== wantedChannel) continue;
          picked.push(chunk);
        }
      }
    }
    const { time, file, offset, channel, job: jobOf, task: taskOf } = this.chunks;
    picked.sort((a, b) => time[a]! - time[b]! || file[a]! - file[b]! || offset[a]! - offset[b]!);
    const jobWidth = String(maxJob).length;
    const taskWidth = String(maxTask).length;
    const lines: string[] = [];
    this.withFiles((read) => {
      for (const chunk of picked) {
        const text = read(chunk).toString('utf8');
        const prefix = `${String(jobOf[chunk]).padStart(jobWidth, '0')}.${String(taskOf[chunk]).padStart(taskWidth, '0')}:${channel[chunk]}>`;
        lines.push(`${prefix} ${text}${text.endsWith('\n') ? '' : '\n'}`);
      }
    });
    return lines.join('');
  }

  /**
   * Tasks with their last instance's output, in task id order: one job's
   * tasks (all, or `taskIds`), or every job's when `job` is omitted.
   */
  export(job?: number, taskIds?: readonly number[]): StreamExportEntry[] {
    const jobs = job === undefined ? this.jobs() : [job];
    const entries: StreamExportEntry[] = [];
    for (const jobId of jobs) {
      for (const [task, streams] of this.select(jobId, job === undefined ? undefined : taskIds)) {
        const stdout: number[] = [];
        const stderr: number[] = [];
        for (const chunk of streams.chunks) (this.chunks.channel[chunk] === 0 ? stdout : stderr).push(chunk);
        entries.push({
          ...(job === undefined ? { job: jobId } : {}),
          id: task,
          finished: streams.ended,
          stdout: this.readChunks(stdout).toString('utf8'),
          stderr: this.readChunks(stderr).toString('utf8'),
        });
      }
    }
    return entries;
  }

  private job(job: number): Map<number, InstanceStreams[]> {
    const tasks = this.index.get(job);
    if (tasks === undefined) throw new UserError(`Job ${job} has no output in stream directory '${this.dir}'`);
    return tasks;
  }

  /** Last instances of the chosen tasks of a job, in task id order. */
  private select(job: number, taskIds?: readonly number[]): Array<[number, InstanceStreams]> {
    const tasks = this.job(job);
    const ids = taskIds === undefined ? [...tasks.keys()] : [...new Set(taskIds)];
    ids.sort((a, b) => a - b);
    return ids.map((task) => {
      const instances = tasks.get(task);
      if (instances === undefined) throw new UserError(`Task ${task} of job ${job} has no output in stream directory '${this.dir}'`);
      return [task, instances[instances.length - 1]!];
    });
  }

  /** Runs `body` with a chunk reader that keeps each file open until it returns. */
  private withFiles(body: (read: (chunk: number) => Buffer) => void): void {
    const fds = new Map<number, number>();
    try {
      body((chunk) => {
        const fileIndex = this.chunks.file[chunk]!;
        let fd = fds.get(fileIndex);
        if (fd === undefined) fds.set(fileIndex, (fd = fs.openSync(this.files[fileIndex]!.path, 'r')));
        const data = Buffer.allocUnsafe(this.chunks.length[chunk]!);
        let got = 0;
        while (got < data.length) {
          const n = fs.readSync(fd, data, got, data.length - got, this.chunks.offset[chunk]! + got);
          if (n === 0) throw new UserError(`Stream file '${this.files[fileIndex]!.path}' became shorter while it was read`);
          got += n;
        }
        return data;
      });
    } finally {
      for (const fd of fds.values()) fs.closeSync(fd);
    }
  }

  private readChunks(chunks: number[]): Buffer {
    const parts: Buffer[] = [];
    this.withFiles((read) => {
      for (const chunk of chunks) parts.push(read(chunk));
    });
    return Buffer.concat(parts);
  }
}

/** `export()` as HyperQueue prints it: pretty JSON with two-space indents. */
export function formatStreamExport(entries: StreamExportEntry[]): string {
  return JSON.stringify(entries, null, 2);
}
