import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCompletion, type CommandTree } from '../../src/cli/completion.js';

const TREE: CommandTree = {
  name: 'hq',
  description: 'HyperQueue',
  flags: [
    { name: 'server-dir', description: 'Server directory', takesValue: true, global: true },
    { name: 'output-mode', description: 'How to print: cli, json or quiet', takesValue: true, values: ['cli', 'json', 'quiet'], global: true },
    { name: 'version', description: 'Print the version', takesValue: false },
  ],
  subcommands: [
    {
      name: 'job',
      description: 'Manage jobs',
      flags: [],
      subcommands: [
        {
          name: 'list',
          description: 'List jobs',
          flags: [
            { name: 'all', description: 'Also finished jobs', takesValue: false },
            { name: 'filter', description: "Only jobs in a state (it's a list)", takesValue: true, values: ['waiting', 'running', 'finished'] },
          ],
          subcommands: [],
        },
        { name: 'info', description: 'Details of a job', flags: [], subcommands: [] },
      ],
    },
    { name: 'worker', description: 'Manage workers', flags: [], subcommands: [{ name: 'list', description: 'List workers', flags: [], subcommands: [] }] },
    {
      name: 'submit',
      description: 'Submit a job',
      flags: [
        { name: 'cpus', description: 'CPUs per task', takesValue: true },
        { name: 'pin', description: 'Pinning', takesValue: true, values: ['taskset', 'omp'] },
        { name: 'h', description: 'Help', takesValue: false },
      ],
      subcommands: [],
    },
  ],
};

function hasShell(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' }).status === 0;
}

