// The job toolbox on a real cluster: job files with dependencies, #HQ
// directives, open jobs, a stream dir that cannot be written, job cat /
// task-ids / forget, --stdin, --task-dir and shell completion. (Streaming
// 10000 tasks has a file of its own: toolbox-stream.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, eventually, hqCommand, lines, oneLineError } from '../support/cluster.js';
import type { JobSummary, TaskDetail } from '../../src/client/types.js';

let c: Cluster;

before(async () => {
  c = await Cluster.start({ workers: [{ cpus: 2 }, { cpus: 2 }] });
});
after(() => c?.stop());

async function submit(cwd: string, args: string[], input?: string): Promise<number> {
  return Number((await c.hqOk(['--output-mode=quiet', 'submit', ...args], { cwd, ...(input !== undefined ? { input } : {}) })).trim());
}

async function waitJob(job: number): Promise<number> {
  return (await c.hq(['job', 'wait', String(job)], { timeoutMs: 60_000 })).code;
}

async function tasksOf(job: number): Promise<TaskDetail[]> {
  const client = await c.client();
  return client.tasks({ kind: 'ids', ranges: [{ start: job, end: job, step: 1 }] }, { kind: 'all' });
}

/** Every job the server knows, through the library (cheaper than a process per look). */
async function jobList(): Promise<JobSummary[]> {
  return (await c.client()).listJobs(true);
}

const read = (...parts: string[]) => fs.readFileSync(path.join(...parts), 'utf8');

test('a job file with a diamond of dependencies: a failed branch cancels its dependant only', async () => {
  const dir = c.mkdir('diamond');
  // 0 -> 1 (fails), 0 -> 2; 3 needs 1 and 2; 4 needs 2 only.
  const task = (id: number, deps: number[], body: string) =>
    `[[task]]\nid = ${id}\ndeps = [${deps.join(', ')}]\ncommand = ["bash", "-c", "echo start-${id} >> order; ${body}echo end-${id} >> order"]\n`;
  fs.writeFileSync(
    path.join(dir, 'diamond.toml'),
    'name = "diamond"\n\n' + [task(0, [], ''), task(1, [0], 'exit 1; '), task(2, [0], ''), task(3, [1, 2], ''), task(4, [2], '')].join('\n'),
  );
  const job = Number((await c.hqOk(['--output-mode=quiet', 'job', 'submit-file', 'diamond.toml'], { cwd: dir })).trim());
  assert.notEqual(await waitJob(job), 0);

  const states = new Map((await tasksOf(job)).map((t) => [t.taskId, t.state]));
  assert.deepEqual(Object.fromEntries(states), { 0: 'FINISHED', 1: 'FAILED', 2: 'FINISHED', 3: 'CANCELED', 4: 'FINISHED' });

  const order = lines(read(dir, 'order'));
  const at = (entry: string) => order.indexOf(entry);
  assert.equal(at('start-3'), -1, 'the dependant of the failed task ran');
  assert.equal(at('end-1'), -1);
  for (const [id, deps] of [
    [1, [0]],
    [2, [0]],
    [4, [2]],
  ] as const) {
    for (const dep of deps) {
      assert.ok(at(`end-${dep}`) >= 0 && at(`end-${dep}`) < at(`start-${id}`), `task ${id} started before ${dep} ended: ${order}`);
    }
  }
  const info = await c.hqOk(['job', 'info', String(job)]);
  assert.match(info, /diamond/);
  assert.match(info, /FAILED/);
});

test('a job file with a cycle, an unknown dependency or bad TOML is refused whole, in one line', async () => {
  const dir = c.mkdir('bad-files');
  fs.writeFileSync(
    path.join(dir, 'cycle.toml'),
    '[[task]]\nid = 0\ndeps = [2]\ncommand = ["true"]\n\n[[task]]\nid = 1\ndeps = [0]\ncommand = ["true"]\n\n[[task]]\nid = 2\ndeps = [1]\ncommand = ["true"]\n',
  );
  fs.writeFileSync(path.join(dir, 'unknown.toml'), '[[task]]\nid = 0\ncommand = ["true"]\n\n[[task]]\nid = 5\ndeps = [7]\ncommand = ["true"]\n');
  fs.writeFileSync(path.join(dir, 'syntax.toml'), '[[task]]\nid = 0\ncommand = ["true"\nname = "x"\n');
  const before = (await jobList()).length;

  const cycle = oneLineError(await c.hq(['job', 'submit-file', 'cycle.toml'], { cwd: dir }));
  assert.match(cycle, /cycle\.toml/);
  assert.match(cycle, /task \d/);
  assert.match(cycle, /cycle/);
  const unknown = oneLineError(await c.hq(['job', 'submit-file', 'unknown.toml'], { cwd: dir }));
  assert.match(unknown, /unknown\.toml/);
  assert.match(unknown, /id 5/);
  assert.match(unknown, /\b7\b/);
  const syntax = oneLineError(await c.hq(['job', 'submit-file', 'syntax.toml'], { cwd: dir }));
  assert.match(syntax, /syntax\.toml/);
  assert.match(syntax, /line 4\b/);

  assert.equal((await jobList()).length, before, 'a refused file created a job');
});

