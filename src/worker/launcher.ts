// Starting task processes. The native launcher (native/launcher.c, built at
// install, driven by native-launcher.ts) starts them with vfork+exec from a
// small helper process, which stays cheap however large the worker's heap
// grows, and keeps a short queue of tasks per resource shape so that the next
// task starts the moment one ends, without waiting for the worker. Node's
// child_process (node-launcher.ts) serves as the fallback and follows the
// same model.
//
// The model (see the header of native/launcher.c for the wire format):
// a template is what the tasks of one submission share; a lane is one
// allocation of resources that runs one task at a time; a class groups the
// lanes a task may run on. A task started into a class runs on an idle lane
// of it at once, or waits in the class's queue for the next lane to free up.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** Where a task's stdout or stderr goes. */
export const OUTPUT_NULL = 0;
/** A file whose path each task gives. */
export const OUTPUT_FILE = 1;
/** A pipe whose data comes back as `output` events (output streaming). */
export const OUTPUT_PIPE = 2;
/** stderr only: wherever stdout goes. */
export const OUTPUT_SAME = 3;
export type OutputMode = typeof OUTPUT_NULL | typeof OUTPUT_FILE | typeof OUTPUT_PIPE | typeof OUTPUT_SAME;

export interface LaunchTemplate {
  args: readonly string[];
  /** KEY=VALUE entries set over the worker's environment; a bare KEY removes one. */
  env: readonly string[];
  /** Keys each task sets itself (TaskStart.env); never inherited. */
  taskKeys: readonly string[];
  /** Working directory unless a task gives its own. */
  cwd: string;
  /** File given as standard input, or null for /dev/null. */
  stdin: string | null;
  stdout: OutputMode;
  stderr: OutputMode;
}

export interface LaneSpec {
  cls: number;
  /** KEY=VALUE entries of the allocation (HQ_CPUS, ...), over the template's. */
  env: readonly string[];
  /** Put before the command (e.g. taskset -c CPUS). */
  argsPrefix: readonly string[];
  /** The lane closes after its first task (reported by laneClosed). */
  once: boolean;
}

export interface TaskStart {
  /** Non-zero id chosen by the caller, unique among tasks not ended. */
  task: number;
  template: number;
  cls: number;
  /** null: the template's. */
  cwd: string | null;
  /** Paths for OUTPUT_FILE channels, else null. */
  stdout: string | null;
  stderr: string | null;
  /** KEY=VALUE entries, keys among the template's taskKeys. */
  env: readonly string[];
}

export type TaskEnd =
  | { how: 'exited'; code: number }
  | { how: 'signaled'; signal: string }
  | { how: 'error'; error: string }
  | { how: 'dropped' };

export interface LauncherEvents {
  started(task: number, pid: number): void;
  /** `micros`: how long it ran (0 when it did not start). */
  ended(task: number, end: TaskEnd, micros: number): void;
  /** Output of a piped channel; `data` is only valid during the call. */
  output(task: number, channel: 0 | 1, data: Uint8Array): void;
  laneClosed(lane: number): void;
  /** A batch of events was delivered. */
  settled(): void;
  /** The launcher stopped working: tasks it had will not be reported. */
  lost(reason: string): void;
}

export interface Launcher {
  readonly kind: 'native' | 'node';
  /** Ids of templates, classes and lanes are small non-zero integers chosen by the caller. */
  defineTemplate(id: number, template: LaunchTemplate): void;
  /**
   * (Re)defines a class: the launcher reports early once its queue holds
   * `lowWater` tasks or fewer, and with `promptStarts` reports each start
   * of its tasks at once.
   */
  defineClass(id: number, lowWater: number, promptStarts: boolean): void;
  openLane(id: number, lane: LaneSpec): void;
  /** Closes up to `count` lanes of the class that have no task; each is reported by laneClosed. */
  closeIdleLanes(cls: number, count: number): void;
  start(task: TaskStart): void;
  /** Takes a task back that has not started yet (reported as ended: dropped). */
  drop(task: number): void;
  /** Frees a template no task will use again (its job ended); a task of it still waiting ends with an error. */
  forgetTemplate(id: number): void;
  close(): void;
}

/** dist/hq-launcher, seen from the bundle (dist/bundle/) or from compiled modules (dist/src/worker/). */
export function nativeLauncherPath(): string | null {
  for (const rel of ['../hq-launcher', '../../hq-launcher']) {
    const candidate = fileURLToPath(new URL(rel, import.meta.url));
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

let signalNames: Map<number, string> | null = null;

export function signalName(signal: number): string {
  signalNames ??= new Map(Object.entries(os.constants.signals).map(([name, value]) => [value, name]));
  return signalNames.get(signal) ?? `signal ${signal}`;
}

export function errnoText(errno: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) {
    if (value === errno) return name === 'ENOENT' ? 'No such file or directory' : name === 'EACCES' ? 'Permission denied' : name;
  }
  return `errno ${errno}`;
}
