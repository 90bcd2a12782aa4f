// A private one-node Slurm cluster from the machine's own slurm-wlm and munge
// packages: munged, slurmctld and slurmd run in the foreground as children of
// this process, with their configuration, keys, sockets, state and logs in
// one temporary directory and on free loopback ports, so that several can
// run side by side and none touches the machine's own /etc/slurm. Commands
// (sbatch, squeue, ...) reach it through the SLURM_CONF in `env`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const DAEMONS = { munged: '/usr/sbin/munged', slurmctld: '/usr/sbin/slurmctld', slurmd: '/usr/sbin/slurmd' } as const;
const CLIENTS = ['sbatch', 'squeue', 'sinfo', 'scancel', 'scontrol'];
const READY_TIMEOUT_MS = 30_000;

/** Why no local Slurm can be started here (a missing program), or null when it can. */
export function slurmMissing(): string | null {
  for (const daemon of Object.values(DAEMONS)) if (!fs.existsSync(daemon)) return `${daemon} is not installed`;
  for (const client of CLIENTS) {
    if (spawnSync('sh', ['-c', `command -v ${client}`]).status !== 0) return `${client} is not installed`;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Children of every cluster of this process, ended even if the process dies.
const liveDaemons = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveDaemons) child.kill('SIGKILL');
});

export interface LocalSlurmOptions {
  /** CPUs of the one node (default: this machine's). */
  cpus?: number;
}

export interface SlurmRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class LocalSlurm {
  /** Environment for Slurm's commands (and everything a job starts): points them at this cluster. */
  readonly env: NodeJS.ProcessEnv;
  readonly conf: string;
  readonly nodeName = os.hostname();
  private readonly daemons: ChildProcess[] = [];
  private stopped = false;

  private constructor(readonly dir: string) {
    this.conf = path.join(dir, 'slurm.conf');
    this.env = { ...process.env, SLURM_CONF: this.conf };
  }

  /** Starts munged, slurmctld and slurmd, and waits until the node takes jobs. */
  static async start(opts: LocalSlurmOptions = {}): Promise<LocalSlurm> {
    const missing = slurmMissing();
    if (missing) throw new Error(`cannot start a local Slurm: ${missing}`);
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'hq-slurm-')));
    const slurm = new LocalSlurm(dir);
    try {
      await slurm.configure(opts.cpus ?? os.cpus().length);
      slurm.daemon('munged', ['-F', '--force', ...slurm.mungeArgs()]);
      await slurm.waitFor(() => fs.existsSync(path.join(dir, 'munge.sock')), 'munged to open its socket');
      slurm.daemon('slurmctld', ['-D', '-f', slurm.conf]);
      await slurm.waitFor(() => slurm.run('scontrol', ['ping']).stdout.includes('is UP'), 'slurmctld to answer');
      slurm.daemon('slurmd', ['-D', '-f', slurm.conf, '-N', slurm.nodeName]);
      await slurm.waitFor(() => /^(idle|mixed|allocated)/.test(slurm.run('sinfo', ['-h', '-o', '%T']).stdout.trim()), 'the node to become idle');
    } catch (e) {
      const logs = slurm.logs();
      await slurm.stop();
      throw new Error(`${(e as Error).message}\n${logs}`);
    }
    return slurm;
  }

  private mungeArgs(): string[] {
    const d = this.dir;
    return [
      `--key-file=${d}/munge.key`,
      `--socket=${d}/munge.sock`,
      `--pid-file=${d}/munged.pid`,
      `--log-file=${d}/munged.log`,
      `--seed-file=${d}/munge.seed`,
    ];
  }

  private async configure(cpus: number): Promise<void> {
    const d = this.dir;
    fs.chmodSync(d, 0o700);
    fs.mkdirSync(path.join(d, 'state'));
    fs.mkdirSync(path.join(d, 'spool'));
    fs.writeFileSync(path.join(d, 'munge.key'), randomBytes(1024), { mode: 0o400 });
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const lines = [
      'ClusterName=hqlocal',
      `SlurmctldHost=${this.nodeName}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${d}/munge.sock`,
      'CredType=cred/munge',
      `StateSaveLocation=${d}/state`,
      `SlurmdSpoolDir=${d}/spool`,
      `SlurmctldPidFile=${d}/slurmctld.pid`,
      `SlurmdPidFile=${d}/slurmd.pid`,
      `SlurmctldLogFile=${d}/slurmctld.log`,
      `SlurmdLogFile=${d}/slurmd.log`,
      // No cgroups or accounting: nothing outside the directory is needed.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'MpiDefault=none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'ReturnToService=2',
      // Tuned for throughput as a high-throughput site would: start a batch
      // job as soon as one ends instead of after the default 3 s delay.
      'SchedulerParameters=batch_sched_delay=0,sched_min_interval=0',
      `NodeName=${this.nodeName} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
      'PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    ];
    fs.writeFileSync(this.conf, lines.join('\n') + '\n');
  }

  private daemon(name: keyof typeof DAEMONS, args: string[]): void {
    const child = spawn(DAEMONS[name], args, { env: this.env, stdio: ['ignore', 'ignore', fs.openSync(path.join(this.dir, `${name}.stderr`), 'w')] });
    child.on('error', () => {}); // checked through waitFor
    liveDaemons.add(child);
    child.once('exit', () => liveDaemons.delete(child));
    this.daemons.push(child);
  }

  private async waitFor(ready: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!ready()) {
      const dead = this.daemons.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead) throw new Error(`local Slurm: ${path.basename(String(dead.spawnfile))} exited while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`local Slurm: timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  /** Runs a Slurm command against this cluster, to its end. */
  run(command: string, args: string[], timeoutMs = 30_000): SlurmRun {
    const r = spawnSync(command, args, { env: this.env, encoding: 'utf8', timeout: timeoutMs, cwd: this.dir });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
  }

  /** `scontrol show job ID` as key=value pairs (the first record, e.g. of an array's first task). */
  jobFields(jobId: string): Map<string, string> {
    const out = this.run('scontrol', ['show', 'job', '-o', jobId]).stdout.split('\n')[0] ?? '';
    const fields = new Map<string, string>();
    for (const m of out.matchAll(/(\w+)=(\S*)/g)) if (!fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
    return fields;
  }

  /** The daemons' logs, for failure messages. */
  logs(): string {
    const parts: string[] = [];
    for (const name of ['munged.log', 'munged.stderr', 'slurmctld.log', 'slurmctld.stderr', 'slurmd.log', 'slurmd.stderr']) {
      const file = path.join(this.dir, name);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8').trim().split('\n').slice(-20).join('\n');
      if (text) parts.push(`--- ${name}\n${text}`);
    }
    return parts.join('\n');
  }

  /** Cancels every job, ends the daemons and every process a job left behind, and removes the directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.daemons.length === 3) this.run('scancel', ['--full', '--user', os.userInfo().username], 10_000);
    for (const child of [...this.daemons].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const ended = await Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(5000).then(() => false)]);
      if (!ended) child.kill('SIGKILL');
    }
    // slurmstepd and the jobs' processes are not our children; they carry our SLURM_CONF.
    killProcessesWithEnv(`SLURM_CONF=${this.conf}`);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGKILLs every process (but this one) whose environment holds `entry`. */
function killProcessesWithEnv(entry: string): void {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (environ.includes(entry)) process.kill(Number(name), 'SIGKILL');
    } catch {
      /* gone, or not ours to read */
    }
  }
}