/** Runs the bash completion function as bash would for the typed words (the last one is being completed). */
function bashComplete(scriptFile: string, words: string[]): string[] {
  const result = spawnSync(
    'bash',
    ['-c', 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _hq; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', scriptFile, ...words],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  return result.stdout.split('\n').filter((line) => line !== '');
}

test('the bash script completes commands, flags and flag values', { skip: !hasShell('bash') && 'bash is not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-completion-'));
  try {
    const script = path.join(dir, 'hq.bash');
    fs.writeFileSync(script, generateCompletion('bash', TREE));
    assert.deepEqual(bashComplete(script, ['hq', 'jo']), ['job']);
    assert.deepEqual(bashComplete(script, ['hq', '']), ['job', 'worker', 'submit']);
    assert.deepEqual(bashComplete(script, ['hq', 'job', '']), ['list', 'info']);
    assert.deepEqual(bashComplete(script, ['hq', 'worker', 'l']), ['list']);
    assert.deepEqual(bashComplete(script, ['hq', '--']), ['--server-dir', '--output-mode', '--version']);
    assert.deepEqual(bashComplete(script, ['hq', 'job', 'list', '--f']), ['--filter']);
    assert.deepEqual(bashComplete(script, ['hq', 'job', 'list', '--s']), ['--server-dir'], 'global flags are offered under subcommands');
    assert.deepEqual(bashComplete(script, ['hq', 'job', 'list', '--filter', 'r']), ['running']);
    assert.deepEqual(bashComplete(script, ['hq', 'job', 'list', '--filter=f']), ['--filter=finished']);
    assert.deepEqual(bashComplete(script, ['hq', '--output-mode', '=', 'q']), ['quiet'], 'bash splits --flag=value at =');
    assert.deepEqual(bashComplete(script, ['hq', '--output-mode', '=']), ['cli', 'json', 'quiet']);
    // Flag values are skipped while finding the command, even when they look like one.
    assert.deepEqual(bashComplete(script, ['hq', '--server-dir', 'job', 'worker', '']), ['list']);
    assert.deepEqual(bashComplete(script, ['hq', '--output-mode', '=', 'json', 'job', 'l']), ['list']);
    assert.deepEqual(bashComplete(script, ['hq', 'submit', '--cpus', '4', '-']), ['--cpus', '--pin', '-h', '--server-dir', '--output-mode']);
    assert.deepEqual(bashComplete(script, ['hq', 'submit', '--pin', '']), ['taskset', 'omp']);
    assert.deepEqual(bashComplete(script, ['hq', 'submit', '--cpus', '']), [], 'no fixed values: bash completes file names');
    assert.deepEqual(bashComplete(script, ['hq', 'submit', 'script.sh', 'x']), []);

    const registered = spawnSync('bash', ['-c', 'source "$1"; complete -p hq', 'bash', script], { encoding: 'utf8' });
    assert.match(registered.stdout, /complete -o default -F _hq hq/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs the zsh completion function with the completion system's builtins replaced by printers. */
function zshComplete(scriptFile: string, words: string[]): string[] {
  const driver = [
    'compdef() { :; }',
    'compset() { :; }',
    '_describe() { local name=$4; print -rl -- "${(@)${(P)name}%%:*}"; }',
    'compadd() { print -rl -- "${reply[@]}"; }',
    '_files() { print -r -- "<files>"; }',
    'source "$1"; shift',
    'words=("$@"); CURRENT=$#words',
    '_hq',
  ].join('\n');
  const result = spawnSync('zsh', ['-c', driver, 'zsh', scriptFile, ...words], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  return result.stdout.split('\n').filter((line) => line !== '');
}

test('the zsh script completes commands, flags and flag values', { skip: !hasShell('zsh') && 'zsh is not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-completion-'));
  try {
    const script = path.join(dir, '_hq');
    fs.writeFileSync(script, generateCompletion('zsh', TREE));
    assert.deepEqual(zshComplete(script, ['hq', 'jo']), ['job', 'worker', 'submit'], 'zsh filters by the typed prefix itself');
    assert.deepEqual(zshComplete(script, ['hq', 'job', '']), ['list', 'info']);
    assert.deepEqual(zshComplete(script, ['hq', '--server-dir', 'job', 'worker', '']), ['list']);
    assert.deepEqual(zshComplete(script, ['hq', 'job', 'list', '--f']), ['--all', '--filter', '--server-dir', '--output-mode']);
    assert.deepEqual(zshComplete(script, ['hq', 'job', 'list', '--filter', '']), ['waiting', 'running', 'finished']);
    assert.deepEqual(zshComplete(script, ['hq', '--output-mode=j']), ['cli', 'json', 'quiet']);
    assert.deepEqual(zshComplete(script, ['hq', 'submit', '--cpus', '']), ['<files>']);
    assert.deepEqual(zshComplete(script, ['hq', 'submit', '--cpus', '2', 'run.sh']), ['<files>']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Asks fish itself what it would offer for a command line. */
function fishComplete(scriptFile: string, line: string): string[] {
  const result = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', scriptFile, line], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout
    .split('\n')
    .filter((entry) => entry !== '')
    .map((entry) => entry.split('\t')[0]!);
}

test('the fish script completes commands, flags and flag values', { skip: !hasShell('fish') && 'fish is not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-completion-'));
  try {
    const script = path.join(dir, 'hq.fish');
    fs.writeFileSync(script, generateCompletion('fish', TREE));
    assert.deepEqual(fishComplete(script, 'hq jo'), ['job']);
    assert.deepEqual(fishComplete(script, 'hq job ').sort(), ['info', 'list']);
    assert.deepEqual(fishComplete(script, 'hq --server-dir job worker '), ['list']);
    assert.deepEqual(fishComplete(script, 'hq job list --f'), ['--filter']);
    assert.deepEqual(fishComplete(script, 'hq job list --filter ').sort(), ['finished', 'running', 'waiting']);
    assert.deepEqual(fishComplete(script, 'hq --output-mode=j'), ['--output-mode=json']);
    assert.deepEqual(fishComplete(script, 'hq submit --pin ').sort(), ['omp', 'taskset']);
    assert.ok(!fishComplete(script, 'hq job -').includes('--version'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the zsh script lists every command and flag with its description', () => {
  const script = generateCompletion('zsh', TREE);
  assert.match(script, /^#compdef hq\n/);
  assert.ok(script.includes(`'hq job') reply=('list:List jobs' 'info:Details of a job') ;;`));
  assert.ok(
    script.includes(
      `'hq job list') reply=('--all:Also finished jobs' '--filter:Only jobs in a state (it'\\''s a list)' '--server-dir:Server directory' '--output-mode:How to print: cli, json or quiet') ;;`,
    ),
  );
  assert.ok(script.includes(`'hq job list|--filter') reply=('waiting' 'running' 'finished') ;;`));
  assert.ok(script.includes(`'hq submit') reply=('--cpus' '--pin' '--server-dir' '--output-mode') ;;`));
  assert.ok(script.includes('compdef _hq hq'));
});

test('the fish script completes by command path', () => {
  const script = generateCompletion('fish', TREE);
  assert.ok(script.includes("complete -c hq -n '__hq_at \\'hq job\\'' -a 'list' -d 'List jobs'"));
  assert.ok(script.includes("complete -c hq -n '__hq_at \\'hq job list\\'' -l filter -x -a 'waiting running finished' -d 'Only jobs in a state (it\\'s a list)'"));
  assert.ok(script.includes("complete -c hq -n '__hq_at \\'hq submit\\'' -l cpus -r -F -d 'CPUs per task'"));
  assert.ok(script.includes("complete -c hq -n '__hq_at \\'hq submit\\'' -s h -d 'Help'"));
  assert.ok(script.includes("complete -c hq -n '__hq_at \\'hq job list\\'' -l server-dir -r -F -d 'Server directory'"), 'global flags under subcommands');
  assert.ok(!script.includes("'__hq_at \\'hq job\\'' -l version"), 'non-global root flags stay at the root');
});

test('names that a shell cannot complete safely are refused', () => {
  const bad = (tree: Partial<CommandTree>): CommandTree => ({ ...TREE, ...tree });
  assert.throws(() => generateCompletion('bash', bad({ subcommands: [{ name: 'a b', description: '', flags: [], subcommands: [] }] })), /'a b'/);
  assert.throws(() => generateCompletion('zsh', bad({ flags: [{ name: '--x', description: '', takesValue: false }] })), /'--x'/);
  assert.throws(() => generateCompletion('fish', bad({ flags: [{ name: 'x', description: '', takesValue: true, values: ['$(rm)'] }] })), /\$\(rm\)/);
});
