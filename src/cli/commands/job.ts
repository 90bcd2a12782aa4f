// hq job list|info|cancel|wait|progress
import type { Argv } from 'yargs';
import { parseIdSelector } from '../../common/id-selector.js';
import { UserError } from '../../common/errors.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { waitForJobs } from './job-wait.js';

type Run = (args: GlobalArgs & Record<string, unknown>, fn: (ctx: CommandContext) => Promise<number | void>) => Promise<void>;

const JOB_STATES = ['waiting', 'running', 'finished', 'failed', 'canceled', 'opened'];

function filterStates(value: unknown): string[] {
  if (value === undefined) return [];
  const states = String(value)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const s of states) {
    if (!JOB_STATES.includes(s)) throw new UserError(`Invalid --filter state '${s}': expected ${JOB_STATES.join(', ')}`);
  }
  return states.map((s) => s.toUpperCase());
}

export function jobCommands(run: Run) {
  return (y: Argv) =>
    y
      .command(
        'list',
        'List jobs (waiting and running ones unless --all)',
        (c) =>
          c
            .option('all', { type: 'boolean', default: false, describe: 'Include finished, failed and canceled jobs' })
            .option('filter', { type: 'string', describe: 'Only jobs in these states (comma list)' }),
        (args) =>
          run(args, async (ctx) => {
            const client = await ctx.connect();
            const jobs = await client.listJobs(Boolean(args.all), filterStates(args.filter));
            ctx.output.jobList(jobs);
          }),
      )
      .command('info <selector>', 'Show details of jobs', {}, (args) =>
        run(args, async (ctx) => {
          const client = await ctx.connect();
          ctx.output.jobDetail(await client.jobInfo(parseIdSelector(String(args.selector))));
        }),
      )
      .command('cancel <selector>', 'Cancel jobs', {}, (args) =>
        run(args, async (ctx) => {
          const client = await ctx.connect();
          const res = await client.cancelJobs(parseIdSelector(String(args.selector)));
          ctx.output.jobCancelResult([
            ...res.canceled.map((c) => ({ result: 'canceled' as const, ...c })),
            ...res.alreadyFinished.map((jobId) => ({ jobId, result: 'failed' as const, message: 'job has already ended' })),
          ]);
        }),
      )
      .command(
        'wait <selector>',
        'Wait until jobs end',
        (c) => c.option('progress', { type: 'boolean', default: false }),
        (args) =>
          run(args, async (ctx) => {
            const client = await ctx.connect();
            return waitForJobs(client, parseIdSelector(String(args.selector)), ctx.output, Boolean(args.progress));
          }),
      )
      .command('progress <selector>', 'Show the progress of jobs until they end', {}, (args) =>
        run(args, async (ctx) => {
          const client = await ctx.connect();
          return waitForJobs(client, parseIdSelector(String(args.selector)), ctx.output, true);
        }),
      )
      .demandCommand(1, 'Use one of the job commands');
}
