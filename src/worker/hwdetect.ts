// What a worker finds on its machine when no resources are given explicitly:
//  - cpus: the CPUs this process may run on (its affinity mask, narrowed by a
//    cgroup v2 cpuset and shortened to a cgroup cpu.max quota), grouped by NUMA
//    node, else by socket; with `noHyperThreading` only the first logical CPU
//    of every core is kept;
//  - gpus/nvidia and gpus/amd from CUDA_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES,
//    else NVIDIA GPUs counted in /proc/driver/nvidia/gpus;
//  - mem: total RAM in MiB from /proc/meminfo.
// The /sys and /proc roots are parameters so the detection can be exercised
// on a prepared directory tree.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { humanMemAmount } from '../common/human-size.js';
import { formatResourcePool, summarizeResourcePool, type ResourcePool } from '../common/resource-spec.js';

export interface DetectedResource extends ResourcePool {
  name: string;
}

export interface DetectedHardware {
  /** CPU ids per NUMA node (or socket). */
  cpus: string[][];
  /** Other resources, sorted by name. */
  resources: DetectedResource[];
}

export interface DetectOptions {
  /** Where sysfs is mounted (default `/sys`). */
  sysRoot?: string;
  /** Where procfs is mounted (default `/proc`). */
  procRoot?: string;
  env?: NodeJS.ProcessEnv;
  noHyperThreading?: boolean;
}

export const CPU_RESOURCE = 'cpus';
export const MEM_RESOURCE = 'mem';
export const NVIDIA_GPU_RESOURCE = 'gpus/nvidia';
export const AMD_GPU_RESOURCE = 'gpus/amd';

const GPU_VARIABLES: ReadonlyArray<[variable: string, resource: string]> = [
  ['CUDA_VISIBLE_DEVICES', NVIDIA_GPU_RESOURCE],
  ['ROCR_VISIBLE_DEVICES', AMD_GPU_RESOURCE],
];

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Parses the kernel's list format (`0-3,8-11`, `5`, or empty); undefined if malformed. */
export function parseCpuList(text: string): number[] | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const ids: number[] = [];
  for (const item of trimmed.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (match === null) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return undefined;
    for (let id = first; id <= last; id++) ids.push(id);
  }
  return ids;
}

function readCpuList(file: string): number[] | undefined {
  const text = readText(file);
  return text === undefined ? undefined : parseCpuList(text);
}

