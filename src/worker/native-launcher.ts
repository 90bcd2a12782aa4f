// The worker's side of the native task launcher (native/launcher.c): requests
// framed into one write per turn of the event loop, replies parsed from its
// stdout. See launcher.ts for the model.
import { spawn, type ChildProcess } from 'node:child_process';
import { log } from '../common/log.js';
import { errnoText, signalName, type LaneSpec, type LaunchTemplate, type Launcher, type LauncherEvents, type TaskEnd, type TaskStart } from './launcher.js';

const enum Request {
  Template = 1,
  Class = 2,
  Lane = 3,
  CloseIdle = 4,
  Start = 5,
  Drop = 6,
  Forget = 7,
}

const enum Reply {
  Started = 1,
  Ended = 2,
  Output = 3,
  Closed = 4,
}

const START_CWD = 1;
const START_STDOUT = 2;
const START_STDERR = 4;

/**
 * Frames requests into one buffer that is written once per turn of the
 * event loop, however many tasks were started in it.
 */
class RequestWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  private frameStart = 0;
  private scheduled = false;

  constructor(private readonly send: (data: Buffer) => void) {}

  begin(type: number, maxBytes: number): void {
    this.reserve(5 + maxBytes);
    this.frameStart = this.len;
    this.buf[this.len + 4] = type;
    this.len += 5;
  }

  u8(v: number): void {
    this.buf[this.len++] = v;
  }

  u16(v: number): void {
    this.buf.writeUInt16LE(v, this.len);
    this.len += 2;
  }

  u32(v: number): void {
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
  }

  /** A NUL-terminated string; `begin` reserved room for it (see stringBytes). */
  str(s: string): void {
    this.len += this.buf.write(s, this.len, 'utf8');
    this.buf[this.len++] = 0;
  }

  end(): void {
    this.buf.writeUInt32LE(this.len - this.frameStart - 4, this.frameStart);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.len === 0) return;
    // The pipe may keep the bytes until it drains: they go out as a copy.
    const out = Buffer.from(this.buf.subarray(0, this.len));
    this.len = 0;
    this.send(out);
  }

  private reserve(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + bytes));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

/** Room a string takes at most in a frame (UTF-8 and its NUL). */
function stringBytes(s: string): number {
  return s.length * 3 + 1;
}

function listBytes(list: readonly string[]): number {
  let n = 0;
  for (const s of list) n += s.length * 3 + 1;
  return n;
}

export class NativeLauncher implements Launcher {
  readonly kind = 'native' as const;
  private readonly child: ChildProcess;
  private readonly out: RequestWriter;
  private rest: Buffer | null = null;
  private dead = false;
  private closing = false;

  constructor(
    path: string,
    private readonly events: LauncherEvents,
  ) {
    this.child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const stdin = this.child.stdin!;
    this.out = new RequestWriter((data) => {
      if (!this.dead) stdin.write(data);
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.on('exit', (code, signal) => this.onExit(signal ? `killed by ${signal}` : `exit code ${code}`));
    this.child.on('error', (e) => this.onExit(e.message));
    stdin.on('error', () => {}); // the exit event tells
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  defineTemplate(id: number, t: LaunchTemplate): void {
    const w = this.out;
    w.begin(Request.Template, 12 + stringBytes(t.cwd) + stringBytes(t.stdin ?? '') + listBytes(t.args) + listBytes(t.env) + listBytes(t.taskKeys));
    w.u32(id);
    w.u8(t.stdout);
    w.u8(t.stderr);
    w.u16(t.args.length);
    w.u16(t.env.length);
    w.u16(t.taskKeys.length);
    w.str(t.cwd);
    w.str(t.stdin ?? '');
    for (const s of t.args) w.str(s);
    for (const s of t.env) w.str(s);
    for (const s of t.taskKeys) w.str(s);
    w.end();
  }

  defineClass(id: number, lowWater: number, promptStarts: boolean): void {
    this.out.begin(Request.Class, 9);
    this.out.u32(id);
    this.out.u32(lowWater);
    this.out.u8(promptStarts ? 1 : 0);
    this.out.end();
  }

  openLane(id: number, lane: LaneSpec): void {
    const w = this.out;
    w.begin(Request.Lane, 16 + listBytes(lane.argsPrefix) + listBytes(lane.env));
    w.u32(id);
    w.u32(lane.cls);
    w.u8(lane.once ? 1 : 0);
    w.u16(lane.argsPrefix.length);
    w.u16(lane.env.length);
    for (const s of lane.argsPrefix) w.str(s);
    for (const s of lane.env) w.str(s);
    w.end();
  }

  closeIdleLanes(cls: number, count: number): void {
    this.out.begin(Request.CloseIdle, 8);
    this.out.u32(cls);
    this.out.u32(count);
    this.out.end();
  }

  start(t: TaskStart): void {
    if (this.dead) return; // lost() already told about every task
    const w = this.out;
    let bytes = 16 + listBytes(t.env);
    if (t.cwd !== null) bytes += stringBytes(t.cwd);
    if (t.stdout !== null) bytes += stringBytes(t.stdout);
    if (t.stderr !== null) bytes += stringBytes(t.stderr);
    w.begin(Request.Start, bytes);
    w.u32(t.task);
    w.u32(t.template);
    w.u32(t.cls);
    w.u8((t.cwd !== null ? START_CWD : 0) | (t.stdout !== null ? START_STDOUT : 0) | (t.stderr !== null ? START_STDERR : 0));
    w.u16(t.env.length);
    if (t.cwd !== null) w.str(t.cwd);
    if (t.stdout !== null) w.str(t.stdout);
    if (t.stderr !== null) w.str(t.stderr);
    for (const s of t.env) w.str(s);
    w.end();
  }

  drop(task: number): void {
    this.out.begin(Request.Drop, 4);
    this.out.u32(task);
    this.out.end();
  }

  forgetTemplate(id: number): void {
    this.out.begin(Request.Forget, 4);
    this.out.u32(id);
    this.out.end();
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.out.flush();
    this.child.stdin!.end();
  }

  private onData(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const events = this.events;
    let off = 0;
    while (off + 5 <= data.length) {
      const len = data.readUInt32LE(off);
      if (off + 4 + len > data.length) break;
      const at = off + 5;
      switch (data[off + 4]) {
        case Reply.Started:
          events.started(data.readUInt32LE(at), data.readInt32LE(at + 4));
          break;
        case Reply.Ended: {
          const task = data.readUInt32LE(at);
          const how = data[at + 4];
          const value = data.readInt32LE(at + 5);
          const micros = data.readUInt32LE(at + 9);
          events.ended(task, endOf(how!, value), micros);
          break;
        }
        case Reply.Output:
          events.output(data.readUInt32LE(at), data[at + 4] === 1 ? 1 : 0, data.subarray(at + 5, off + 4 + len));
          break;
        case Reply.Closed:
          events.laneClosed(data.readUInt32LE(at));
          break;
      }
      off += 4 + len;
    }
    this.rest = off < data.length ? data.subarray(off) : null;
    events.settled();
  }

  private onExit(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    if (!this.closing) {
      log.error(`the task launcher ended unexpectedly (${reason})`);
      this.events.lost('the task launcher ended unexpectedly');
    }
  }
}

function endOf(how: number, value: number): TaskEnd {
  if (how === 0) return { how: 'exited', code: value };
  if (how === 1) return { how: 'signaled', signal: signalName(value) };
  if (how === 2) return { how: 'error', error: errnoText(value) };
  return { how: 'dropped' };
}
