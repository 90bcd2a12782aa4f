// Job definition files (`hq job submit-file job.toml`): a TOML document that
// describes a whole job, either as individual `[[task]]` tables (each with its
// own program, resource variants and dependencies) or as one `[array]` table
// (a task template instantiated for a set of ids and/or entries).
//
//   name = "my-job"                   # job name (default "")
//   max_fails = 3                     # optional
//   stream = "stream-dir"             # stream stdout/stderr into this directory
//   data_layer = false                # accepted; data_deps are refused (no data layer)
//
//   [[task]]
//   id = 1                            # optional: automatic ids continue after the largest id
//   command = ["echo", "a"]           # required
//   env = { A = "1" }
//   cwd = "dir"                       # default %{SUBMIT_DIR}
//   stdout = "out-%{TASK_ID}"         # or "none", or { path = "...", on_close = "rm-if-finished" }
//   stderr = "none"
//   stdin = "text given to the task"
//   pin = "taskset"                   # none | taskset | omp
//   task_dir = true
//   time_limit = "1h 10min"
//   priority = -1
//   crash_limit = 3                   # or "never-restart" / "unlimited"
//   deps = [0, 2]
//   data_deps = [{ task_id = 0, output_id = 1 }]
//   [[task.request]]                  # resource variants, first one preferred
//   resources = { cpus = "4 compact!", gpus = 1, mem = 0.5 }
//   n_nodes = 0
//   time_request = "10min"
//
//   [array]                           # instead of [[task]]
//   ids = "1-10,20"                   # and/or
//   entries = ["a", "b"]              # HQ_ENTRY of each task
//   command = ["process", "$HQ_ENTRY"] # plus any task key except id, deps and data_deps
//
// Everything is validated before anything is submitted; each mistake is a
// one-line UserError naming the file, the table, the key and the bad value.

import fs from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { UserError } from '../common/errors.js';
import { parseDuration } from '../common/duration.js';
import { countIds, parseIdRanges, type IdRange } from '../common/id-range.js';
import { checkPlaceholders, DEFAULT_CWD_TEMPLATE, DEFAULT_STDERR_TEMPLATE, DEFAULT_STDOUT_TEMPLATE } from '../common/placeholders.js';
import { ALL_RESOURCES, isValidResourceName, parseAllocationRequest } from '../common/resource-spec.js';
import { FRACTIONS_PER_UNIT } from '../common/resource-amount.js';
import type { OnCloseBehavior, ProgramDescription, ResourceAmount } from './types.js';

export type { OnCloseBehavior } from './types.js';

/** '' = no pinning, as in SubmitSpec. */
export type JobFilePin = '' | 'taskset' | 'omp';

/** Where one output channel of a task goes. */
export type OutputTarget =
  | { kind: 'file'; path: string; onClose: OnCloseBehavior }
  | { kind: 'none' }
  /** Into the job's stream directory (only when the job has `stream`). */
  | { kind: 'stream' };

export interface ResourceVariant {
  /** Whole nodes for a multi-node task; 0 for a task on one worker. */
  nodes: number;
  /** Seconds of worker lifetime the task needs; 0 = no requirement. */
  timeRequest: number;
  /** As in SubmitSpec: `all` is amount 0 with policy 'all'. */
  resources: ResourceAmount[];
}

export interface DataDependency {
  taskId: number;
  outputId: number;
}

/** Everything about a task except its identity and dependencies. */
export interface JobFileTaskConfig {
  /**
   * args, env, cwd template, and the stdout/stderr file templates; a channel
   * that is not written to a file ('none' or streamed) has '' here, see `output`.
   */
  program: ProgramDescription;
  output: { stdout: OutputTarget; stderr: OutputTarget };
  /** Text written to the task's standard input ('' = nothing). */
  stdin: string;
  /** At least one; the first one that fits a worker is used. */
  variants: ResourceVariant[];
  /** Seconds; 0 = no limit. */
  timeLimit: number;
  /** The first variant's time request, for consumers that take a single one. */
  timeRequest: number;
  priority: number;
  /** As in SubmitSpec: 0 = unlimited, 1 = never restart, N = fail after N crashes. */
  crashLimit: number;
  pin: JobFilePin;
  taskDir: boolean;
}