function nodeIndex(name: string): number | undefined {
  const match = /^node(\d+)$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** CPUs per NUMA node, nodes without CPUs left out. */
function readNumaGroups(sysRoot: string): number[][] | undefined {
  const nodeDir = path.join(sysRoot, 'devices/system/node');
  const possible = readCpuList(path.join(nodeDir, 'possible'));
  const nodes =
    possible ??
    listDir(nodeDir)
      .map(nodeIndex)
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
  const groups: number[][] = [];
  for (const node of nodes) {
    const cpus = readCpuList(path.join(nodeDir, `node${node}`, 'cpulist'));
    if (cpus === undefined) return undefined;
    if (cpus.length > 0) groups.push(cpus);
  }
  return groups.length > 0 ? groups : undefined;
}

/** CPUs per physical package, for kernels without NUMA information. */
function readSocketGroups(sysRoot: string): number[][] | undefined {
  const cpuDir = path.join(sysRoot, 'devices/system/cpu');
  const online = readCpuList(path.join(cpuDir, 'online'));
  const cpus =
    online ??
    listDir(cpuDir)
      .map((name) => /^cpu(\d+)$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
  const bySocket = new Map<number, number[]>();
  for (const cpu of cpus) {
    const text = readText(path.join(cpuDir, `cpu${cpu}`, 'topology/physical_package_id'));
    const socket = text === undefined ? NaN : Number(text.trim());
    if (!Number.isInteger(socket)) return undefined;
    const group = bySocket.get(socket) ?? [];
    group.push(cpu);
    bySocket.set(socket, group);
  }
  if (bySocket.size === 0) return undefined;
  return [...bySocket.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group);
}

/** The process's cgroup v2 directory and its ancestors up to the hierarchy root. */
function cgroupDirs(sysRoot: string, procRoot: string): string[] {
  const root = path.join(sysRoot, 'fs/cgroup');
  const membership = readText(path.join(procRoot, 'self/cgroup')) ?? '';
  const line = membership.split('\n').find((l) => l.startsWith('0::'));
  const relative = line === undefined ? '/' : line.slice(3).trim() || '/';
  const dirs: string[] = [];
  let dir = path.join(root, relative);
  if (!fs.existsSync(dir)) dir = root; // a cgroup namespace shows its own root only
  for (;;) {
    dirs.push(dir);
    if (dir === root || !dir.startsWith(root)) break;
    dir = path.dirname(dir);
  }
  return dirs;
}

function readCgroupCpuset(dirs: readonly string[]): Set<number> | undefined {
  for (const dir of dirs) {
    const cpus = readCpuList(path.join(dir, 'cpuset.cpus.effective'));
    if (cpus !== undefined && cpus.length > 0) return new Set(cpus);
  }
  return undefined;
}

/** Whole CPUs the strictest `cpu.max` on the path allows, if any is set. */
function readCgroupCpuLimit(dirs: readonly string[]): number | undefined {
  let limit: number | undefined;
  for (const dir of dirs) {
    const fields = readText(path.join(dir, 'cpu.max'))?.trim().split(/\s+/);
    if (fields === undefined || fields[0] === 'max') continue;
    const quota = Number(fields[0]);
    const period = Number(fields[1] ?? 100_000);
    if (!(quota > 0 && period > 0)) continue;
    // Only whole CPUs are handed to tasks, so a partial CPU of quota is not offered.
    const cpus = Math.max(1, Math.floor(quota / period));
    limit = limit === undefined ? cpus : Math.min(limit, cpus);
  }
  return limit;
}

function readAffinity(procRoot: string): Set<number> | undefined {
  const status = readText(path.join(procRoot, 'self/status'));
  const line = status?.split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
  if (line === undefined) return undefined;
  const cpus = parseCpuList(line.slice('Cpus_allowed_list:'.length));
  return cpus === undefined || cpus.length === 0 ? undefined : new Set(cpus);
}

/** Keeps a CPU only if it is the lowest-numbered thread of its core. */
function isFirstThreadOfCore(sysRoot: string, cpu: number): boolean {
  const siblings = readCpuList(path.join(sysRoot, `devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`));
  if (siblings === undefined || siblings.length === 0) return true;
  return Math.min(...siblings) === cpu;
}

function detectCpuGroups(sysRoot: string, procRoot: string, noHyperThreading: boolean): number[][] {
  const dirs = cgroupDirs(sysRoot, procRoot);
  let allowed = readAffinity(procRoot);
  const cpuset = readCgroupCpuset(dirs);
  if (cpuset !== undefined) allowed = allowed === undefined ? cpuset : new Set([...allowed].filter((c) => cpuset.has(c)));

  const topology = readNumaGroups(sysRoot) ?? readSocketGroups(sysRoot);
  let groups: number[][];
  if (topology === undefined) {
    groups = [
      allowed !== undefined ? [...allowed] : Array.from({ length: os.availableParallelism() }, (_, i) => i),
    ];
  } else {
    groups = allowed === undefined ? topology : topology.map((group) => group.filter((cpu) => allowed.has(cpu)));
    // A mask naming CPUs the topology does not list: trust the mask.
    if (allowed !== undefined && groups.every((g) => g.length === 0)) groups = [[...allowed]];
  }
  groups = groups.map((group) => [...group].sort((a, b) => a - b));
  if (noHyperThreading) groups = groups.map((group) => group.filter((cpu) => isFirstThreadOfCore(sysRoot, cpu)));
  groups = groups.filter((group) => group.length > 0);

  const limit = readCgroupCpuLimit(dirs);
  const total = groups.reduce((sum, group) => sum + group.length, 0);
  if (limit !== undefined && limit < total) {
    // Keep the lowest-numbered CPUs that the quota can keep busy.
    const kept = new Set(groups.flat().sort((a, b) => a - b).slice(0, limit));
    groups = groups.map((group) => group.filter((cpu) => kept.has(cpu))).filter((group) => group.length > 0);
  }
  return groups;
}

/** Splits a device variable the way HyperQueue does: non-empty items between commas. */
function parseDeviceList(value: string): string[] | undefined {
  const items = value.split(',');
  return items.every((item) => item.length > 0) ? items : undefined;
}

function detectGpus(procRoot: string, env: NodeJS.ProcessEnv): DetectedResource[] {
  const gpus: DetectedResource[] = [];
  for (const [variable, name] of GPU_VARIABLES) {
    const value = env[variable];
    if (value === undefined) continue;
    const devices = parseDeviceList(value);
    // A list with duplicates cannot be trusted, so the variable is ignored.
    if (devices === undefined || new Set(devices).size !== devices.length) continue;
    gpus.push({ name, kind: 'list', groups: [devices], sum: 0 });
  }
  if (gpus.length === 0) {
    const count = listDir(path.join(procRoot, 'driver/nvidia/gpus')).length;
    if (count > 0) {
      const ids = Array.from({ length: count }, (_, i) => String(i));
      gpus.push({ name: NVIDIA_GPU_RESOURCE, kind: 'range', groups: [ids], sum: 0 });
    }
  }
  return gpus;
}

/** Total memory in MiB, or undefined when /proc/meminfo cannot tell. */
function detectMemoryMiB(procRoot: string): number | undefined {
  const meminfo = readText(path.join(procRoot, 'meminfo'));
  const match = meminfo === undefined ? null : /^MemTotal:\s*(\d+)\s*kB/m.exec(meminfo);
  if (match === null) return undefined;
  const mib = Math.floor(Number(match[1]) / 1024);
  return mib > 0 ? mib : undefined;
}

export function detectHardware(options: DetectOptions = {}): DetectedHardware {
  const sysRoot = options.sysRoot ?? '/sys';
  const procRoot = options.procRoot ?? '/proc';
  const env = options.env ?? process.env;
  const cpus = detectCpuGroups(sysRoot, procRoot, options.noHyperThreading ?? false).map((group) =>
    group.map(String),
  );
  const resources = detectGpus(procRoot, env);
  const mem = detectMemoryMiB(procRoot);
  if (mem !== undefined) resources.push({ name: MEM_RESOURCE, kind: 'sum', groups: [], sum: mem });
  resources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { cpus, resources };
}

/** The cpus as a resource pool: one group is a plain list. */
export function cpuPool(cpus: string[][]): ResourcePool {
  return cpus.length === 1 ? { kind: 'list', groups: cpus, sum: 0 } : { kind: 'groups', groups: cpus, sum: 0 };
}

/**
 * The text `hq worker hwdetect` prints: a summary (counts, memory in human
 * units) and the full description in resource definition syntax, ending with
 * a newline.
 */
export function formatHardware(hardware: DetectedHardware): string {
  const items: DetectedResource[] = [{ name: CPU_RESOURCE, ...cpuPool(hardware.cpus) }, ...hardware.resources];
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const summary = items.map((item) => {
    const size = item.name === MEM_RESOURCE && item.kind === 'sum' ? humanMemAmount(item.sum) : summarizeResourcePool(item);
    return `${item.name}: ${size}`;
  });
  const full = items.map((item) => `${item.name}: ${formatResourcePool(item)}`);
  return `Summary:\n${summary.join('\n')}\n\nFull Description:\n${full.join('\n')}\n`;
}
