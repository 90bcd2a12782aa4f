// The environment a task starts with, as HyperQueue defines it: ids, the
// resources it was given, pinning, and the variables GPU runtimes read.
import { RESOURCE_UNIT, formatResourceAmount } from '../core/resources.js';
import type { Allocation } from '../core/allocator.js';
import type { ResourceVariantSpec } from '../client/types.js';

export interface TaskIdentity {
  jobId: number;
  taskId: number;
  instance: number;
  workerId: number;
  serverUid: string;
  submitDir: string;
  entry: string | null;
}

/** `gpus/nvidia` -> `gpus_nvidia`: resource names as parts of variable names. */
function envName(resource: string): string {
  return resource.replace(/\//g, '_');
}

/**
 * Variables of one task. `jobEnv` is what the user gave with --env: it wins
 * over OMP_NUM_THREADS, which is only a default.
 */
export function taskEnvironment(
  id: TaskIdentity,
  variant: ResourceVariantSpec | undefined,
  allocation: Allocation | null,
  pin: string,
  jobEnv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {
    HQ_JOB_ID: String(id.jobId),
    HQ_TASK_ID: String(id.taskId),
    HQ_INSTANCE_ID: String(id.instance),
    HQ_SUBMIT_DIR: id.submitDir,
    HQ_WORKER_ID: String(id.workerId),
    HQ_SERVER_UID: id.serverUid,
  };
  if (id.entry !== null) env.HQ_ENTRY = id.entry;
  let cpus: string[] = [];
  for (const r of allocation?.resources ?? []) {
    const name = envName(r.name);
    if (r.name === 'cpus') cpus = r.indices;
    const requested = variant?.resources.find((x) => x.name === r.name);
    env[`HQ_RESOURCE_REQUEST_${name}`] =
      requested && requested.policy !== 'all' ? `${formatResourceAmount(Math.round(requested.amount * RESOURCE_UNIT))}` : formatResourceAmount(r.amount);
    if (r.indices.length > 0) env[`HQ_RESOURCE_VALUES_${name}`] = r.indices.join(',');
    if (r.name === 'gpus/nvidia') {
      env.CUDA_VISIBLE_DEVICES = r.indices.join(',');
      env.CUDA_DEVICE_ORDER = 'PCI_BUS_ID';
    } else if (r.name === 'gpus/amd') {
      env.ROCR_VISIBLE_DEVICES = r.indices.join(',');
    }
  }
  env.HQ_CPUS = cpus.join(',');
  if (cpus.length > 0 && jobEnv.OMP_NUM_THREADS === undefined) env.OMP_NUM_THREADS = String(cpus.length);
  if (pin === 'taskset' || pin === 'omp') {
    env.HQ_PIN = pin;
    if (pin === 'omp') {
      env.OMP_PROC_BIND = 'close';
      env.OMP_PLACES = cpus.map((c) => `{${c}}`).join(',');
    }
  }
  return env;
}

/** The command with `--pin taskset` applied: run under taskset on the task's cpus. */
export function pinnedArgs(args: string[], pin: string, cpus: string): string[] {
  return pin === 'taskset' && cpus ? ['taskset', '-c', cpus, ...args] : args;
}