test('#HQ directives of a script set the submit options; the command line wins; off ignores them', async () => {
  const dir = c.mkdir('directives');
  fs.writeFileSync(path.join(dir, 'job.sh'), '#!/bin/bash\n# a comment\n#HQ --name=fromdir --array 1-3 --cpus 1\necho "task $HQ_TASK_ID"\n', {
    mode: 0o755,
  });
  const fromScript = await submit(dir, ['./job.sh']);
  const overridden = await submit(dir, ['--array', '1-2', './job.sh']);
  const ignored = await submit(dir, ['--directives', 'off', './job.sh']);
  for (const job of [fromScript, overridden, ignored]) assert.equal(await waitJob(job), 0);

  const jobs = new Map((await jobList()).map((j) => [j.id, j]));
  assert.deepEqual([jobs.get(fromScript)!.name, jobs.get(fromScript)!.taskCount], ['fromdir', 3]);
  assert.deepEqual([jobs.get(overridden)!.name, jobs.get(overridden)!.taskCount], ['fromdir', 2]);
  assert.deepEqual([jobs.get(ignored)!.name, jobs.get(ignored)!.taskCount], ['job.sh', 1]);
  assert.deepEqual(
    (await tasksOf(fromScript)).map((t) => t.taskId),
    [1, 2, 3],
  );
  assert.equal(read(dir, `job-${fromScript}`, '3.stdout'), 'task 3\n');

  fs.writeFileSync(path.join(dir, 'bad.sh'), '#!/bin/bash\n#HQ --cpus 1\n#HQ --name="unfinished\necho hi\n', { mode: 0o755 });
  const before = (await jobList()).length;
  const error = oneLineError(await c.hq(['submit', './bad.sh'], { cwd: dir }));
  assert.match(error, /bad\.sh/);
  assert.match(error, /line 3\b/);
  assert.match(error, /quote/);
  assert.equal((await jobList()).length, before);
});

test('an open job takes several submits; job wait returns only after it is closed', async (t) => {
  const dir = c.mkdir('open');
  const job = Number((await c.hqOk(['--output-mode=quiet', 'job', 'open'], { cwd: dir })).trim());
  for (let i = 1; i <= 3; i++) {
    const id = await submit(dir, ['--job', String(job), '--', 'bash', '-c', `echo "submit ${i} task $HQ_TASK_ID"`]);
    assert.equal(id, job);
  }
  // Ids continue across submits; every task ends while the job stays open.
  await eventually(async () => {
    const tasks = await tasksOf(job);
    return tasks.length === 3 && tasks.every((x) => x.state === 'FINISHED') ? true : undefined;
  }, 'three tasks finished');
  assert.deepEqual(
    (await tasksOf(job)).map((x) => x.taskId),
    [0, 1, 2],
  );
  for (const id of [0, 1, 2]) assert.equal(read(dir, `job-${job}`, `${id}.stdout`), `submit ${id + 1} task ${id}\n`);

  let waitEnded = false;
  const waiting = c.hq(['job', 'wait', String(job)], { timeoutMs: 60_000 }).then((r) => {
    waitEnded = true;
    return r;
  });
  t.after(() => waiting.catch(() => undefined));
  const listed = await c.hqJson<Array<{ id: number; is_open: boolean }>>(['job', 'list']);
  assert.equal(listed.find((j) => j.id === job)?.is_open, true);
  const table = await c.hqOk(['job', 'list']);
  assert.match(table, new RegExp(`\\|\\s*\\*${job}\\s*\\|`), table);
  // A real pause: the wait has every chance to return wrongly before the close.
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(waitEnded, false, 'job wait returned while the job was open');

  await c.hqOk(['job', 'close', String(job)]);
  const waited = await waiting;
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal((await jobList()).find((j) => j.id === job)!.isOpen, false);
  // As HyperQueue: a job that is not open any more is reported, not a failure of the command.
  const again = await c.hq(['job', 'close', String(job)]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`ERROR Closing job ${job} failed; job is already closed\n$`));
});

