// Placeholders in task paths (`--cwd`, `--stdout`, `--stderr`, `--log`):
// `%{NAME}` is replaced by job or task specific values before a task runs.
// Text that merely looks similar (`%{` without a closing `}`) stays as it is.

import path from 'node:path';
import { UserError } from './errors.js';

export const PLACEHOLDER_NAMES = ['JOB_ID', 'TASK_ID', 'INSTANCE_ID', 'SUBMIT_DIR', 'CWD', 'SERVER_UID'] as const;
export type PlaceholderName = (typeof PLACEHOLDER_NAMES)[number];

export const DEFAULT_STDOUT_TEMPLATE = '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stdout';
export const DEFAULT_STDERR_TEMPLATE = '%{CWD}/job-%{JOB_ID}/%{TASK_ID}.stderr';
/** A task runs in the directory it was submitted from unless `--cwd` says otherwise. */
export const DEFAULT_CWD_TEMPLATE = '%{SUBMIT_DIR}';

/** Which option a template belongs to; each knows a different set of placeholders. */
export type TemplateUse = 'stdout' | 'stderr' | 'cwd' | 'log';

const AVAILABLE: Record<TemplateUse, ReadonlySet<PlaceholderName>> = {
  stdout: new Set(PLACEHOLDER_NAMES),
  stderr: new Set(PLACEHOLDER_NAMES),
  // The working directory cannot refer to itself.
  cwd: new Set(['JOB_ID', 'TASK_ID', 'INSTANCE_ID', 'SUBMIT_DIR', 'SERVER_UID']),
  // The log is one file per job, opened by the server.
  log: new Set(['JOB_ID', 'SUBMIT_DIR', 'SERVER_UID']),
};

export interface PlaceholderValues {
  jobId?: number | string;
  taskId?: number | string;
  instanceId?: number | string;
  submitDir?: string;
  cwd?: string;
  serverUid?: string;
}

export type TemplatePart = { text: string } | { placeholder: string };

/** Splits a template into verbatim text and `%{...}` placeholders (any name). */
export function splitTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let textStart = 0;
  let i = 0;
  while (i < template.length) {
    const close = template.startsWith('%{', i) ? template.indexOf('}', i + 2) : -1;
    if (close < 0) {
      i++;
      continue;
    }
    if (i > textStart) parts.push({ text: template.slice(textStart, i) });
    parts.push({ placeholder: template.slice(i + 2, close) });
    i = textStart = close + 1;
  }
  if (textStart < template.length) parts.push({ text: template.slice(textStart) });
  return parts;
}

/** Names of all placeholders in a template, in order of appearance. */
export function listPlaceholders(template: string): string[] {
  const names: string[] = [];
  for (const part of splitTemplate(template)) if ('placeholder' in part) names.push(part.placeholder);
  return names;
}

export function hasPlaceholder(template: string, name: PlaceholderName): boolean {
  return listPlaceholders(template).includes(name);
}

/** Rejects placeholders that HyperQueue does not know or that `use` cannot provide. */
export function checkPlaceholders(template: string, use: TemplateUse = 'stdout'): void {
  for (const name of listPlaceholders(template)) {
    if (!(PLACEHOLDER_NAMES as readonly string[]).includes(name)) {
      throw new UserError(
        `Unknown placeholder '%{${name}}' in ${use} path '${template}' (known: ${PLACEHOLDER_NAMES.map((n) => `%{${n}}`).join(', ')})`,
      );
    }
    if (!AVAILABLE[use].has(name as PlaceholderName)) {
      throw new UserError(`Placeholder '%{${name}}' cannot be used in the ${use} path '${template}'`);
    }
  }
}

function valueOf(name: string, values: PlaceholderValues): string | undefined {
  let value: number | string | undefined;
  switch (name) {
    case 'JOB_ID':
      value = values.jobId;
      break;
    case 'TASK_ID':
      value = values.taskId;
      break;
    case 'INSTANCE_ID':
      value = values.instanceId;
      break;
    case 'SUBMIT_DIR':
      value = values.submitDir;
      break;
    case 'CWD':
      value = values.cwd;
      break;
    case 'SERVER_UID':
      value = values.serverUid;
      break;
  }
  return value === undefined ? undefined : String(value);
}

/** Replaces the placeholders whose value is given; the others stay verbatim. */
export function fillPlaceholders(template: string, values: PlaceholderValues): string {
  let result = '';
  for (const part of splitTemplate(template)) {
    if ('text' in part) {
      result += part.text;
    } else {
      result += valueOf(part.placeholder, values) ?? `%{${part.placeholder}}`;
    }
  }
  return result;
}

export interface TaskPathTemplates {
  cwd: string;
  /** null when the stream is not written to a file. */
  stdout: string | null;
  stderr: string | null;
}

export interface TaskPathValues {
  jobId: number | string;
  taskId: number | string;
  instanceId: number | string;
  submitDir: string;
  serverUid: string;
}

function absoluteUnder(dir: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(dir, file);
}

/**
 * Final paths of one task: the working directory is filled and made absolute
 * against the submit directory first, then it fills `%{CWD}` in the output
 * paths, which are also made absolute against the submit directory.
 */
export function resolveTaskPaths(templates: TaskPathTemplates, values: TaskPathValues): TaskPathTemplates {
  const cwd = absoluteUnder(values.submitDir, fillPlaceholders(templates.cwd, values));
  const withCwd: PlaceholderValues = { ...values, cwd };
  const output = (template: string | null): string | null =>
    template === null ? null : absoluteUnder(values.submitDir, fillPlaceholders(template, withCwd));
  return { cwd, stdout: output(templates.stdout), stderr: output(templates.stderr) };
}

export interface StreamDirValues {
  /** Unknown before the server gives the job its id: `%{JOB_ID}` then stays. */
  jobId?: number | string;
  submitDir: string;
  serverUid?: string;
}

/**
 * The stream directory of a submission (`--stream`), as HyperQueue resolves
 * it: `%{JOB_ID}`, `%{SUBMIT_DIR}` and `%{SERVER_UID}` filled as far as the
 * values are known, then made absolute against the submit directory.
 */
export function resolveStreamDir(template: string, values: StreamDirValues): string {
  return absoluteUnder(values.submitDir, fillPlaceholders(template, values));
}

/**
 * Whether a task's output channel goes to its stream directory: as in
 * HyperQueue, with a stream a channel is streamed unless it was given its own
 * path (or none), which keeps the default template.
 */
export function isStreamedOutput(streamDir: string, pathTemplate: string, channel: 'stdout' | 'stderr'): boolean {
  return streamDir !== '' && pathTemplate === (channel === 'stdout' ? DEFAULT_STDOUT_TEMPLATE : DEFAULT_STDERR_TEMPLATE);
}
