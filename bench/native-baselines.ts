// Builds and runs the C baselines of native-bench/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked } from './processes.js';

const SOURCE_DIR = fileURLToPath(new URL('../../native-bench/', import.meta.url));
const BUILD_DIR = path.join(SOURCE_DIR, 'build');

/** native-bench/<name>.c compiled with gcc -O2 into native-bench/build/, when missing or older than its source. */
function nativeProgram(name: string): string {
  const program = path.join(BUILD_DIR, name);
  const source = path.join(SOURCE_DIR, `${name}.c`);
  if (!fs.existsSync(program) || fs.statSync(program).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(BUILD_DIR, { recursive: true });
    execFileSync('gcc', ['-O2', '-o', program, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return program;
}

/** native-bench's peak-rss (see there). */
export function peakRssRunner(): string {
  return nativeProgram('peak-rss');
}

export interface NativeResult {
  tasks: number;
  parallel: number;
  seconds: number;
  us_per_task: number;
}

export class NativeBaselines {
  private constructor(private readonly buildDir: string) {}

  /** The C baselines of native-bench/, compiled when needed; throws without gcc. */
  static build(): NativeBaselines {
    nativeProgram('spawn-loop');
    nativeProgram('zero-loop');
    return new NativeBaselines(BUILD_DIR);
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
