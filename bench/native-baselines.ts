// Builds and runs the C baselines of native-bench/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked } from './processes.js';

const SOURCE_DIR = fileURLToPath(new URL('../../native-bench/', import.meta.url));

/** native-bench's peak-rss (see there), compiled when missing or older than its source. */
export function peakRssRunner(): string {
  const runner = path.join(SOURCE_DIR, 'build', 'peak-rss');
  const source = path.join(SOURCE_DIR, 'peak-rss.c');
  if (!fs.existsSync(runner) || fs.statSync(runner).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(path.dirname(runner), { recursive: true });
    execFileSync('gcc', ['-O2', '-o', runner, source]);
  }
  return runner;
}

export interface NativeResult {
  tasks: number;
  parallel: number;
  seconds: number;
  us_per_task: number;
}

export class NativeBaselines {
  private constructor(private readonly buildDir: string) {}

  /** Compiles native-bench/*.c with gcc -O2 into native-bench/build/. */
  static async build(repoRoot: string): Promise<NativeBaselines> {
    const sourceDir = path.join(repoRoot, 'native-bench');
    const buildDir = path.join(sourceDir, 'build');
    fs.mkdirSync(buildDir, { recursive: true });
    for (const name of ['spawn-loop', 'zero-loop']) {
      await runChecked('gcc', ['-O2', '-o', path.join(buildDir, name), path.join(sourceDir, `${name}.c`)]);
    }
    return new NativeBaselines(buildDir);
  }

  /**
   * posix_spawn of `tasks` copies of `program`, `parallel` at a time; with
   * `outputDir`, each child writes to two fresh files there (as hq's default
   * per-task stdout/stderr), else to /dev/null.
   */
  spawnLoop(tasks: number, parallel: number, program: readonly string[], outputDir?: string): Promise<NativeResult> {
    const output = outputDir === undefined ? [] : ['-o', outputDir];
    return this.run('spawn-loop', ['-n', String(tasks), '-P', String(parallel), ...output, '--', ...program], 60 + tasks * 0.01);
  }

  /** `tasks` calls of an empty function. */
  zeroLoop(tasks: number): Promise<NativeResult> {
    return this.run('zero-loop', ['-n', String(tasks)], 60 + tasks * 1e-7);
  }

  private async run(name: string, args: string[], timeoutSeconds: number): Promise<NativeResult> {
    const result = await runChecked(path.join(this.buildDir, name), args, { timeoutSeconds });
    return JSON.parse(result.stdout) as NativeResult;
  }
}
