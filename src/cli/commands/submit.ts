// hq submit [options] [--] <program> [args...]
import fs from 'node:fs';
import path from 'node:path';
export { SUBMIT_BOOLEAN_FLAGS } from '../submit-flags.js';
import { directivesSource, mergeDirectiveArgs, parseDirectives, parseDirectivesMode, readScriptHeader, type DirectivesMode } from '../directives.js';
import type { Argv } from 'yargs';
import { UserError } from '../../common/errors.js';
import { parseDuration } from '../../common/duration.js';
import { parseIdRanges } from '../../common/id-range.js';
import { parseCpuRequest } from '../../common/cpus-spec.js';
import { parseResourceRequest, ALL_RESOURCES } from '../../common/resource-spec.js';
import {
  checkPlaceholders,
  DEFAULT_STDERR_TEMPLATE,
  DEFAULT_STDOUT_TEMPLATE,
  DEFAULT_CWD_TEMPLATE,
  resolveStreamDir,
} from '../../common/placeholders.js';
import type { OnCloseBehavior, ResourceAmount } from '../../client/types.js';
import type { SubmitSpec } from '../../client/client.js';
import type { CommandRunner, GlobalArgs } from '../context.js';
import { waitForJobs } from './job-wait.js';

type Run = CommandRunner;


/**
 * `#HQ` directives of the submitted script join the command line's options
 * (which win). `argv` is [...global options, 'submit', ...options, '--', program...].
 */
export function applyDirectives(argv: string[], readStdin: () => Buffer): { argv: string[]; stdin: Buffer | null } {
  const at = argv.indexOf('submit');
  const sep = argv.indexOf('--', at);
  if (at < 0 || sep < 0) return { argv, stdin: null };
  const options = argv.slice(at + 1, sep);
  const program = argv.slice(sep + 1);
  let mode: DirectivesMode = 'auto';
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if (o === '--directives') mode = parseDirectivesMode(options[i + 1] ?? '');
    else if (o.startsWith('--directives=')) mode = parseDirectivesMode(o.slice('--directives='.length));
  }
  const wantsStdin = options.includes('--stdin');
  const stdin = wantsStdin ? readStdin() : null;
  const source = program.length > 0 ? directivesSource(mode, program[0]!) : null;
  let directives: string[] = [];
  if (source === 'file') directives = readScriptHeader(program[0]!).directives;
  else if (source === 'stdin') {
    if (!stdin) throw new UserError('--directives=stdin needs the script on standard input (--stdin)');
    directives = parseDirectives(stdin.toString('utf8'), '<stdin>');
  }
  if (directives.length === 0) return { argv, stdin };
  const merged = mergeDirectiveArgs(directives, options);
  return { argv: [...argv.slice(0, at + 1), ...merged, '--', ...program], stdin };
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function integer(value: unknown, flag: string, min: number): number {
  const text = String(value);
  if (!/^[+-]?\d+$/.test(text) || Number(text) < min) throw new UserError(`Invalid ${flag} '${text}': expected an integer >= ${min}`);
  return Number(text);
}

const RM_IF_FINISHED = 'rm-if-finished';

/**
 * `--stdout`/`--stderr`: a path template, `none`, or either with HyperQueue's
 * `:rm-if-finished` suffix (alone, it keeps the default path).
 */
function outputPath(value: unknown, fallback: string, flag: '--stdout' | '--stderr'): { path: string; onClose?: OnCloseBehavior } {
  if (value === undefined) return { path: fallback };
  let text = String(value);
  if (text === 'none') return { path: '' };
  let onClose: OnCloseBehavior | undefined;
  if (text.endsWith(`:${RM_IF_FINISHED}`)) {
    onClose = RM_IF_FINISHED;
    text = text.slice(0, -RM_IF_FINISHED.length - 1).trim() || fallback;
  }
  checkPlaceholders(text, flag === '--stdout' ? 'stdout' : 'stderr');
  return onClose ? { path: text, onClose } : { path: text };
}

function crashLimit(value: unknown): number {
  if (value === undefined) return 5;
  const text = String(value);
  if (text === 'never-restart') return 1;
  if (text === 'unlimited') return 0;
  const n = integer(text, '--crash-limit', 1);
  return n;
}

