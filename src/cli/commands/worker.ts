// hq worker start|list|info|stop|hwdetect|wait|address
import type { Argv } from 'yargs';
import { detectHardware } from '../../worker/hwdetect.js';
import { parseDuration } from '../../common/duration.js';
import { splitCouplingText } from '../../core/coupling.js';
import { parseWorkerCpus } from '../../common/cpus-spec.js';
import { parseResourceDescriptor } from '../../common/resource-spec.js';
import { parseIdSelector, parseId } from '../../common/id-selector.js';
import { UserError } from '../../common/errors.js';
import type { WorkerResource } from '../../client/types.js';
import type { CommandRunner } from '../context.js';

type Run = CommandRunner;

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function cpuDescriptor(groups: string[][]): WorkerResource {
  return { name: 'cpus', kind: groups.length > 1 ? 'groups' : 'list', groups, sum: 0 };
}

/** The resources a worker offers: flags first, then what detection finds. */
export function workerResources(cpusFlag: string | undefined, resourceFlags: string[], detect: string): WorkerResource[] {
  const hw = detectHardware();
  const wanted = detect === 'all' ? null : new Set(detect === 'none' ? [] : detect.split(',').map((s) => s.trim()));
  if (wanted) {
    for (const name of wanted) {
      if (name !== 'cpus' && !/^[A-Za-z0-9/_-]+$/.test(name)) throw new UserError(`Invalid --detect-resources item '${name}'`);
    }
  }
  const resources = new Map<string, WorkerResource>();
  resources.set('cpus', cpuDescriptor(cpusFlag ? parseWorkerCpus(cpusFlag) : hw.cpus));
  for (const r of hw.resources) {
    if (wanted && !wanted.has(r.name)) continue;
    resources.set(r.name, { name: r.name, kind: r.kind, groups: r.groups, sum: r.sum });
  }
  for (const text of resourceFlags) {
    const d = parseResourceDescriptor(text);
    if (d.name === 'cpus') throw new UserError(`Invalid resource '${text}': use --cpus to set cpus`);
    resources.set(d.name, { name: d.name, kind: d.kind, groups: d.groups, sum: d.sum });
  }
  return [...resources.values()];
}

/**
 * `--coupling`: HyperQueue's `cpus[0]:gpus[0],cpus[1]:gpus[1]` (optionally
 * `=weight`) or a plain `cpus,gpus`; checked here, resolved by the worker's
 * allocator against its resources.
 */
export function parseCoupling(text: string): string[] {
  return splitCouplingText(text);
}

function oneOf(value: string, allowed: string[], flag: string): string {
  if (!allowed.includes(value)) throw new UserError(`Invalid ${flag} '${value}': expected one of ${allowed.join(', ')}`);
  return value;
}

