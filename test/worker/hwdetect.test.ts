import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectHardware, formatHardware, parseCpuList } from '../../src/worker/hwdetect.js';

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function write(root: string, file: string, content: string): void {
  const full = path.join(root, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
}

interface FakeMachine {
  /** CPU ids per NUMA node; undefined for a kernel without node information. */
  numa?: number[][];
  /** Socket id per CPU, for the socket fallback. */
  sockets?: number[];
  /** Core id per CPU (hyper-thread siblings share a core). */
  cores?: number[];
  allowed?: string;
  cgroupPath?: string;
  cpuset?: string;
  cpuMax?: string;
  parentCpuMax?: string;
  nvidiaProcGpus?: number;
  memTotalKb?: number;
}

function fakeMachine(machine: FakeMachine): { sysRoot: string; procRoot: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-hwdetect-'));
  tempDirs.push(root);
  const sysRoot = path.join(root, 'sys');
  const procRoot = path.join(root, 'proc');
  fs.mkdirSync(sysRoot);
  fs.mkdirSync(procRoot);
  if (machine.numa !== undefined) {
    write(sysRoot, 'devices/system/node/possible', `0-${machine.numa.length - 1}\n`);
    machine.numa.forEach((cpus, node) => write(sysRoot, `devices/system/node/node${node}/cpulist`, `${cpus.join(',')}\n`));
  }
  (machine.sockets ?? []).forEach((socket, cpu) =>
    write(sysRoot, `devices/system/cpu/cpu${cpu}/topology/physical_package_id`, `${socket}\n`),
  );
  const cores = machine.cores ?? [];
  cores.forEach((core, cpu) => {
    const siblings = cores.flatMap((c, i) => (c === core ? [i] : []));
    write(sysRoot, `devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`, `${siblings.join(',')}\n`);
  });
  if (machine.allowed !== undefined) {
    write(procRoot, 'self/status', `Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t${machine.allowed}\nMems_allowed_list:\t0\n`);
  }
  const cgroupPath = machine.cgroupPath ?? '/';
  write(procRoot, 'self/cgroup', `0::${cgroupPath}\n`);
  const cgroupDir = path.join('fs/cgroup', cgroupPath);
  fs.mkdirSync(path.join(sysRoot, cgroupDir), { recursive: true });
  if (machine.cpuset !== undefined) write(sysRoot, path.join(cgroupDir, 'cpuset.cpus.effective'), `${machine.cpuset}\n`);
  if (machine.cpuMax !== undefined) write(sysRoot, path.join(cgroupDir, 'cpu.max'), `${machine.cpuMax}\n`);
  if (machine.parentCpuMax !== undefined) {
    write(sysRoot, path.join(path.dirname(cgroupDir), 'cpu.max'), `${machine.parentCpuMax}\n`);
  }
  for (let i = 0; i < (machine.nvidiaProcGpus ?? 0); i++) {
    write(procRoot, `driver/nvidia/gpus/0000:0${i}:00.0/information`, 'Model: test\n');
  }
  if (machine.memTotalKb !== undefined) {
    write(procRoot, 'meminfo', `MemTotal:       ${machine.memTotalKb} kB\nMemFree:         1000 kB\n`);
  }
  return { sysRoot, procRoot };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const strings = (ids: number[]): string[] => ids.map(String);

test('the kernel cpu list format', () => {
  assert.deepEqual(parseCpuList('10'), [10]);
  assert.deepEqual(parseCpuList('0-3\n'), [0, 1, 2, 3]);
  assert.deepEqual(parseCpuList('2,7, 10'), [2, 7, 10]);
  assert.deepEqual(parseCpuList('2-4,10-11,20'), [2, 3, 4, 10, 11, 20]);
  assert.deepEqual(parseCpuList('\n'), []);
  for (const bad of ['xx', '-', '-2', '0-1-2', ',,', '3-1']) assert.equal(parseCpuList(bad), undefined, bad);
});

test('two NUMA nodes, an affinity mask, a cgroup quota and CUDA devices', () => {
  const roots = fakeMachine({
    numa: [range(0, 7), range(8, 15)],
    allowed: '2-13',
    cgroupPath: '/hq.slice/worker',
    cpuMax: '800000 100000',
    memTotalKb: 16_270_000,
  });
  const hw = detectHardware({ ...roots, env: { CUDA_VISIBLE_DEVICES: '0,1' } });
  // The mask leaves 2-7 and 8-13; the quota of 8 CPUs keeps the lowest eight.
  assert.deepEqual(hw.cpus, [strings(range(2, 7)), strings([8, 9])]);
  assert.deepEqual(hw.resources, [
    { name: 'gpus/nvidia', kind: 'list', groups: [['0', '1']], sum: 0 },
    { name: 'mem', kind: 'sum', groups: [], sum: 15888 },
  ]);
  assert.equal(
    formatHardware(hw),
    'Summary:\ncpus: 1x2 1x6\ngpus/nvidia: 2\nmem: 15.52 GiB\n\n' +
      'Full Description:\ncpus: [[2,3,4,5,6,7],[8,9]]\ngpus/nvidia: [0,1]\nmem: sum(15888)\n',
  );
});

test('a cgroup cpuset narrows the affinity mask and a parent quota applies too', () => {
  const roots = fakeMachine({
    numa: [range(0, 3), range(4, 7)],
    allowed: '0-7',
    cgroupPath: '/batch/job',
    cpuset: '1-2,5-7',
    parentCpuMax: '300000 100000',
  });
  const hw = detectHardware({ ...roots, env: {} });
  assert.deepEqual(hw.cpus, [['1', '2'], ['5']]);
  assert.deepEqual(hw.resources, []);
});

test('a fractional quota rounds down, but never below one cpu', () => {
  const half = fakeMachine({ numa: [range(0, 3)], allowed: '0-3', cpuMax: '50000 100000' });
  assert.deepEqual(detectHardware({ ...half, env: {} }).cpus, [['0']]);
  const unlimited = fakeMachine({ numa: [range(0, 3)], allowed: '0-3', cpuMax: 'max 100000' });
  assert.deepEqual(detectHardware({ ...unlimited, env: {} }).cpus, [strings(range(0, 3))]);
});

test('without NUMA information cpus are grouped by socket', () => {
  const roots = fakeMachine({ sockets: [0, 0, 1, 1, 0, 0, 1, 1], allowed: '0-6' });
  const hw = detectHardware({ ...roots, env: {} });
  assert.deepEqual(hw.cpus, [['0', '1', '4', '5'], ['2', '3', '6']]);
});

test('without any topology the affinity mask is one group', () => {
  const roots = fakeMachine({ allowed: '3,5-6' });
  assert.deepEqual(detectHardware({ ...roots, env: {} }).cpus, [['3', '5', '6']]);
});

test('cpu-less NUMA nodes are left out', () => {
  const roots = fakeMachine({ numa: [range(0, 1), [], range(2, 3)], allowed: '0-3' });
  assert.deepEqual(detectHardware({ ...roots, env: {} }).cpus, [['0', '1'], ['2', '3']]);
});

test('hyper-threading: all threads by default, first thread per core on request', () => {
  // Cores 0-3; cpu N and N+4 are siblings.
  const roots = fakeMachine({ numa: [[0, 1, 4, 5], [2, 3, 6, 7]], cores: [0, 1, 2, 3, 0, 1, 2, 3], allowed: '0-7' });
  assert.deepEqual(detectHardware({ ...roots, env: {} }).cpus, [['0', '1', '4', '5'], ['2', '3', '6', '7']]);
  assert.deepEqual(detectHardware({ ...roots, env: {}, noHyperThreading: true }).cpus, [['0', '1'], ['2', '3']]);
});

test('gpus: AMD from ROCR_VISIBLE_DEVICES, NVIDIA from procfs when no variable names gpus', () => {
  const roots = fakeMachine({ numa: [range(0, 1)], allowed: '0-1', nvidiaProcGpus: 3 });
  const fromProc = detectHardware({ ...roots, env: {} });
  assert.deepEqual(fromProc.resources, [
    { name: 'gpus/nvidia', kind: 'range', groups: [['0', '1', '2']], sum: 0 },
  ]);
  assert.equal(
    formatHardware(fromProc),
    'Summary:\ncpus: 2\ngpus/nvidia: 3\n\nFull Description:\ncpus: [0,1]\ngpus/nvidia: range(0-2)\n',
  );
  const amd = detectHardware({ ...roots, env: { ROCR_VISIBLE_DEVICES: '1,3' } });
  assert.deepEqual(amd.resources, [{ name: 'gpus/amd', kind: 'list', groups: [['1', '3']], sum: 0 }]);
  const both = detectHardware({ ...roots, env: { ROCR_VISIBLE_DEVICES: '0', CUDA_VISIBLE_DEVICES: 'GPU-a,GPU-b' } });
  assert.deepEqual(
    both.resources.map((r) => [r.name, r.groups]),
    [
      ['gpus/amd', [['0']]],
      ['gpus/nvidia', [['GPU-a', 'GPU-b']]],
    ],
  );
});

test('unusable device variables are ignored', () => {
  const roots = fakeMachine({ numa: [range(0, 1)], allowed: '0-1' });
  for (const value of ['', '0,,1', '0,1,', '1,1']) {
    assert.deepEqual(detectHardware({ ...roots, env: { CUDA_VISIBLE_DEVICES: value } }).resources, [], value);
  }
});

test('small memory is printed in MiB', () => {
  const roots = fakeMachine({ numa: [range(0, 0)], allowed: '0', memTotalKb: 300 * 1024 + 512 });
  const hw = detectHardware({ ...roots, env: {} });
  assert.equal(formatHardware(hw), 'Summary:\ncpus: 1\nmem: 300.00 MiB\n\nFull Description:\ncpus: [0]\nmem: sum(300)\n');
});

test('this machine: every allowed cpu is found once', () => {
  const hw = detectHardware({ env: {} });
  const cpus = hw.cpus.flat();
  assert.ok(cpus.length >= 1);
  assert.equal(new Set(cpus).size, cpus.length);
  assert.ok(cpus.length <= os.availableParallelism() || cpus.length <= os.cpus().length);
  assert.match(formatHardware(hw), /^Summary:\ncpus: /);
});