function readEntries(args: Record<string, unknown>): string[] {
  const eachLine = args['each-line'] as string | undefined;
  const fromJson = args['from-json'] as string | undefined;
  if (eachLine && fromJson) throw new UserError('--each-line and --from-json cannot be used together');
  if (eachLine) {
    let text: string;
    try {
      // Resolved through process.cwd(): the command host answers it with the caller's directory.
      text = fs.readFileSync(path.resolve(eachLine), 'utf8');
    } catch (e) {
      throw new UserError(`Cannot read --each-line file '${eachLine}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }
  if (fromJson) {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(path.resolve(fromJson), 'utf8'));
    } catch (e) {
      throw new UserError(`Cannot read --from-json file '${fromJson}': ${(e as Error).message}`);
    }
    if (!Array.isArray(data)) throw new UserError(`--from-json file '${fromJson}' must contain a JSON array`);
    return data.map((item) => JSON.stringify(item));
  }
  return [];
}

export function buildSubmitSpec(args: Record<string, unknown>, program: string[]): SubmitSpec {
  if (program.length === 0) throw new UserError('No program to run was given: hq submit [options] -- <program> [args...]');
  const resources: ResourceAmount[] = [];
  const cpus = parseCpuRequest(String(args.cpus ?? '1'));
  resources.push(requestAmount('cpus', cpus.amount, cpus.policy));
  for (const text of list(args.resource)) {
    const r = parseResourceRequest(text);
    if (r.name === 'cpus') throw new UserError(`Invalid resource request '${text}': use --cpus to request cpus`);
    if (resources.some((x) => x.name === r.name)) throw new UserError(`Resource '${r.name}' requested twice`);
    resources.push(requestAmount(r.name, r.amount, r.policy));
  }
  const nodes = args.nodes !== undefined ? integer(args.nodes, '--nodes', 1) : 0;
  if (nodes > 0 && (args.cpus !== undefined || list(args.resource).length > 0)) {
    throw new UserError('--nodes takes whole workers: it cannot be combined with --cpus or --resource');
  }
  const env: Record<string, string> = {};
  for (const item of list(args.env)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UserError(`Invalid --env '${item}': expected KEY=VALUE`);
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  const entries = readEntries(args);
  const array = args.array !== undefined ? parseIdRanges(String(args.array)) : [];
  if (entries.length > 0 && array.length > 0) throw new UserError('--array cannot be combined with --each-line or --from-json');
  const cwd = args.cwd !== undefined ? String(args.cwd) : DEFAULT_CWD_TEMPLATE;
  checkPlaceholders(cwd, 'cwd');
  const pin = args.pin !== undefined ? String(args.pin) : '';
  const streamDir = args.stream !== undefined ? String(args.stream) : args.log !== undefined ? String(args.log) : '';
  if (pin && pin !== 'taskset' && pin !== 'omp') throw new UserError(`Invalid --pin '${pin}': expected taskset or omp`);
  const priority = args.priority !== undefined ? integer(args.priority, '--priority', -(2 ** 31)) : 0;
  const jobId = args.job !== undefined ? integer(args.job, '--job', 1) : undefined;
  const submitDir = process.cwd();
  const stdout = outputPath(args.stdout, DEFAULT_STDOUT_TEMPLATE, '--stdout');
  const stderr = outputPath(args.stderr, DEFAULT_STDERR_TEMPLATE, '--stderr');
  return {
    name: args.name !== undefined ? String(args.name) : '',
    maxFails: args['max-fails'] !== undefined ? integer(args['max-fails'], '--max-fails', 0) : null,
    jobId,
    submitDir,
    streamDir: streamDir ? prepareStreamDir(streamDir, submitDir, jobId) : '',
    templates: [
      {
        ids: array,
        entries,
        program: {
          args: program,
          env,
          cwd,
          stdout: stdout.path,
          stderr: stderr.path,
          ...(stdout.onClose ? { stdoutOnClose: stdout.onClose } : {}),
          ...(stderr.onClose ? { stderrOnClose: stderr.onClose } : {}),
        },
        variants: [nodes > 0 ? { nodes, resources: [] } : { nodes: 0, resources }],
        priority,
        crashLimit: crashLimit(args['crash-limit']),
        timeLimit: args['time-limit'] !== undefined ? parseDuration(String(args['time-limit'])) : 0,
        timeRequest: args['time-request'] !== undefined ? parseDuration(String(args['time-request'])) : 0,
        taskDir: Boolean(args['task-dir']),
        pin,
        deps: [],
      },
    ],
  };
}

/**
 * The stream directory: its placeholders filled as far as known here (the
 * server fills the rest, e.g. the id of a new job), absolute, and created and
 * checked writable before the job exists, up to its first unfilled placeholder.
 */
export function prepareStreamDir(template: string, submitDir: string, jobId: number | undefined): string {
  checkPlaceholders(template, 'log');
  const dir = resolveStreamDir(template, { submitDir, ...(jobId !== undefined ? { jobId } : {}) });
  const open = dir.indexOf('%{');
  // With a placeholder left, the deepest directory known already must be writable.
  const known = open < 0 ? dir : path.dirname(dir.slice(0, open) + 'x');
  try {
    fs.mkdirSync(known, { recursive: true });
    fs.accessSync(known, fs.constants.W_OK);
  } catch (e) {
    throw new UserError(`Stream directory '${template}' is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return dir;
}

/** A request entry; `all` travels as amount 0 with policy 'all'. */
function requestAmount(name: string, amount: number, policy: string): ResourceAmount {
  return amount === ALL_RESOURCES ? { name, amount: 0, policy: 'all' } : { name, amount, policy };
}

export function submitOptions(y: Argv): Argv {
  return y
    .option('name', { type: 'string', describe: 'Name of the job' })
    .option('cpus', { type: 'string', describe: 'CPUs per task: N [compact|compact!|tight|tight!|scatter] or all (default 1)' })
    .option('resource', { type: 'string', array: true, describe: 'Resource per task, NAME=AMOUNT (repeatable)' })
    .option('array', { type: 'string', describe: 'Task ids, e.g. 1-10,20,30-40' })
    .option('each-line', { type: 'string', describe: 'One task per line of FILE (HQ_ENTRY)' })
    .option('from-json', { type: 'string', describe: 'One task per item of the JSON array in FILE (HQ_ENTRY)' })
    .option('stdout', { type: 'string', describe: 'Path of stdout (placeholders allowed) or none; PATH:rm-if-finished removes it once the task finished' })
    .option('stderr', { type: 'string', describe: 'Path of stderr (placeholders allowed) or none; PATH:rm-if-finished removes it once the task finished' })
    .option('cwd', { type: 'string', describe: 'Working directory of tasks (default %{SUBMIT_DIR})' })
    .option('env', { type: 'string', array: true, describe: 'KEY=VALUE for the tasks (repeatable)' })
    .option('max-fails', { type: 'string', describe: 'Cancel the rest of the job after more than N failed tasks' })
    .option('crash-limit', { type: 'string', describe: 'N, never-restart or unlimited (default 5)' })
    .option('priority', { type: 'string', describe: 'Job priority, higher runs first (default 0)' })
    .option('time-limit', { type: 'string', describe: 'Kill a task that runs longer' })
    .option('time-request', { type: 'string', describe: 'Run only on workers with at least this much lifetime left' })
    .option('pin', { type: 'string', describe: 'Pin the task to its cpus: taskset or omp' })
    .option('nodes', { type: 'string', describe: 'Run on this many whole workers (a multi-node task)' })
    .option('task-dir', { type: 'boolean', describe: 'Create a temporary directory for each task (HQ_TASK_DIR)' })
    .option('job', { type: 'string', describe: 'Add the tasks to this open job (see hq job open)' })
    .option('stdin', { type: 'boolean', describe: 'Give the standard input of this command to every task' })
    .option('directives', { type: 'string', describe: 'Read #HQ directives: auto (scripts ending in .sh), file, stdin or off' })
    .option('stream', { type: 'string', describe: 'Write the outputs of all tasks into compact stream files in DIR (%{JOB_ID}, %{SUBMIT_DIR}, %{SERVER_UID} allowed)' })
    .option('log', { type: 'string', describe: 'Older name of --stream' })
    .option('wait', { type: 'boolean', describe: 'Wait until the job ends' })
    .option('progress', { type: 'boolean', describe: 'Show progress until the job ends' });
}

export function submitCommand(run: Run, stdin: Buffer | null) {
  return (args: GlobalArgs & Record<string, unknown>) =>
    run(args, async (ctx) => {
      const program = ((args['--'] as string[] | undefined) ?? []).map(String);
      const spec = buildSubmitSpec(args, program);
      if (stdin) spec.templates[0]!.program.stdin = stdin;
      const client = await ctx.connect();
      const jobId = await client.submit(spec);
      ctx.output.jobSubmitted(jobId);
      if (args.wait || args.progress) {
        return waitForJobs(client, { kind: 'ids', ranges: [{ start: jobId, end: jobId, step: 1 }] }, ctx.output, Boolean(args.progress));
      }
      return 0;
    });
}