export function workerCommands(run: Run) {
  return (y: Argv) =>
    y
      .command(
        'start',
        'Start a worker that connects to the server',
        (c) =>
          c
            .option('cpus', { type: 'string', describe: 'CPUs to offer: N, SOCKETSxCORES or an index list (default: detected)' })
            .option('resource', { type: 'string', array: true, describe: 'A resource to offer, e.g. gpus=[0,1] or mem=sum(4096)' })
            .option('idle-timeout', { type: 'string', describe: 'Stop after being idle this long' })
            .option('hostname', { type: 'string', describe: 'Hostname the worker reports' })
            .option('work-dir', { type: 'string', describe: 'Directory for worker files' })
            .option('on-server-lost', { type: 'string', default: 'stop', describe: 'stop | finish-running' })
            .option('heartbeat', { type: 'string', default: '8s', describe: 'Heartbeat interval' })
            .option('time-limit', { type: 'string', describe: 'Stop the worker after this long' })
            .option('manager', { type: 'string', default: 'auto', describe: 'auto | none | slurm | pbs' })
            .option('group', { type: 'string', describe: 'Worker group (default: slurm-<job id> or pbs-<job id> inside an allocation, else "default")' })
            .option('detect-resources', { type: 'string', default: 'all', describe: 'all | none | comma list of resource names' })
            .option('coupling', { type: 'string', describe: 'Resources whose groups correspond, e.g. cpus[0]:gpus[0],cpus[1]:gpus[1]' })
            .option('zero-work', { type: 'boolean', default: false, describe: 'Complete every task at once without running it (benchmarks)' }),
        (args) =>
          run(args, async (ctx) => {
            const onServerLost = oneOf(String(args['on-server-lost']), ['stop', 'finish-running'], '--on-server-lost') as
              | 'stop'
              | 'finish-running';
            const { detectManager } = await import('../../worker/manager.js');
            const manager = detectManager(oneOf(String(args.manager), ['auto', 'none', 'slurm', 'pbs'], '--manager'));
            // Inside an allocation without --time-limit, the allocation's end is the worker's.
            const timeLimit = args['time-limit'] ? parseDuration(String(args['time-limit'])) : manager.remaining;
            const heartbeat = parseDuration(String(args.heartbeat));
            if (heartbeat <= 0) throw new UserError(`Invalid --heartbeat '${String(args.heartbeat)}': must be positive`);
            // Loaded on demand: client commands never need the worker's code.
            const { runWorker } = await import('../../worker/worker.js');
            const reason = await runWorker({
              serverDir: ctx.serverDir,
              resources: workerResources(args.cpus as string | undefined, list(args.resource), String(args['detect-resources'])),
              coupling: args.coupling !== undefined ? parseCoupling(String(args.coupling)) : [],
              hostname: args.hostname as string | undefined,
              group: args.group as string | undefined,
              workDir: args['work-dir'] as string | undefined,
              idleTimeout: args['idle-timeout'] ? parseDuration(String(args['idle-timeout'])) : 0,
              timeLimit,
              heartbeat,
              onServerLost,
              manager: manager.manager,
              managerJobId: manager.jobId,
              zeroWork: Boolean(args['zero-work']),
            });
            return reason === 'server lost' ? 1 : 0;
          }),
      )
      .command(
        'list',
        'List workers',
        (c) => c.option('all', { type: 'boolean', default: false, describe: 'Include workers that have ended' }),
        (args) =>
          run(args, async (ctx) => {
            const client = await ctx.connect();
            ctx.output.workerList(await client.workers(Boolean(args.all)));
          }),
      )
      .command('info <id>', 'Show one worker', {}, (args) =>
        run(args, async (ctx) => {
          const id = parseId(String(args.id), 'worker id');
          const client = await ctx.connect();
          const [w] = await client.workerInfo({ kind: 'ids', ranges: [{ start: id, end: id, step: 1 }] });
          if (!w) throw new UserError(`Worker ${id} not found`);
          ctx.output.workerDetail(w);
        }),
      )
      .command('stop <selector>', 'Stop workers (id, range, last or all)', {}, (args) =>
        run(args, async (ctx) => {
          const sel = parseIdSelector(String(args.selector));
          const client = await ctx.connect();
          const res = await client.stopWorkers(sel);
          ctx.output.workerStopResult([
            ...res.stopped.map((workerId) => ({ workerId, result: 'stopped' as const })),
            ...res.alreadyStopped.map((workerId) => ({ workerId, result: 'already-stopped' as const })),
            ...res.unknown.map((workerId) => ({ workerId, result: 'not-found' as const })),
          ]);
          return res.unknown.length > 0 ? 1 : 0;
        }),
      )
      .command(
        'hwdetect',
        'Show the resources a worker started here would detect',
        (c) => c.option('cpus', { type: 'string' }).option('detect-resources', { type: 'string', default: 'all' }),
        (args) =>
          run(args, async (ctx) => {
            ctx.output.hwdetect(workerResources(args.cpus as string | undefined, [], String(args['detect-resources'])));
          }),
      )
      .command('wait <count>', 'Wait until this many workers are connected', {}, (args) =>
        run(args, async (ctx) => {
          const count = parseId(String(args.count), 'worker count');
          const client = await ctx.connect();
          await client.waitWorkers(count);
        }),
      )
      .command('address <id>', 'Print the hostname of a worker', {}, (args) =>
        run(args, async (ctx) => {
          const id = parseId(String(args.id), 'worker id');
          const client = await ctx.connect();
          const [w] = await client.workerInfo({ kind: 'ids', ranges: [{ start: id, end: id, step: 1 }] });
          if (!w) throw new UserError(`Worker ${id} not found`);
          ctx.print(`${w.hostname}\n`);
        }),
      )
      .demandCommand(1, 'Use one of the worker commands');
}
