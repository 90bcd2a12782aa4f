// Memory and CPU figures of a running process, read from Linux /proc.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** A `VmXXX:  1234 kB` line of /proc/<pid>/status, in bytes. */
function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number(match[1]) * 1024;
}

/** Peak resident memory of the process so far. */
export function peakRssBytes(pid: number): number {
  return statusBytes(pid, 'VmHWM');
}

/** Current resident memory of the process. */
export function rssBytes(pid: number): number {
  return statusBytes(pid, 'VmRSS');
}

let ticksPerSecond: number | undefined;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // what Linux uses on every common architecture
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time of all threads of the process so far, in milliseconds. */
export function cpuMilliseconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) and stime (field 15) are at 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot read CPU times from /proc/${pid}/stat`);
  return (ticks * 1000) / clockTicksPerSecond();
}

/**
 * CPU time of all threads of the process so far, in milliseconds, from each
 * thread's schedstat (nanoseconds: finer than the 10 ms ticks of /proc/<pid>/stat).
 */
export function threadCpuMilliseconds(pid: number): number {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return ns / 1e6;
}

/** The machine's CPU time so far, in clock ticks (the first line of /proc/stat). */
export interface MachineCpuTicks {
  /** Every state: user, nice, system, idle, iowait, irq, softirq, steal. */
  total: number;
  /** Time a virtual machine's CPUs were ready to run but the hypervisor ran something else. */
  steal: number;
}

/** null where /proc/stat cannot be read (not Linux). */
export function machineCpuTicks(): MachineCpuTicks | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (values.length < 8 || values.some((v) => !Number.isFinite(v))) return null;
    return { total: values.reduce((a, b) => a + b, 0), steal: values[7] };
  } catch {
    return null;
  }
}

/** Share of the CPU time between two readings that the hypervisor took away (0..1). */
export function stealShare(before: MachineCpuTicks, after: MachineCpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.steal - before.steal) / total : 0;
}