export interface JobFileTask extends JobFileTaskConfig {
  id: number;
  /** Task ids of the same job this task waits for (no duplicates). */
  deps: number[];
  dataDeps: DataDependency[];
}

export interface JobFileArray {
  ids: IdRange[];
  /** One entry per id (in id order), or empty. */
  entries: string[];
  task: JobFileTaskConfig;
}

export interface JobFileSpec {
  name: string;
  maxFails: number | null;
  /** Stream directory template, or null when outputs go to files. */
  stream: string | null;
  dataLayer: boolean;
  /** Individual tasks, ordered so that every task comes after its dependencies. Empty for an array job. */
  tasks: JobFileTask[];
  array: JobFileArray | null;
}

export interface JobFileOptions {
  /** Task ids already in the open job the file is submitted into: deps may name them, new ids must not reuse them. */
  existingTaskIds?: Iterable<number>;
}

const JOB_KEYS = ['name', 'max_fails', 'stream', 'data_layer', 'task', 'array'] as const;
const TASK_CONFIG_KEYS = [
  'command',
  'env',
  'request',
  'stdout',
  'stderr',
  'stdin',
  'cwd',
  'pin',
  'task_dir',
  'time_limit',
  'priority',
  'crash_limit',
] as const;
const TASK_KEYS = ['id', ...TASK_CONFIG_KEYS, 'deps', 'data_deps'] as const;
const ARRAY_KEYS = ['ids', 'entries', ...TASK_CONFIG_KEYS] as const;
const REQUEST_KEYS = ['resources', 'n_nodes', 'time_request'] as const;
const STDIO_KEYS = ['path', 'on_close'] as const;
const DATA_DEP_KEYS = ['task_id', 'output_id'] as const;

/** Keys that older HyperQueue versions used, with what replaced them. */
const RENAMED_KEYS: Record<string, string> = { stream_log: 'stream' };

const MAX_U32 = 0xffffffff;
const MIN_I32 = -(2 ** 31);
const MAX_I32 = 2 ** 31 - 1;

type TomlValue = unknown;
type Table = Record<string, TomlValue>;

function isTable(value: TomlValue): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A value as it would appear in the file. */
function show(value: TomlValue): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (isTable(value)) {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k} = ${show(v)}`)
      .join(', ')} }`;
  }
  return String(value);
}

/** Reads one file; every error names the file and the table being read. */
class JobFileReader {
  constructor(private readonly file: string) {}

  fail(where: string, message: string): never {
    throw new UserError(`Job file '${this.file}': ${where}: ${message}`);
  }

  checkKeys(table: Table, allowed: readonly string[], where: string): void {
    for (const key of Object.keys(table)) {
      if (allowed.includes(key)) continue;
      const renamed = RENAMED_KEYS[key];
      if (renamed !== undefined && allowed.includes(renamed)) {
        this.fail(where, `unknown key '${key}' (it is called '${renamed}' now)`);
      }
      this.fail(where, `unknown key '${key}' (expected one of: ${allowed.join(', ')})`);
    }
  }

