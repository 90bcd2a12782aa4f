// The fallback launcher when hq-launcher was not built (or HQ_LAUNCHER=node):
// the same templates, classes and lanes as the native one (see launcher.ts),
// each task started with Node's child_process in its own process group.
// Unlike the native launcher it cannot outlive a worker killed with SIGKILL
// to clean up: such a worker's running tasks keep running.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  OUTPUT_FILE,
  OUTPUT_PIPE,
  OUTPUT_SAME,
  errnoText,
  type LaneSpec,
  type LaunchTemplate,
  type Launcher,
  type LauncherEvents,
  type TaskEnd,
  type TaskStart,
} from './launcher.js';

interface NodeTemplate {
  spec: LaunchTemplate;
  /** The worker's environment with the template's changes, without its task keys. */
  env: Record<string, string>;
}

interface NodeClass {
  lowWater: number;
  queue: TaskStart[];
}

interface NodeLane {
  spec: LaneSpec;
  env: Record<string, string>;
  busy: boolean;
  ran: boolean;
}

function entriesToObject(entries: readonly string[], into: Record<string, string>): Record<string, string> {
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq < 0) delete into[e];
    else into[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return into;
}

export class NodeLauncher implements Launcher {
  readonly kind = 'node' as const;
  private readonly templates = new Map<number, NodeTemplate>();
  private readonly classes = new Map<number, NodeClass>();
  private readonly lanes = new Map<number, NodeLane>();
  private settleScheduled = false;

  constructor(private readonly events: LauncherEvents) {}

  defineTemplate(id: number, spec: LaunchTemplate): void {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    entriesToObject(spec.env, env);
    for (const k of spec.taskKeys) delete env[k];
    this.templates.set(id, { spec, env });
  }

  // Events are delivered at once here: the class's reporting hints do not apply.
  defineClass(id: number, lowWater: number): void {
    const cls = this.classes.get(id);
    if (cls) cls.lowWater = lowWater;
    else this.classes.set(id, { lowWater, queue: [] });
  }

  openLane(id: number, spec: LaneSpec): void {
    this.lanes.set(id, { spec, env: entriesToObject(spec.env, {}), busy: false, ran: false });
    this.laneFreed(id);
  }

  closeIdleLanes(cls: number, count: number): void {
    for (const [id, lane] of this.lanes) {
      if (count === 0) break;
      if (lane.spec.cls !== cls || lane.busy) continue;
      this.lanes.delete(id);
      count--;
      this.later(() => this.events.laneClosed(id));
    }
  }

  start(task: TaskStart): void {
    for (const [id, lane] of this.lanes) {
      if (lane.spec.cls === task.cls && !lane.busy) {
        this.run(id, lane, task);
        return;
      }
    }
    this.classes.get(task.cls)!.queue.push(task);
  }

  drop(task: number): void {
    for (const cls of this.classes.values()) {
      const at = cls.queue.findIndex((t) => t.task === task);
      if (at < 0) continue;
      cls.queue.splice(at, 1);
      this.later(() => this.events.ended(task, { how: 'dropped' }, 0));
      return;
    }
  }

  forgetTemplate(id: number): void {
    this.templates.delete(id);
  }

  close(): void {}

  /** Delivers an event on a later turn, like the native launcher's replies, followed by settled(). */
  private later(fn: () => void): void {
    setImmediate(() => {
      fn();
      this.settleSoon();
    });
  }

  private settleSoon(): void {
    if (this.settleScheduled) return;
    this.settleScheduled = true;
    setImmediate(() => {
      this.settleScheduled = false;
      this.events.settled();
    });
  }

  private laneFreed(id: number): void {
    const lane = this.lanes.get(id);
    if (!lane) return;
    lane.busy = false;
    if (lane.spec.once && lane.ran) {
      this.lanes.delete(id);
      this.later(() => this.events.laneClosed(id));
      return;
    }
    const next = this.classes.get(lane.spec.cls)?.queue.shift();
    if (next) this.run(id, lane, next);
  }

  private run(laneId: number, lane: NodeLane, task: TaskStart): void {
    const template = this.templates.get(task.template);
    if (template === undefined) {
      // Forgotten while the task waited: its job ended, so the task was canceled.
      this.later(() => this.events.ended(task.task, { how: 'error', error: errnoText(os.constants.errno.ENOENT) }, 0));
      this.laneFreed(laneId);
      return;
    }
    lane.busy = true;
    lane.ran = true;
    const spec = template.spec;
    const env = entriesToObject(task.env, { ...template.env, ...lane.env });
    const args = [...lane.spec.argsPrefix, ...spec.args];
    const fds: number[] = [];
    const open = (file: string, flags: string): number => {
      const fd = fs.openSync(file, flags);
      fds.push(fd);
      return fd;
    };
    const startedAt = performance.now();
    let child: ChildProcess;
    try {
      const stdin = spec.stdin ? open(spec.stdin, 'r') : 'ignore';
      const stdout = spec.stdout === OUTPUT_FILE ? open(task.stdout!, 'w') : spec.stdout === OUTPUT_PIPE ? 'pipe' : 'ignore';
      const stderr =
        spec.stderr === OUTPUT_SAME ? stdout : spec.stderr === OUTPUT_FILE ? open(task.stderr!, 'w') : spec.stderr === OUTPUT_PIPE ? 'pipe' : 'ignore';
      child = spawn(args[0]!, args.slice(1), {
        cwd: task.cwd ?? spec.cwd,
        env,
        stdio: [stdin, stdout, stderr] as StdioOptions,
        detached: true,
      });
    } catch (e) {
      this.later(() => this.events.ended(task.task, { how: 'error', error: errorText(e as NodeJS.ErrnoException) }, 0));
      this.laneFreed(laneId);
      return;
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
    let done = false;
    let exit: TaskEnd | null = null;
    let openStreams = 0;
    const finish = (end: TaskEnd) => {
      if (done) return;
      done = true;
      this.events.ended(task.task, end, end.how === 'error' ? 0 : Math.round((performance.now() - startedAt) * 1000));
      this.settleSoon();
      this.laneFreed(laneId);
    };
    // With pipes, the end is reported once the output is drained too.
    const settle = () => {
      if (exit && openStreams === 0) finish(exit);
    };
    for (const [stream, channel] of [
      [child.stdout, 0],
      [child.stderr, 1],
    ] as const) {
      if (!stream) continue;
      openStreams++;
      stream.on('data', (data: Buffer) => {
        this.events.output(task.task, channel, data);
        this.settleSoon();
      });
      stream.on('close', () => {
        openStreams--;
        settle();
      });
    }
    child.on('spawn', () => {
      this.events.started(task.task, child.pid!);
      this.settleSoon();
    });
    child.on('error', (e: NodeJS.ErrnoException) => finish({ how: 'error', error: errorText(e) }));
    child.on('exit', (code, signal) => {
      exit = signal ? { how: 'signaled', signal } : { how: 'exited', code: code ?? 0 };
      settle();
    });
  }
}

function errorText(e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') return 'No such file or directory';
  if (e.code === 'EACCES') return 'Permission denied';
  return e.code ?? e.message;
}
