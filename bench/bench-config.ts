// Sizes of the benchmark run, from the command line and environment.
import { UserError } from '../src/common/errors.js';

export interface BenchConfig {
  /** Tiny sizes for a smoke run; results are printed, not written to the docs. */
  quick: boolean;
  /** Tasks of the zero-work array. */
  arrayTasks: number;
  /** Runs (each with a fresh server) of each zero-work array case; medians are reported. */
  arrayRuns: number;
  /** Rounds of each /bin/true comparison (hq and its peers, taking turns at going first); medians are reported. */
  spawnRounds: number;
  /** Workers of the many-worker zero-work case. */
  manyWorkers: number;
  /** /bin/true tasks in the process makespan comparisons. */
  spawnTasks: number;
  /** /bin/true tasks of the Slurm job array comparison. */
  slurmTasks: number;
  /** Runs of each command in the CLI latency benchmark. */
  cliRuns: number;
  /** `sleep 0.01` tasks of the server CPU benchmark. */
  serverCpuTasks: number;
  /** Calls of the native empty-function loop. */
  zeroLoopCalls: number;
  /** Where the report goes; null = only printed. */
  outputFile: string | null;
}

export const USAGE = `usage: node dist/bench/run.js [--quick] [--array-tasks N] [--spawn-tasks N] [--slurm-tasks N] [--server-cpu-tasks N] [--out FILE]
  --quick             tiny sizes, finishes in well under a minute, prints only (also BENCH_QUICK=1)
  --array-tasks N     tasks of the zero-work arrays (default 1000000)
  --spawn-tasks N     /bin/true tasks of the process comparisons (default 20000)
  --slurm-tasks N     /bin/true tasks of the Slurm job array comparison (default 1000)
  --server-cpu-tasks N  sleep 0.01 tasks of the server CPU benchmark (default 20000)
  --out FILE          write the report into FILE (default docs/performance.md; none in quick mode)`;

function positiveInteger(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UserError(`Invalid ${flag} '${value ?? ''}': expected a positive integer`);
  }
  return n;
}

export function parseBenchConfig(argv: readonly string[], env: NodeJS.ProcessEnv, defaultOutput: string): BenchConfig {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const config: BenchConfig = quick
    ? {
        quick,
        arrayTasks: 10_000,
        arrayRuns: 1,
        spawnRounds: 1,
        manyWorkers: 16,
        spawnTasks: 200,
        slurmTasks: 6,
        cliRuns: 2,
        serverCpuTasks: 100,
        zeroLoopCalls: 10_000_000,
        outputFile: null,
      }
    : {
        quick,
        arrayTasks: 1_000_000,
        arrayRuns: 3,
        spawnRounds: 5,
        manyWorkers: 16,
        spawnTasks: 20_000,
        slurmTasks: 1_000,
        cliRuns: 10,
        serverCpuTasks: 20_000,
        zeroLoopCalls: 100_000_000,
        outputFile: defaultOutput,
      };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--quick':
        break;
      case '--array-tasks':
        config.arrayTasks = positiveInteger(flag, argv[++i]);
        break;
      case '--spawn-tasks':
        config.spawnTasks = positiveInteger(flag, argv[++i]);
        break;
      case '--slurm-tasks':
        config.slurmTasks = positiveInteger(flag, argv[++i]);
        break;
      case '--server-cpu-tasks':
        config.serverCpuTasks = positiveInteger(flag, argv[++i]);
        break;
      case '--out': {
        const file = argv[++i];
        if (!file) throw new UserError(`Invalid --out '': expected a file name`);
        config.outputFile = file;
        break;
      }
      default:
        throw new UserError(`Unknown benchmark option '${flag}'`);
    }
  }
  return config;
}