  string(table: Table, key: string, where: string): string | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(where, `${key} must be a string, found ${show(value)}`);
    return value;
  }

  boolean(table: Table, key: string, where: string): boolean | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.fail(where, `${key} must be true or false, found ${show(value)}`);
    return value;
  }

  integer(value: TomlValue, key: string, where: string, min: number, max: number): number {
    if (typeof value !== 'bigint') this.fail(where, `${key} must be an integer, found ${show(value)}`);
    if (value < BigInt(min) || value > BigInt(max)) {
      this.fail(where, `${key} ${value} is out of range (${min} to ${max})`);
    }
    return Number(value);
  }

  optionalInteger(table: Table, key: string, where: string, min: number, max: number): number | undefined {
    const value = table[key];
    return value === undefined ? undefined : this.integer(value, key, where, min, max);
  }

  array(table: Table, key: string, where: string): TomlValue[] | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) this.fail(where, `${key} must be an array, found ${show(value)}`);
    return value;
  }

  stringList(table: Table, key: string, where: string): string[] | undefined {
    const items = this.array(table, key, where);
    if (items === undefined) return undefined;
    return items.map((item) => {
      if (typeof item !== 'string') this.fail(where, `${key} must contain strings, found ${show(item)}`);
      return item;
    });
  }

  duration(table: Table, key: string, where: string): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(where, `${key} must be a duration string such as "10min", found ${show(value)}`);
    return this.rethrow(where, key, () => parseDuration(value));
  }

  /** Runs a shared value parser, putting the file and table in front of its UserError. */
  rethrow<T>(where: string, key: string, parseValue: () => T): T {
    try {
      return parseValue();
    } catch (error) {
      if (error instanceof UserError) this.fail(where, `${key}: ${error.message}`);
      throw error;
    }
  }

  pathTemplate(table: Table, key: string, where: string, use: 'cwd' | 'stdout' | 'stderr' | 'log'): string | undefined {
    const value = this.string(table, key, where);
    if (value === undefined) return undefined;
    if (value === '') this.fail(where, `${key} must not be empty`);
    this.rethrow(where, key, () => checkPlaceholders(value, use));
    return value;
  }

  output(table: Table, key: 'stdout' | 'stderr', where: string, streamed: boolean): OutputTarget {
    const value = table[key];
    if (value === undefined) {
      if (streamed) return { kind: 'stream' };
      return { kind: 'file', path: key === 'stdout' ? DEFAULT_STDOUT_TEMPLATE : DEFAULT_STDERR_TEMPLATE, onClose: 'none' };
    }
    if (value === 'none') return { kind: 'none' };
    if (typeof value === 'string') return { kind: 'file', path: this.pathTemplate(table, key, where, key)!, onClose: 'none' };
    if (!isTable(value)) {
      this.fail(where, `${key} must be a path, "none" or { path = ..., on_close = ... }, found ${show(value)}`);
    }
    const inner = `${where} ${key}`;
    this.checkKeys(value, STDIO_KEYS, inner);
    const path = this.pathTemplate(value, 'path', inner, key);
    if (path === undefined) this.fail(inner, 'path is required');
    const onClose = this.string(value, 'on_close', inner) ?? 'none';
    if (onClose !== 'none' && onClose !== 'rm-if-finished') {
      this.fail(inner, `on_close '${onClose}' is not one of: none, rm-if-finished`);
    }
    return { kind: 'file', path, onClose };
  }

  env(table: Table, where: string): Record<string, string> {
    const value = table.env;
    if (value === undefined) return {};
    if (!isTable(value)) this.fail(where, `env must be a table of NAME = "value", found ${show(value)}`);
    const entries: Array<[string, string]> = [];
    for (const [name, item] of Object.entries(value)) {
      if (name === '' || name.includes('=')) this.fail(where, `env name '${name}' is not a valid variable name`);
      if (typeof item !== 'string') this.fail(where, `env value of ${name} must be a string, found ${show(item)}`);
      entries.push([name, item]);
    }
    // fromEntries defines own properties, so no name can reach the prototype.
    return Object.fromEntries(entries);
  }

  resourceAmount(name: string, value: TomlValue, where: string): ResourceAmount {
    const key = `resources.${name}`;
    if (!isValidResourceName(name)) {
      this.fail(where, `resource name '${name}' must start with a letter and contain only letters, digits and '/'`);
    }
    if (typeof value === 'string') {
      const request = this.rethrow(where, key, () => parseAllocationRequest(value, `request of ${name}`));
      if (request.amount === ALL_RESOURCES) return { name, amount: 0, policy: 'all' };
      return { name, amount: request.amount, policy: request.policy };
    }
    let amount: number;
    if (typeof value === 'bigint') {
      amount = this.integer(value, key, where, 1, MAX_U32);
    } else if (typeof value === 'number') {
      // Floats are stored with the four decimal places resources are scheduled with.
      amount = Math.round(value * FRACTIONS_PER_UNIT) / FRACTIONS_PER_UNIT;
      if (!Number.isFinite(value) || amount <= 0 || amount > MAX_U32) {
        this.fail(where, `${key} ${show(value)} must be a positive amount`);
      }
    } else {
      this.fail(where, `${key} must be an amount such as 2, 0.5 or "4 compact!", found ${show(value)}`);
    }
    return { name, amount, policy: 'compact' };
  }

  variant(table: TomlValue, where: string): ResourceVariant {
    if (!isTable(table)) this.fail(where, `must be a table, found ${show(table)}`);
    this.checkKeys(table, REQUEST_KEYS, where);
    const nodes = this.optionalInteger(table, 'n_nodes', where, 0, MAX_U32) ?? 0;
    const timeRequest = this.duration(table, 'time_request', where) ?? 0;
    const resources: ResourceAmount[] = [];
    const map = table.resources;
    if (map !== undefined) {
      if (!isTable(map)) this.fail(where, `resources must be a table such as { cpus = 2 }, found ${show(map)}`);
      for (const [name, value] of Object.entries(map)) resources.push(this.resourceAmount(name, value, where));
    }
    if (nodes > 0 && resources.length > 0) {
      this.fail(where, `a request of n_nodes = ${nodes} takes whole nodes and cannot also request resources (${resources.map((r) => r.name).join(', ')})`);
    }
    // Like `hq submit`, a single-node task takes one cpu unless it says otherwise.
    if (nodes === 0 && !resources.some((r) => r.name === 'cpus')) resources.unshift({ name: 'cpus', amount: 1, policy: 'compact' });
    return { nodes, timeRequest, resources };
  }

  variants(table: Table, where: string): ResourceVariant[] {
    const requests = this.array(table, 'request', where);
    if (requests === undefined || requests.length === 0) return [{ nodes: 0, timeRequest: 0, resources: [{ name: 'cpus', amount: 1, policy: 'compact' }] }];
    const section = where.startsWith('[array]') ? 'array.request' : 'task.request';
    return requests.map((request, i) => this.variant(request, `${where} [[${section}]] #${i + 1}`));
  }

  crashLimit(table: Table, where: string): number {
    const value = table.crash_limit;
    if (value === undefined) return 5;
    if (value === 'never-restart') return 1;
    if (value === 'unlimited') return 0;
    if (typeof value === 'string') this.fail(where, `crash_limit '${value}' is not a number, "never-restart" or "unlimited"`);
    return this.integer(value, 'crash_limit', where, 0, MAX_U32);
  }

  pin(table: Table, where: string): JobFilePin {
    const value = this.string(table, 'pin', where) ?? 'none';
    if (value === 'none') return '';
    if (value === 'taskset' || value === 'omp') return value;
    this.fail(where, `pin '${value}' is not one of: none, taskset, omp`);
  }

  taskConfig(table: Table, where: string, streamed: boolean): JobFileTaskConfig {
    const args = this.stringList(table, 'command', where);
    if (args === undefined) this.fail(where, 'command is required, e.g. command = ["sleep", "1"]');
    if (args.length === 0) this.fail(where, 'command must not be empty');
    const output = { stdout: this.output(table, 'stdout', where, streamed), stderr: this.output(table, 'stderr', where, streamed) };
    const variants = this.variants(table, where);
    return {
      program: {
        args,
        env: this.env(table, where),
        cwd: this.pathTemplate(table, 'cwd', where, 'cwd') ?? DEFAULT_CWD_TEMPLATE,
        stdout: output.stdout.kind === 'file' ? output.stdout.path : '',
        stderr: output.stderr.kind === 'file' ? output.stderr.path : '',
        ...(output.stdout.kind === 'file' && output.stdout.onClose !== 'none' ? { stdoutOnClose: output.stdout.onClose } : {}),
        ...(output.stderr.kind === 'file' && output.stderr.onClose !== 'none' ? { stderrOnClose: output.stderr.onClose } : {}),
      },
      output,
      stdin: this.string(table, 'stdin', where) ?? '',
      variants,
      timeLimit: this.duration(table, 'time_limit', where) ?? 0,
      timeRequest: variants[0]!.timeRequest,
      priority: this.optionalInteger(table, 'priority', where, MIN_I32, MAX_I32) ?? 0,
      crashLimit: this.crashLimit(table, where),
      pin: this.pin(table, where),
      taskDir: this.boolean(table, 'task_dir', where) ?? false,
    };
  }

  idList(table: Table, key: string, where: string): number[] {
    const items = this.array(table, key, where) ?? [];
    const ids: number[] = [];
    for (const item of items) {
      const id = this.integer(item, key, where, 0, MAX_U32);
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  dataDeps(table: Table, where: string): DataDependency[] {
    const items = this.array(table, 'data_deps', where) ?? [];
    return items.map((item) => {
      if (!isTable(item)) this.fail(where, `data_deps must contain tables { task_id = N, output_id = M }, found ${show(item)}`);
      this.checkKeys(item, DATA_DEP_KEYS, `${where} data_deps`);
      if (item.task_id === undefined || item.output_id === undefined) {
        this.fail(where, `data_deps item ${show(item)} needs both task_id and output_id`);
      }
      return {
        taskId: this.integer(item.task_id, 'data_deps.task_id', where, 0, MAX_U32),
        outputId: this.integer(item.output_id, 'data_deps.output_id', where, 0, MAX_U32),
      };
    });
  }
}

/** A task as written in the file, before automatic ids and dependency checks. */
interface TaskDraft {
  index: number;
  where: string;
  explicitId: number | undefined;
  config: JobFileTaskConfig;
  deps: number[];
  dataDeps: DataDependency[];
}

function describeTask(index: number, table: Table): string {
  return typeof table.id === 'bigint' ? `[[task]] #${index + 1} (id ${table.id})` : `[[task]] #${index + 1}`;
}

function readArray(reader: JobFileReader, value: TomlValue, streamed: boolean): JobFileArray {
  const where = '[array]';
  if (!isTable(value)) reader.fail(where, `array must be a table ([array]), found ${show(value)}`);
  reader.checkKeys(value, ARRAY_KEYS, where);
  const idsText = reader.string(value, 'ids', where);
  const entries = reader.stringList(value, 'entries', where) ?? [];
  let ids: IdRange[];
  if (idsText !== undefined) {
    ids = reader.rethrow(where, 'ids', () => parseIdRanges(idsText));
    const count = countIds(ids);
    if (entries.length > 0 && count !== entries.length) {
      reader.fail(where, `ids '${idsText}' name ${count} tasks but entries has ${entries.length} items`);
    }
  } else if (entries.length > 0) {
    ids = [{ start: 0, end: entries.length - 1, step: 1 }];
  } else {
    reader.fail(where, 'needs ids or entries (or both)');
  }
  return { ids, entries, task: reader.taskConfig(value, where, streamed) };
}

/** Gives ids to tasks without one: each takes the smallest id above every id seen so far. */
function assignIds(drafts: TaskDraft[], existing: ReadonlySet<number>, reader: JobFileReader): number[] {
  let next = -1;
  for (const id of existing) next = Math.max(next, id);
  for (const draft of drafts) if (draft.explicitId !== undefined) next = Math.max(next, draft.explicitId);
  next += 1;
  const ids: number[] = [];
  const owner = new Map<number, TaskDraft>();
  for (const draft of drafts) {
    let id = draft.explicitId;
    if (id === undefined) {
      if (next > MAX_U32) reader.fail(draft.where, 'no task id is left for an automatic id');
      id = next++;
    }
    if (existing.has(id)) reader.fail(draft.where, `task id ${id} already exists in the job`);
    const first = owner.get(id);
    if (first !== undefined) reader.fail(draft.where, `task id ${id} is already used by ${first.where}`);
    owner.set(id, draft);
    ids.push(id);
  }
  return ids;
}

/** Orders tasks after their dependencies (file order otherwise); refuses unknown ids and cycles. */
function orderByDependencies(tasks: JobFileTask[], wheres: string[], existing: ReadonlySet<number>, reader: JobFileReader): JobFileTask[] {
  const position = new Map<number, number>();
  tasks.forEach((task, i) => position.set(task.id, i));
  // Dependencies among the tasks of this file, as positions.
  const waitsOn: number[][] = tasks.map((task, i) => {
    const producers: number[] = [];
    const add = (id: number, what: string): void => {
      if (id === task.id) reader.fail(wheres[i]!, `task ${id} cannot depend on itself (${what})`);
      const at = position.get(id);
      if (at !== undefined) {
        if (!producers.includes(at)) producers.push(at);
      } else if (!existing.has(id)) {
        reader.fail(wheres[i]!, `${what} names task ${id}, which is not defined`);
      }
    };
    for (const dep of task.deps) add(dep, `deps = [${task.deps.join(', ')}]`);
    for (const dep of task.dataDeps) add(dep.taskId, `data_deps task_id = ${dep.taskId}`);
    return producers;
  });
  const remaining = new Int32Array(tasks.length);
  const consumers: number[][] = tasks.map(() => []);
  waitsOn.forEach((producers, i) => {
    remaining[i] = producers.length;
    for (const p of producers) consumers[p]!.push(i);
  });
  const order: number[] = [];
  for (let i = 0; i < tasks.length; i++) if (remaining[i] === 0) order.push(i);
  for (let head = 0; head < order.length; head++) {
    for (const c of consumers[order[head]!]!) if (--remaining[c]! === 0) order.push(c);
  }
  if (order.length < tasks.length) {
    // Walk dependencies from a blocked task; blocked tasks always wait on another blocked task.
    let at = remaining.findIndex((count) => count > 0);
    const seen = new Map<number, number>();
    const path: number[] = [];
    while (!seen.has(at)) {
      seen.set(at, path.length);
      path.push(at);
      at = waitsOn[at]!.find((p) => remaining[p]! > 0)!;
    }
    const cycle = path.slice(seen.get(at)!).map((i) => tasks[i]!.id);
    reader.fail(wheres[at]!, `task ${tasks[at]!.id} is part of a dependency cycle (${[...cycle, cycle[0]].join(' -> ')})`);
  }
  return order.map((i) => tasks[i]!);
}

/** Parses and validates the text of a job definition file; `fileName` is used in messages. */
export function parseJobFile(text: string, fileName: string, options: JobFileOptions = {}): JobFileSpec {
  const reader: JobFileReader = new JobFileReader(fileName);
  let root: Table;
  try {
    root = parse(text, { integersAsBigInt: true }) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new UserError(`Job file '${fileName}' is not valid TOML: line ${error.line}, column ${error.column}: ${reason}`);
    }
    throw error;
  }
  const top = 'top level';
  reader.checkKeys(root, JOB_KEYS, top);
  const stream = reader.pathTemplate(root, 'stream', top, 'log') ?? null;
  const streamed = stream !== null;
  const dataLayer = reader.boolean(root, 'data_layer', top) ?? false;
  const spec: JobFileSpec = {
    name: reader.string(root, 'name', top) ?? '',
    maxFails: reader.optionalInteger(root, 'max_fails', top, 0, MAX_U32) ?? null,
    stream,
    dataLayer,
    tasks: [],
    array: null,
  };
  const taskTables = root.task;
  if (root.array !== undefined) {
    if (taskTables !== undefined) reader.fail(top, 'a job has either [[task]] tables or one [array] table, not both');
    spec.array = readArray(reader, root.array, streamed);
    return spec;
  }
  if (taskTables === undefined) reader.fail(top, 'no tasks defined: add [[task]] tables or an [array] table');
  if (!Array.isArray(taskTables) || !taskTables.every(isTable)) {
    reader.fail(top, `task must be written as [[task]] tables, found ${show(taskTables)}`);
  }
  if (taskTables.length === 0) reader.fail(top, 'no tasks defined: add [[task]] tables or an [array] table');

  const drafts: TaskDraft[] = taskTables.map((table, index) => {
    const where = describeTask(index, table);
    reader.checkKeys(table, TASK_KEYS, where);
    const dataDeps = reader.dataDeps(table, where);
    if (dataDeps.length > 0 && !dataLayer) reader.fail(where, 'data_deps need data_layer = true at the top level');
    if (dataDeps.length > 0) {
      // Refused rather than ignored: a consumer would start without its inputs.
      reader.fail(where, 'data_deps are not supported: this hq has no data layer (hq data put/get); use deps and files instead');
    }
    return {
      index,
      where,
      explicitId: reader.optionalInteger(table, 'id', where, 0, MAX_U32),
      config: reader.taskConfig(table, where, streamed),
      deps: reader.idList(table, 'deps', where),
      dataDeps,
    };
  });
  const existing = new Set(options.existingTaskIds ?? []);
  const ids = assignIds(drafts, existing, reader);
  const tasks = drafts.map((draft, i) => ({ id: ids[i]!, ...draft.config, deps: draft.deps, dataDeps: draft.dataDeps }));
  spec.tasks = orderByDependencies(
    tasks,
    drafts.map((d) => d.where),
    existing,
    reader,
  );
  return spec;
}

/** Reads and parses a job definition file. */
export function readJobFile(filePath: string, options: JobFileOptions = {}): JobFileSpec {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new UserError(`Cannot read job file '${filePath}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseJobFile(text, filePath, options);
}
