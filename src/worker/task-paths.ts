// The paths of a task (working directory, stdout, stderr) from the templates
// of its submission. Everything but the task and instance ids is filled once
// per submission, so that each task costs a string concatenation.
import fs from 'node:fs';
import path from 'node:path';
import { resolveTaskPaths, type TaskPathTemplates } from '../common/placeholders.js';

// Stand-ins for the ids while the rest is filled in; no real path holds them.
const TASK_MARK = '\u0001T\u0001';
const INSTANCE_MARK = '\u0001I\u0001';
const MARKS = /\u0001([TI])\u0001/;

/** A path with the task id (0) and instance id (1) still to fill. */
export class PathPattern {
  private constructor(
    /** The path itself when it does not depend on the task. */
    readonly constant: string | null,
    private readonly parts: ReadonlyArray<string | 0 | 1>,
  ) {}

  static of(marked: string): PathPattern {
    if (!MARKS.test(marked)) return new PathPattern(marked, []);
    const parts: Array<string | 0 | 1> = [];
    for (const [i, piece] of marked.split(MARKS).entries()) {
      // split() with a capture group alternates text and the captured mark letter.
      if (i % 2 === 0) {
        if (piece !== '') parts.push(piece);
      } else {
        parts.push(piece === 'T' ? 0 : 1);
      }
    }
    return new PathPattern(null, parts);
  }

  fill(taskId: number, instance: number): string {
    if (this.constant !== null) return this.constant;
    let out = '';
    for (const p of this.parts) out += p === 0 ? taskId : p === 1 ? instance : p;
    return out;
  }
}

export interface TaskPathPatterns {
  cwd: PathPattern;
  /** null: the channel goes to no file. */
  stdout: PathPattern | null;
  stderr: PathPattern | null;
  /** Directories the output files go into (filled like the files). */
  stdoutDir: PathPattern | null;
  stderrDir: PathPattern | null;
  /** stdout and stderr are the same file. */
  sameFile: boolean;
}

export interface SubmissionValues {
  jobId: number;
  submitDir: string;
  serverUid: string;
}

/** Patterns of a submission's task paths, resolved as resolveTaskPaths does. */
export function compileTaskPaths(templates: TaskPathTemplates, values: SubmissionValues): TaskPathPatterns {
  const marked = resolveTaskPaths(templates, { ...values, taskId: TASK_MARK, instanceId: INSTANCE_MARK });
  const pattern = (p: string | null) => (p === null ? null : PathPattern.of(p));
  return {
    cwd: PathPattern.of(marked.cwd),
    stdout: pattern(marked.stdout),
    stderr: pattern(marked.stderr),
    stdoutDir: pattern(marked.stdout === null ? null : path.dirname(marked.stdout)),
    stderrDir: pattern(marked.stderr === null ? null : path.dirname(marked.stderr)),
    sameFile: marked.stdout !== null && marked.stdout === marked.stderr,
  };
}

/** Directories already created, so that each costs one mkdir per worker. */
const madeDirs = new Set<string>();

export function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}
