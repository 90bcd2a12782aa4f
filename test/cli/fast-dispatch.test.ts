// The fast path must give every command exactly the arguments yargs gives
// it, and leave to yargs every line it cannot vouch for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandRecorder } from '../../src/cli/command-spec.js';
import { declareCommands } from '../../src/cli/command-line.js';
import { planDispatch } from '../../src/cli/fast-dispatch.js';
import { buildYargs } from '../../src/cli/yargs-cli.js';
import { splitSubmitArgv } from '../../src/cli/submit-argv.js';
import type { CommandRunner } from '../../src/cli/context.js';
import { commandRunner, planCommandLine } from '../../src/cli/main.js';
import { VERSION } from '../../src/common/version.js';

/** A runner that records the arguments a command got instead of running it. */
function capturing(): { run: CommandRunner; calls: Array<Record<string, unknown>> } {
  const calls: Array<Record<string, unknown>> = [];
  return {
    calls,
    run: async (args) => {
      calls.push({ ...args });
    },
  };
}

async function viaYargs(argv: string[]): Promise<Record<string, unknown>> {
  const { run, calls } = capturing();
  await buildYargs(argv, (y) => declareCommands(y, run, null))
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
  assert.equal(calls.length, 1, `yargs ran ${calls.length} commands for ${argv.join(' ')}`);
  return calls[0]!;
}

async function viaFastPath(argv: string[]): Promise<Record<string, unknown> | null> {
  const { run, calls } = capturing();
  const recorder = CommandRecorder.root();
  declareCommands(recorder.asArgv(), run, null);
  const plan = planDispatch(recorder.node, argv);
  if (!plan) return null;
  await plan.handler(plan.args);
  assert.equal(calls.length, 1);
  return calls[0]!;
}

const line = (s: string) => splitSubmitArgv(s.split(' ').filter(Boolean));

const FAST_LINES = [
  'job list',
  'job list --all',
  '--server-dir /tmp/x job list --filter running,waiting',
  'job list --output-mode=json',
  'job list --no-all',
  'job info 5',
  'job info last',
  'job info 1-3,7 --output-mode quiet',
  'job cancel all',
  'job wait 12 --colors never',
  'job cat 3 stdout --tasks 1-4',
  'task list 1 --filter failed -v',
  'task list 1 --tasks 3-5 --verbose',
  'task info 4 0-10',
  'task explain 1 2 --worker 3',
  'worker list --all',
  'worker info 2',
  'worker stop all',
  'server info',
  'server stop --server-dir /tmp/sd',
  'submit /bin/true',
  'submit --array 1-1000000 --stdout none --stderr none /bin/true',
  'submit --cpus 2 --resource gpus=1 --resource mem=100 --env A=1 --env B=2 -- prog --flag x',
  'submit --name x --priority -5 --time-limit 1h --wait --progress prog a b',
  'submit --each-line file.txt --max-fails 3 --crash-limit never-restart prog',
  '--output-mode json submit --pin taskset --cpus 4 prog',
  'output-log dir summary',
  'output-log dir cat stdout --tasks 3 --allow-unfinished',
  'log dir show --job 1',
  'jobs --all',
  'generate-completion bash',
  'worker start --cpus 4 --resource gpus=[0,1] --idle-timeout 5m --zero-work --detect-resources none',
  'server start --idle-timeout 10m',
  'worker hwdetect',
];

for (const text of FAST_LINES) {
  test(`fast path and yargs agree: hq ${text}`, async () => {
    const argv = line(text);
    const expected = await viaYargs(argv);
    const actual = await viaFastPath(argv);
    assert.notEqual(actual, null, 'the fast path refused a valid line');
    assert.deepEqual(actual, expected);
  });
}

const YARGS_LINES = [
  '',
  '--version',
  'job',
  'job list --help',
  'job -h',
  'job list --bogus',
  'job frobnicate',
  'job info',
  'job info 1 2',
  'task info 1',
  'submit --help -- prog',
];

for (const text of YARGS_LINES) {
  test(`left to yargs: hq ${text}`, async () => {
    assert.equal(await viaFastPath(line(text)), null);
  });
}

test('every declaration of every command is one the recorder understands', () => {
  const { run } = capturing();
  const recorder = CommandRecorder.root();
  declareCommands(recorder.asArgv(), run, null);
  const names = [...recorder.node.subcommands.keys()].sort();
  assert.deepEqual(names, ['generate-completion', 'job', 'jobs', 'log', 'output-log', 'server', 'submit', 'task', 'worker']);
  assert.ok(recorder.node.subcommands.get('job')!.subcommands.has('list'));
});

test('hq --version alone is answered without yargs, with what yargs prints', async () => {
  let out = '';
  let exitCode = -1;
  const run = commandRunner((code) => (exitCode = code), { write: (text) => void (out += text), writeError: (text) => void (out += text) });
  const noStdin = () => {
    throw new Error('no standard input here');
  };
  const planned = planCommandLine(['--version'], run, noStdin);
  assert.ok(planned.plan, 'the fast path refused --version');
  await planned.plan.handler(planned.plan.args);
  assert.equal(out, `${VERSION}\n`);
  assert.equal(exitCode, -1, 'nothing failed');
  // With anything else on the line, yargs decides as before.
  assert.equal(planCommandLine(['--version', 'job', 'list'], run, noStdin).plan, null);
  assert.equal(planCommandLine(['job', '--version'], run, noStdin).plan, null);
});
