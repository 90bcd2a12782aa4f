// hq job list|info|cancel|wait|progress
import type { Argv } from 'yargs';
import { parseId, parseIdSelector, type IdSelector } from '../../common/id-selector.js';
import { formatIdRanges } from '../../common/id-range.js';
import { catJobOutput } from './job-output.js';
import { jobFileSubmitSpec } from './submit-file.js';
import { UserError } from '../../common/errors.js';
import type { CommandRunner } from '../context.js';
import { waitForJobs } from './job-wait.js';

type Run = CommandRunner;

/** Above this, `hq job info` in cli mode does not fetch every task to list the workers used. */
const TASKS_IN_CLI_DETAIL = 100_000;

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

function singleId(sel: IdSelector): number {
  if (sel.kind !== 'ids' || sel.ranges.length !== 1 || sel.ranges[0]!.start !== sel.ranges[0]!.end) {
    throw new UserError('hq job cat takes a single job id or last');
  }
  return sel.ranges[0]!.start;
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
          const jobs = await client.jobInfo(parseIdSelector(String(args.selector)));
          // The details include the tasks: their workers and, in json, the task list
          // (HyperQueue's format); a table of a huge job skips the per-task part.
          for (const job of jobs) {
            if (ctx.mode === 'json' || job.taskCount <= TASKS_IN_CLI_DETAIL) {
              job.tasks = await client.tasks({ kind: 'ids', ranges: [{ start: job.id, end: job.id, step: 1 }] }, { kind: 'all' });
            }
          }
          ctx.output.jobDetail(jobs);
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
      .command(
        'submit-file <file>',
        'Submit a job defined in a TOML job file',
        (c) =>
          c
            .option('job', { type: 'string', describe: 'Add the tasks to this open job' })
            .option('wait', { type: 'boolean', default: false })
            .option('progress', { type: 'boolean', default: false }),
        (args) =>
          run(args, async (ctx) => {
            const jobId = args.job !== undefined ? parseId(String(args.job), 'job id') : undefined;
            const client = await ctx.connect();
            let existing: number[] | undefined;
            if (jobId !== undefined) {
              const tasks = await client.tasks({ kind: 'ids', ranges: [{ start: jobId, end: jobId, step: 1 }] }, { kind: 'all' });
              existing = tasks.map((t) => t.taskId);
            }
            // The TOML reader is loaded only here. [[task]] tables make a task graph, an
            // [array] table an array (as job info shows them).
            const { readJobFile } = await import('../../client/job-file.js');
            const parsed = readJobFile(String(args.file), existing ? { existingTaskIds: existing } : {});
            const spec = { ...jobFileSubmitSpec(parsed, process.cwd(), jobId), graph: parsed.array === null };
            const id = await client.submit(spec);
            ctx.output.jobSubmitted(id);
            if (args.wait || args.progress) {
              return waitForJobs(client, { kind: 'ids', ranges: [{ start: id, end: id, step: 1 }] }, ctx.output, Boolean(args.progress));
            }
          }),
      )
      .command(
        'open',
        'Open a job that takes tasks from later submits (hq submit --job ID) until closed',
        (c) =>
          c
            .option('name', { type: 'string', describe: 'Name of the job' })
            .option('max-fails', { type: 'string', describe: 'Cancel the job after more than N failed tasks' }),
        (args) =>
          run(args, async (ctx) => {
            const client = await ctx.connect();
            const maxFails = args['max-fails'] !== undefined ? parseId(String(args['max-fails']), '--max-fails') : null;
            ctx.output.jobOpened(await client.openJob(String(args.name ?? 'job'), maxFails, process.cwd(), ''));
          }),
      )
      .command('close <selector>', 'Close open jobs: they end once their tasks have', {}, (args) =>
        run(args, async (ctx) => {
          const client = await ctx.connect();
          const res = await client.closeJobs(parseIdSelector(String(args.selector)));
          ctx.output.jobCloseResult([
            ...res.closed.map((jobId) => ({ jobId, result: 'closed' as const })),
            ...res.notOpen.map((jobId) => ({ jobId, result: 'already-closed' as const })),
            ...res.notFound.map((jobId) => ({ jobId, result: 'not-found' as const })),
          ]);
        }),
      )
      .command(
        'forget <selector>',
        'Let the server forget ended jobs (frees its memory)',
        (c) => c.option('filter', { type: 'string', describe: 'Only jobs in these states: finished, failed, canceled' }),
        (args) =>
          run(args, async (ctx) => {
            const client = await ctx.connect();
            const states = filterStates(args.filter);
            const res = await client.forgetJobs(parseIdSelector(String(args.selector)), states);
            ctx.output.jobForgetResult({ forgotten: res.forgotten, ignored: [...res.kept, ...res.notFound] });
          }),
      )
      .command(
        'task-ids <selector>',
        'Print the task ids of jobs',
        (c) => c.option('filter', { type: 'string', describe: 'Only tasks in these states (comma list)' }),
        (args) =>
          run(args, async (ctx) => {
            const client = await ctx.connect();
            const sel = parseIdSelector(String(args.selector));
            const states = args.filter !== undefined ? filterStates(args.filter) : [];
            const tasks = await client.tasks(sel, { kind: 'all' }, states);
            const byJob = new Map<number, number[]>();
            for (const t of tasks) {
              const list = byJob.get(t.jobId) ?? [];
              list.push(t.taskId);
              byJob.set(t.jobId, list);
            }
            const jobs = [...byJob.keys()].sort((a, b) => a - b);
            if (ctx.mode === 'json') {
              ctx.print(JSON.stringify(Object.fromEntries(jobs.map((j) => [j, byJob.get(j)!.sort((a, b) => a - b)])), null, 2) + '\n');
              return;
            }
            for (const j of jobs) {
              const ids = formatIdRanges(byJob.get(j)!.sort((a, b) => a - b));
              // As HyperQueue: the job id prefixes the ids only when several jobs are listed.
              ctx.print(jobs.length > 1 ? `${j}: ${ids}\n` : `${ids}\n`);
            }
          }),
      )
      .command(
        'cat <job> <stream>',
        'Print the stdout or stderr of a job\'s tasks, in task order',
        (c) =>
          c
            .option('tasks', { type: 'string', describe: 'Only these task ids' })
            .option('print-task-header', { type: 'boolean', default: false, describe: 'Print a line naming each task before its output' }),
        (args) =>
          run(args, async (ctx) => {
            const stream = String(args.stream);
            if (stream !== 'stdout' && stream !== 'stderr') throw new UserError(`Invalid stream '${stream}': expected stdout or stderr`);
            const sel = parseIdSelector(String(args.job), { allowAll: false });
            const client = await ctx.connect();
            const jobId = sel.kind === 'last' ? (await client.jobInfo({ kind: 'last' }))[0]!.id : singleId(sel);
            const tasks = args.tasks !== undefined ? parseIdSelector(String(args.tasks), { allowLast: false }) : { kind: 'all' as const };
            await catJobOutput(client, jobId, stream, tasks, Boolean(args['print-task-header']), (c) => void process.stdout.write(c));
          }),
      )
      .demandCommand(1, 'Use one of the job commands');
}
