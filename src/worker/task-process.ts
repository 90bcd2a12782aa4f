// Runs one task as a process in its own process group, with its output in
// files, and reports how it ended.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resolveTaskPaths } from '../common/placeholders.js';
import type { ProgramDescription } from '../client/types.js';

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
}

export type TaskOutcome = { ok: true } | { ok: false; error: string };

const madeDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

function openOutput(file: string | null): number | 'ignore' {
  if (file === null) return 'ignore';
  ensureDir(path.dirname(file));
  return fs.openSync(file, 'w');
}

export class TaskProcess {
  private child: ChildProcess | null = null;
  private killed = false;
  private timer: NodeJS.Timeout | null = null;

  /** Starts the task; `done` is called exactly once. */
  constructor(launch: TaskLaunch, done: (outcome: TaskOutcome) => void) {
    const p = launch.program;
    let outFd: number | 'ignore' = 'ignore';
    let errFd: number | 'ignore' = 'ignore';
    let settled = false;
    const finish = (outcome: TaskOutcome) => {
      if (settled) return;
      settled = true;
      if (this.timer) clearTimeout(this.timer);
      done(outcome);
    };
    try {
      const paths = resolveTaskPaths(
        { cwd: p.cwd || '%{SUBMIT_DIR}', stdout: p.stdout || null, stderr: p.stderr || null },
        {
          jobId: launch.jobId,
          taskId: launch.taskId,
          instanceId: launch.instance,
          submitDir: launch.submitDir,
          serverUid: launch.serverUid,
        },
      );
      ensureDir(paths.cwd);
      outFd = openOutput(paths.stdout);
      errFd = paths.stderr !== null && paths.stderr === paths.stdout ? outFd : openOutput(paths.stderr);
      const child = spawn(p.args[0]!, p.args.slice(1), {
        cwd: paths.cwd,
        env: { ...process.env, ...p.env, ...launch.env },
        stdio: ['ignore', outFd, errFd],
        detached: true,
      });
      this.child = child;
      child.on('error', (e: NodeJS.ErrnoException) => {
        finish({ ok: false, error: `Cannot execute "${p.args[0]}": ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}` });
      });
      child.on('exit', (code, signal) => {
        if (this.killed === true && this.timedOut) finish({ ok: false, error: 'Time limit reached' });
        else if (code === 0) finish({ ok: true });
        else if (signal) finish({ ok: false, error: `Program terminated by signal ${signal}` });
        else finish({ ok: false, error: `Program terminated with exit code ${code}` });
      });
      if (launch.timeLimit > 0) {
        this.timer = setTimeout(() => {
          this.timedOut = true;
          this.kill();
        }, launch.timeLimit * 1000);
      }
    } catch (e) {
      finish({ ok: false, error: `Cannot start task: ${(e as Error).message}` });
    } finally {
      // The child holds its own copies of the descriptors.
      if (typeof outFd === 'number') fs.closeSync(outFd);
      if (typeof errFd === 'number' && errFd !== outFd) fs.closeSync(errFd);
    }
  }

  private timedOut = false;

  /** Ends the whole process group: SIGTERM, then SIGKILL if it lingers. */
  kill(): void {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    this.killed = true;
    const pid = child.pid;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const force = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 2000);
    force.unref();
    child.once('exit', () => clearTimeout(force));
  }
}
