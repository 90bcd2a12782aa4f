// hq task list|info
import type { Argv } from 'yargs';
import { parseId, parseIdSelector } from '../../common/id-selector.js';
import { UserError } from '../../common/errors.js';
import type { CommandRunner } from '../context.js';

type Run = CommandRunner;

const TASK_STATES = ['waiting', 'running', 'finished', 'failed', 'canceled'];

function states(value: unknown): string[] {
  if (value === undefined) return [];
  const list = String(value)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const s of list) if (!TASK_STATES.includes(s)) throw new UserError(`Invalid --filter state '${s}': expected ${TASK_STATES.join(', ')}`);
  return list.map((s) => s.toUpperCase());
}

export function taskCommands(run: Run) {
  return (y: Argv) =>
    y
      .command(
        'list <jobs>',
        'List tasks of jobs',
        (c) =>
          c
            .option('tasks', { type: 'string', describe: 'Only these task ids' })
            .option('filter', { type: 'string', describe: 'Only tasks in these states (comma list)' })
            .option('verbose', { type: 'boolean', alias: 'v', default: false, describe: 'Show errors in full' }),
        (args) =>
          run(args, async (ctx) => {
            const jobs = parseIdSelector(String(args.jobs));
            const tasks = args.tasks !== undefined ? parseIdSelector(String(args.tasks), { allowLast: false }) : { kind: 'all' as const };
            const client = await ctx.connect();
            // json shows whether outputs were streamed, which the templates tell.
            const list = await client.tasks(jobs, tasks, states(args.filter), { templates: ctx.mode === 'json' });
            const jobIds = [...new Set(list.map((t) => t.jobId))];
            ctx.output.taskList(jobIds, list, { verbose: Boolean(args.verbose) });
          }),
      )
      .command('info <job> <tasks>', 'Show details of tasks', {}, (args) =>
        run(args, async (ctx) => {
          const jobs = parseIdSelector(String(args.job), { allowAll: false });
          const tasks = parseIdSelector(String(args.tasks), { allowLast: false });
          const client = await ctx.connect();
          // With their templates: command, environment, resources and dependencies.
          const list = await client.tasks(jobs, tasks, [], { templates: true });
          if (list.length === 0) throw new UserError(`Task ${String(args.tasks)} of job ${String(args.job)} not found`);
          ctx.output.taskDetail(list);
        }),
      )
      .command(
        'explain <job> <task>',
        'Explain why a task does or does not run on the workers',
        (c) => c.option('worker', { type: 'string', describe: 'Only this worker' }),
        (args) =>
          run(args, async (ctx) => {
            const job = parseId(String(args.job), 'job id');
            const task = parseId(String(args.task), 'task id');
            const worker = args.worker !== undefined ? parseId(String(args.worker), 'worker id') : 0;
            const client = await ctx.connect();
            const res = await client.explainTask(job, task, worker);
            ctx.output.taskExplain(job, task, res);
          }),
      )
      .demandCommand(1, 'Use one of the task commands');
}
