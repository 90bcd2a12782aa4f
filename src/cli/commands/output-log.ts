// hq output-log DIR summary|jobs|cat|show|export: reads the stream files that
// `hq submit --stream DIR` tasks wrote, also while the job runs.
import type { Argv } from 'yargs';
import { StreamReader, formatStreamExport, type StreamChannel } from '../../client/stream-reader.js';
import { parseId, parseIdSelector } from '../../common/id-selector.js';
import { expandIds } from '../../common/id-range.js';
import { UserError } from '../../common/errors.js';
import type { CommandRunner, GlobalArgs } from '../context.js';

type Run = CommandRunner;

/** The stream files of `dir`; of one server only when the directory is shared by several. */
function open(dir: unknown, serverUid: unknown): StreamReader {
  return StreamReader.open(String(dir), serverUid !== undefined ? { serverUid: String(serverUid) } : {});
}

function channel(value: unknown): StreamChannel {
  const s = String(value);
  if (s !== 'stdout' && s !== 'stderr') throw new UserError(`Invalid stream '${s}': expected stdout or stderr`);
  return s;
}

function taskIds(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  const sel = parseIdSelector(String(value), { allowLast: false });
  return sel.kind === 'ids' ? [...expandIds(sel.ranges)] : undefined;
}

/** The job of a command: given, or the only one in the stream. */
function jobOf(reader: StreamReader, value: unknown): number {
  if (value !== undefined) return parseId(String(value), 'job id');
  const jobs = reader.jobs();
  if (jobs.length !== 1) throw new UserError(`The stream holds ${jobs.length} jobs: name one with --job`);
  return jobs[0]!;
}

const ACTIONS = ['summary', 'jobs', 'cat', 'show', 'export'];

/** `hq output-log <dir> <action> [stream]`: HyperQueue puts the directory before the action. */
export function outputLogCommand(run: Run) {
  return {
    builder: (y: Argv) =>
      y
        .positional('dir', { type: 'string', describe: 'Stream directory' })
        .positional('action', { type: 'string', describe: ACTIONS.join(' | ') })
        .positional('stream', { type: 'string', describe: 'stdout or stderr (cat)' })
        .option('server-uid', { type: 'string', describe: 'Read the files of this server only (a directory shared by several servers)' })
        .option('job', { type: 'string', describe: 'Only this job' })
        .option('tasks', { type: 'string', describe: 'Only these task ids (cat, export)' })
        .option('channel', { type: 'string', describe: 'Only stdout or stderr (show)' })
        .option('allow-unfinished', { type: 'boolean', default: false, describe: 'cat: include tasks still running' }),
    handler: (args: GlobalArgs & Record<string, unknown>) =>
      run(args, async (ctx) => {
        const action = String(args.action);
        if (!ACTIONS.includes(action)) throw new UserError(`Invalid action '${action}': expected ${ACTIONS.join(', ')}`);
        const reader = open(args.dir, args['server-uid']);
        switch (action) {
          case 'summary': {
            const s = reader.summary();
            if (ctx.mode === 'json') {
              process.stdout.write(JSON.stringify(s, null, 2) + '\n');
              return;
            }
            const lines: Array<[string, number]> = [
              ['Files', s.files],
              ['Jobs', s.jobs],
              ['Tasks', s.tasks],
              ['Task instances', s.streams],
              ['Superseded instances', s.superseded],
              ['Incomplete tasks', s.incompleteTasks],
              ['Failed tasks', s.failedTasks],
              ['Stdout bytes', s.stdoutBytes],
              ['Stderr bytes', s.stderrBytes],
            ];
            for (const [k, v] of lines) process.stdout.write(`${k}: ${v}\n`);
            for (const t of s.truncatedFiles) process.stdout.write(`Truncated file: ${JSON.stringify(t)}\n`);
            return;
          }
          case 'jobs':
            for (const j of reader.jobs()) process.stdout.write(`${j}\n`);
            return;
          case 'cat':
            if (args.stream === undefined) throw new UserError('hq output-log DIR cat needs stdout or stderr');
            process.stdout.write(
              reader.cat(jobOf(reader, args.job), channel(args.stream), taskIds(args.tasks), {
                allowUnfinished: Boolean(args['allow-unfinished']),
              }),
            );
            return;
          case 'show':
            process.stdout.write(
              reader.show({
                ...(args.job !== undefined ? { job: parseId(String(args.job), 'job id') } : {}),
                ...(args.channel !== undefined ? { channel: channel(args.channel) } : {}),
              }),
            );
            return;
          case 'export': {
            const job = args.job !== undefined ? parseId(String(args.job), 'job id') : undefined;
            process.stdout.write(formatStreamExport(reader.export(job, taskIds(args.tasks))));
            return;
          }
        }
      }),
  };
}