test('a stream directory that cannot be written fails the submit in one line and creates no job', async () => {
  const dir = c.mkdir('stream-bad');
  // A path below a regular file cannot be created, whoever runs the test (root included).
  fs.writeFileSync(path.join(dir, 'blocker'), '');
  const before = (await jobList()).length;
  const error = oneLineError(await c.hq(['submit', '--stream', 'blocker/out', '--', 'true'], { cwd: dir }));
  assert.match(error, /blocker\/out/);
  assert.equal((await jobList()).length, before);
});

test('job cat --tasks, task-ids --filter, and forget', async () => {
  const dir = c.mkdir('cat');
  const job = await submit(dir, ['--array', '1-6', '--', 'bash', '-c', 'echo "o$HQ_TASK_ID"; echo "e$HQ_TASK_ID" >&2; exit $((HQ_TASK_ID % 2))']);
  assert.notEqual(await waitJob(job), 0);

  assert.equal(await c.hqOk(['job', 'cat', String(job), 'stdout', '--tasks', '2-4']), 'o2\no3\no4\n');
  assert.equal(
    await c.hqOk(['job', 'cat', String(job), 'stderr', '--tasks', '1,5', '--print-task-header']),
    `# Job ${job}, task 1\ne1\n# Job ${job}, task 5\ne5\n`,
  );
  assert.equal(await c.hqOk(['job', 'task-ids', String(job), '--filter', 'failed']), '1,3,5\n');
  // One job, however selected: its ids alone, as HyperQueue prints them.
  assert.equal(await c.hqOk(['job', 'task-ids', 'last', '--filter', 'failed']), '1,3,5\n');
  assert.equal(await c.hqOk(['job', 'task-ids', String(job), '--filter', 'finished']), '2,4,6\n');
  assert.deepEqual(await c.hqJson(['job', 'task-ids', String(job), '--filter', 'failed']), { [job]: [1, 3, 5] });

  await c.hqOk(['job', 'forget', String(job)]);
  const info = oneLineError(await c.hq(['job', 'info', String(job)]));
  assert.match(info, new RegExp(`Job ${job} not found`));
  assert.equal((await jobList()).some((j) => j.id === job), false);
});

test('--stdin gives every task the same input; --task-dir exists during the task only', async () => {
  const dir = c.mkdir('stdin');
  const fed = await submit(dir, ['--stdin', '--array', '1-3', '--', 'bash', '-c', 'cat; echo "task $HQ_TASK_ID"'], 'line one\nline two\n');
  assert.equal(await waitJob(fed), 0);
  for (const id of [1, 2, 3]) assert.equal(read(dir, `job-${fed}`, `${id}.stdout`), `line one\nline two\ntask ${id}\n`);

  const withDir = await submit(dir, [
    '--task-dir',
    '--array',
    '1-2',
    '--',
    'bash',
    '-c',
    'echo "$HQ_TASK_DIR"; test -d "$HQ_TASK_DIR" && touch "$HQ_TASK_DIR/scratch" && echo usable',
  ]);
  assert.equal(await waitJob(withDir), 0);
  const taskDirs = [1, 2].map((id) => {
    const [taskDir, usable] = lines(read(dir, `job-${withDir}`, `${id}.stdout`));
    assert.equal(usable, 'usable');
    assert.ok(path.isAbsolute(taskDir!), taskDir);
    return taskDir!;
  });
  assert.notEqual(taskDirs[0], taskDirs[1]);
  for (const taskDir of taskDirs) assert.equal(fs.existsSync(taskDir), false, `${taskDir} was left behind`);
});

test('the bash completion script, sourced in bash, completes `hq jo` to `job`', () => {
  const script = spawnSync(...hqCommand(['generate-completion', 'bash']), { encoding: 'utf8' });
  assert.equal(script.status, 0, script.stderr);
  const file = path.join(c.dir, 'hq.bash');
  fs.writeFileSync(file, script.stdout);
  const fn = /complete .*-F (\S+) hq$/m.exec(script.stdout)?.[1];
  assert.ok(fn, 'no complete -F line');
  const complete = (words: string[]) => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source "$1"; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; ` +
          `COMP_LINE="${words.join(' ')}"; COMP_POINT=\${#COMP_LINE}; ${fn} hq "${words[words.length - 1]}" "${words[words.length - 2]}"; ` +
          'printf "%s\\n" "${COMPREPLY[@]}"',
        'bash',
        file,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return lines(r.stdout);
  };
  assert.deepEqual(complete(['hq', 'jo']), ['job']);
  assert.ok(complete(['hq', 'job', 'su']).includes('submit-file'));
});
