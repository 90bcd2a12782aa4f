// Runs one task as a process in its own process group, with its output in
// files, and reports how it ended.
import fs from 'node:fs';
import path from 'node:path';
import { resolveTaskPaths } from '../common/placeholders.js';
import type { ProgramDescription } from '../client/types.js';
import type { Launcher } from './launcher.js';

export interface TaskLaunch {
  jobId: number;
  taskId: number;
  instance: number;
  program: ProgramDescription;
  submitDir: string;
  serverUid: string;
  /** Extra environment (HQ_CPUS, HQ_ENTRY, ...). */
  env: Record<string, string>;
  /** Seconds, 0 = none. */
  timeLimit: number;
  /** File with the task's standard input, or null. */
  stdin: string | null;
  /** Output streaming: receives stdout (0) and stderr (1) instead of files. */
  pipe?: (channel: 0 | 1, data: Buffer) => void;
}

export type TaskOutcome = { ok: true } | { ok: false; error: string };

/** Directories already created, so that each costs one mkdir per worker. */
const madeDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

export class TaskProcess {
  private pid = 0;
  private ended = false;
  private killRequested = false;
  private timedOut = false;
  private timer: NodeJS.Timeout | null = null;

  /** Starts the task; `done` is called exactly once. */
  constructor(launcher: Launcher, launch: TaskLaunch, done: (outcome: TaskOutcome) => void) {
    const p = launch.program;
    const finish = (outcome: TaskOutcome) => {
      if (this.ended) return;
      this.ended = true;
      if (this.timer) clearTimeout(this.timer);
      done(outcome);
    };
    let paths;
    try {
      paths = resolveTaskPaths(
        { cwd: p.cwd || '%{SUBMIT_DIR}', stdout: launch.pipe ? null : p.stdout || null, stderr: launch.pipe ? null : p.stderr || null },
        {
          jobId: launch.jobId,
          taskId: launch.taskId,
          instanceId: launch.instance,
          submitDir: launch.submitDir,
          serverUid: launch.serverUid,
        },
      );
      ensureDir(paths.cwd);
      if (paths.stdout) ensureDir(path.dirname(paths.stdout));
      if (paths.stderr) ensureDir(path.dirname(paths.stderr));
    } catch (e) {
      queueMicrotask(() => finish({ ok: false, error: `Cannot prepare the task: ${(e as Error).message}` }));
      return;
    }
    launcher.spawn(
      {
        args: p.args,
        cwd: paths.cwd,
        stdin: launch.stdin,
        ...(launch.pipe ? { pipe: launch.pipe } : {}),
        stdout: paths.stdout,
        stderr: paths.stderr !== null && paths.stderr === paths.stdout ? 'stdout' : paths.stderr,
        env: { ...p.env, ...launch.env },
      },
      {
        started: (pid) => {
          this.pid = pid;
          if (this.killRequested) this.kill();
        },
        ended: (result) => {
          if ('error' in result) finish({ ok: false, error: `Cannot execute "${p.args.join(' ')}": ${result.error}` });
          else if (this.timedOut) finish({ ok: false, error: 'Time limit reached' });
          else if (result.code === 0) finish({ ok: true });
          else if (result.signal) finish({ ok: false, error: `Program terminated by signal ${result.signal}` });
          else finish({ ok: false, error: `Program terminated with exit code ${result.code}` });
        },
      },
    );
    if (launch.timeLimit > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.kill();
      }, launch.timeLimit * 1000);
    }
  }

  /** Ends the whole process group: SIGTERM, then SIGKILL if it lingers. */
  kill(): void {
    if (this.ended) return;
    if (!this.pid) {
      this.killRequested = true;
      return;
    }
    const pid = this.pid;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    const force = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 2000);
    force.unref();
  }
}
