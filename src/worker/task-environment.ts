// The environment a task starts with, as HyperQueue defines it: ids, the
// resources it was given, pinning, and the variables GPU runtimes read. It
// comes in three layers, each overriding the one before: what all tasks of a
// submission share (jobEnvironment), what goes with the resources a task runs
// on (allocationEnvironment), and the task's own ids (taskEnvironment).
import { RESOURCE_UNIT, formatResourceAmount } from '../core/resources.js';
import type { Allocation } from '../core/allocator.js';
import type { ResourceVariantSpec } from '../client/types.js';

export interface JobIdentity {
  jobId: number;
  workerId: number;
  serverUid: string;
  submitDir: string;
}

export interface TaskIdentity {
  taskId: number;
  instance: number;
  entry: string | null;
}

/** Keys taskEnvironment may set (never inherited from the worker's environment). */
export const TASK_KEYS = ['HQ_TASK_ID', 'HQ_INSTANCE_ID', 'HQ_ENTRY', 'HQ_TASK_DIR'] as const;
/** Keys a multi-node task gets on top. */
export const MULTI_NODE_KEYS = ['HQ_NUM_NODES', 'HQ_NODE_FILE', 'HQ_HOST_FILE'] as const;

/** `gpus/nvidia` -> `gpus_nvidia`: resource names as parts of variable names. */
function envName(resource: string): string {
  return resource.replace(/\//g, '_');
}

/** What the user gave with --env, under the job's HQ_* variables. */
export function jobEnvironment(id: JobIdentity, jobEnv: Record<string, string>): Record<string, string> {
  return {
    ...jobEnv,
    HQ_JOB_ID: String(id.jobId),
    HQ_SUBMIT_DIR: id.submitDir,
    HQ_WORKER_ID: String(id.workerId),
    HQ_SERVER_UID: id.serverUid,
  };
}

/**
 * Variables of the resources a task was given. `jobEnv` is what the user
 * gave with --env: it wins over OMP_NUM_THREADS, which is only a default.
 */
export function allocationEnvironment(
  variant: ResourceVariantSpec | undefined,
  allocation: Allocation | null,
  pin: string,
  jobEnv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
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

/** The task's own variables, as KEY=VALUE entries. */
export function taskEnvironment(id: TaskIdentity, taskDir: string | null): string[] {
  const env = [`HQ_TASK_ID=${id.taskId}`, `HQ_INSTANCE_ID=${id.instance}`];
  if (id.entry !== null) env.push(`HQ_ENTRY=${id.entry}`);
  if (taskDir !== null) env.push(`HQ_TASK_DIR=${taskDir}`);
  return env;
}

/** KEY=VALUE entries of an environment object. */
export function envEntries(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The prefix `--pin taskset` puts before the command: run under taskset on the task's cpus. */
export function pinPrefix(pin: string, cpus: string): string[] {
  return pin === 'taskset' && cpus ? ['taskset', '-c', cpus] : [];
}
