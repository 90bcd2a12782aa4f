// The batch system a worker runs under (Slurm or PBS), and how long its
// allocation has left: the scheduler gives such a worker only tasks whose
// --time-request fits.
import { spawnSync } from 'node:child_process';
import { UserError } from '../common/errors.js';

export interface ManagerInfo {
  manager: 'none' | 'slurm' | 'pbs';
  jobId: string;
  /** Seconds the allocation has left, or 0 when unknown. */
  remaining: number;
}

/** `--manager auto|none|slurm|pbs` against the environment. */
export function detectManager(choice: string, env: NodeJS.ProcessEnv = process.env): ManagerInfo {
  if (choice === 'none') return { manager: 'none', jobId: '', remaining: 0 };
  if ((choice === 'auto' || choice === 'slurm') && env.SLURM_JOB_ID) {
    return { manager: 'slurm', jobId: env.SLURM_JOB_ID, remaining: slurmRemaining(env.SLURM_JOB_ID, env) };
  }
  if ((choice === 'auto' || choice === 'pbs') && env.PBS_JOBID) {
    return { manager: 'pbs', jobId: env.PBS_JOBID, remaining: pbsRemaining(env.PBS_JOBID, env) };
  }
  if (choice === 'slurm' || choice === 'pbs') {
    throw new UserError(`--manager ${choice} given, but this process is not inside a ${choice === 'slurm' ? 'Slurm' : 'PBS'} job`);
  }
  return { manager: 'none', jobId: '', remaining: 0 };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 5000 });
  return r.status === 0 ? r.stdout : null;
}

/** Slurm's time left (`squeue -o %L`): [days-]hours:minutes:seconds, minutes:seconds, or UNLIMITED. */
export function parseSlurmTimeLeft(text: string): number {
  const t = text.trim();
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(t);
  if (!m) return 0;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min) * 60 + Number(s);
}

function slurmRemaining(jobId: string, env: NodeJS.ProcessEnv): number {
  const out = run('squeue', ['-h', '-j', jobId, '-o', '%L'], env);
  return out ? parseSlurmTimeLeft(out.split('\n')[0] ?? '') : 0;
}

/** PBS walltime `HH:MM:SS` in seconds. */
function hms(text: string): number {
  const parts = text.trim().split(':').map(Number);
  if (parts.some((p) => !Number.isFinite(p))) return 0;
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

/** Requested walltime minus used walltime, from `qstat -f` (PBS Pro's full job listing). */
export function parsePbsRemaining(qstat: string): number {
  const limit = /Resource_List\.walltime\s*=\s*(\S+)/.exec(qstat);
  if (!limit) return 0;
  const used = /resources_used\.walltime\s*=\s*(\S+)/.exec(qstat);
  return Math.max(0, hms(limit[1]!) - (used ? hms(used[1]!) : 0));
}

function pbsRemaining(jobId: string, env: NodeJS.ProcessEnv): number {
  const out = run('qstat', ['-f', jobId], env);
  return out ? parsePbsRemaining(out) : 0;
}
