import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseJobFile, readJobFile, type JobFileTask } from '../../src/client/job-file.js';
import { DEFAULT_CWD_TEMPLATE, DEFAULT_STDERR_TEMPLATE, DEFAULT_STDOUT_TEMPLATE } from '../../src/common/placeholders.js';
import { expectUserError } from '../common/expect-user-error.js';

const FILE = 'job.toml';
const parse = (text: string, existingTaskIds?: number[]) => parseJobFile(text, FILE, { existingTaskIds });
const byId = (tasks: JobFileTask[], id: number): JobFileTask => tasks.find((t) => t.id === id)!;

test('a minimal file gets the same defaults as hq submit', () => {
  const spec = parse('[[task]]\ncommand = ["sleep", "1"]\n');
  assert.equal(spec.name, '');
  assert.equal(spec.maxFails, null);
  assert.equal(spec.stream, null);
  assert.equal(spec.dataLayer, false);
  assert.equal(spec.array, null);
  assert.equal(spec.tasks.length, 1);
  const task = spec.tasks[0]!;
  assert.equal(task.id, 0);
  assert.deepEqual(task.program, {
    args: ['sleep', '1'],
    env: {},
    cwd: DEFAULT_CWD_TEMPLATE,
    stdout: DEFAULT_STDOUT_TEMPLATE,
    stderr: DEFAULT_STDERR_TEMPLATE,
  });
  assert.deepEqual(task.output.stdout, { kind: 'file', path: DEFAULT_STDOUT_TEMPLATE, onClose: 'none' });
  assert.deepEqual(task.variants, [{ nodes: 0, timeRequest: 0, resources: [{ name: 'cpus', amount: 1, policy: 'compact' }] }]);
  assert.equal(task.stdin, '');
  assert.equal(task.timeLimit, 0);
  assert.equal(task.timeRequest, 0);
  assert.equal(task.priority, 0);
  assert.equal(task.crashLimit, 5);
  assert.equal(task.pin, '');
  assert.equal(task.taskDir, false);
  assert.deepEqual(task.deps, []);
  assert.deepEqual(task.dataDeps, []);
});

test('every job and task key is read', () => {
  const spec = parse(`
name = "test-job"
max_fails = 11

[[task]]
id = 12
stdout = "testout-%{TASK_ID}"
stderr = { path = "testerr-%{TASK_ID}", on_close = "rm-if-finished" }
task_dir = true
time_limit = "1m 10s"
priority = -1
crash_limit = 12
command = ["bash", "-c", "echo $ABC $XYZ"]
env = { "ABC" = "123", "XYZ" = "aaaa" }
stdin = "Hello world!"
[[task.request]]
n_nodes = 2

[[task]]
id = 200
pin = "taskset"
cwd = "test-200"
command = ["bash", "-c", "echo test1"]
crash_limit = "never-restart"
[[task.request]]
resources = { "cpus" = "4 compact!", "gpus" = 2 }
time_request = "10s"

[[task]]
id = 13
pin = "omp"
command = ["sleep", "0"]
crash_limit = "unlimited"
stdout = "none"
`);
  assert.equal(spec.name, 'test-job');
  assert.equal(spec.maxFails, 11);
  assert.deepEqual(
    spec.tasks.map((t) => t.id),
    [12, 200, 13],
  );
  const t12 = byId(spec.tasks, 12);
  assert.deepEqual(t12.program.args, ['bash', '-c', 'echo $ABC $XYZ']);
  assert.deepEqual(t12.program.env, { ABC: '123', XYZ: 'aaaa' });
  assert.equal(t12.program.stdout, 'testout-%{TASK_ID}');
  assert.equal(t12.program.stderr, 'testerr-%{TASK_ID}');
  assert.deepEqual(t12.output.stderr, { kind: 'file', path: 'testerr-%{TASK_ID}', onClose: 'rm-if-finished' });
  assert.equal(t12.taskDir, true);
  assert.equal(t12.timeLimit, 70);
  assert.equal(t12.priority, -1);
  assert.equal(t12.crashLimit, 12);
  assert.equal(t12.stdin, 'Hello world!');
  assert.deepEqual(t12.variants, [{ nodes: 2, timeRequest: 0, resources: [] }]);

  const t200 = byId(spec.tasks, 200);
  assert.equal(t200.pin, 'taskset');
  assert.equal(t200.program.cwd, 'test-200');
  assert.equal(t200.crashLimit, 1);
  assert.equal(t200.timeRequest, 10);
  assert.deepEqual(t200.variants, [
    {
      nodes: 0,
      timeRequest: 10,
      resources: [
        { name: 'cpus', amount: 4, policy: 'compact!' },
        { name: 'gpus', amount: 2, policy: 'compact' },
      ],
    },
  ]);

  const t13 = byId(spec.tasks, 13);
  assert.equal(t13.pin, 'omp');
  assert.equal(t13.crashLimit, 0);
  assert.deepEqual(t13.output.stdout, { kind: 'none' });
  assert.equal(t13.program.stdout, '');
});

test('env may also be written as a [task.env] table', () => {
  const spec = parse('[[task]]\ncommand = ["env"]\n  [task.env]\n  "ABC" = "abc"\n  "XYZ" = "55"\n');
  assert.deepEqual(spec.tasks[0]!.program.env, { ABC: 'abc', XYZ: '55' });
});

test('automatic ids continue after the largest id in the file', () => {
  const spec = parse(`
[[task]]
command = ["a"]
[[task]]
id = 12
command = ["b"]
[[task]]
id = 3
command = ["c"]
[[task]]
command = ["d"]
[[task]]
command = ["e"]
`);
  assert.deepEqual(
    spec.tasks.map((t) => [t.id, t.program.args[0]]),
    [
      [13, 'a'],
      [12, 'b'],
      [3, 'c'],
      [14, 'd'],
      [15, 'e'],
    ],
  );
  const auto = parse('[[task]]\ncommand = ["a"]\n[[task]]\ncommand = ["b"]\n[[task]]\ncommand = ["c"]\n');
  assert.deepEqual(
    auto.tasks.map((t) => t.id),
    [0, 1, 2],
  );
});

test('a diamond of dependencies comes out in dependency order', () => {
  // Written bottom-up: 4 waits on 2 and 3, which both wait on 1.
  const spec = parse(`
[[task]]
id = 4
command = ["join"]
deps = [2, 3]
[[task]]
id = 3
command = ["right"]
deps = [1]
[[task]]
id = 2
command = ["left"]
deps = [1, 1]
[[task]]
id = 1
command = ["root"]
`);
  const order = spec.tasks.map((t) => t.id);
  assert.equal(order.length, 4);
  const at = (id: number): number => order.indexOf(id);
  assert.ok(at(1) < at(2) && at(1) < at(3) && at(2) < at(4) && at(3) < at(4), `bad order ${order.join(',')}`);
  assert.deepEqual(byId(spec.tasks, 4).deps, [2, 3]);
  assert.deepEqual(byId(spec.tasks, 2).deps, [1], 'duplicate deps are listed once');
  assert.deepEqual(byId(spec.tasks, 1).deps, []);
});

test('dependencies on tasks already in an open job, and ids continuing after them', () => {
  const spec = parse('[[task]]\ncommand = ["x"]\ndeps = [5]\n[[task]]\ncommand = ["y"]\n', [0, 5]);
  assert.deepEqual(
    spec.tasks.map((t) => [t.id, t.deps]),
    [
      [6, [5]],
      [7, []],
    ],
  );
  expectUserError(() => parse('[[task]]\nid = 5\ncommand = ["x"]\n', [5]), 'task id 5', /already exists/);
});

test('resource variants keep their order and accept integers, floats and request strings', () => {
  const spec = parse(`
[[task]]
command = ["x"]
[[task.request]]
resources = { "cpus" = 1, "gpus" = 1 }
[[task.request]]
resources = { "cpus" = "4" }
[[task.request]]
resources = { "foo" = 1.5, "mem" = "0.25 scatter" }
[[task.request]]
resources = { "cpus" = "all" }
`);
  assert.deepEqual(spec.tasks[0]!.variants, [
    {
      nodes: 0,
      timeRequest: 0,
      resources: [
        { name: 'cpus', amount: 1, policy: 'compact' },
        { name: 'gpus', amount: 1, policy: 'compact' },
      ],
    },
    { nodes: 0, timeRequest: 0, resources: [{ name: 'cpus', amount: 4, policy: 'compact' }] },
    {
      nodes: 0,
      timeRequest: 0,
      resources: [
        { name: 'cpus', amount: 1, policy: 'compact' },
        { name: 'foo', amount: 1.5, policy: 'compact' },
        { name: 'mem', amount: 0.25, policy: 'scatter' },
      ],
    },
    { nodes: 0, timeRequest: 0, resources: [{ name: 'cpus', amount: 0, policy: 'all' }] },
  ]);
});

test('task arrays: ids, entries, both, and the task template', () => {
  const byIds = parse('[array]\nids = "2, 10-14, 120"\ncommand = ["sleep", "0"]\npriority = 3\n');
  assert.deepEqual(byIds.tasks, []);
  assert.deepEqual(byIds.array!.ids, [
    { start: 2, end: 2, step: 1 },
    { start: 10, end: 14, step: 1 },
    { start: 120, end: 120, step: 1 },
  ]);
  assert.deepEqual(byIds.array!.entries, []);
  assert.equal(byIds.array!.task.priority, 3);
  assert.deepEqual(byIds.array!.task.program.args, ['sleep', '0']);

  const byEntries = parse('[array]\nentries = ["a", "bb", "ccc"]\ncommand = ["echo"]\n');
  assert.deepEqual(byEntries.array!.ids, [{ start: 0, end: 2, step: 1 }]);
  assert.deepEqual(byEntries.array!.entries, ['a', 'bb', 'ccc']);

  const both = parse('[array]\nids = "2,10-12"\nentries = ["a", "bb", "ccc", "x"]\ncommand = ["echo"]\n');
  assert.equal(both.array!.entries.length, 4);

  expectUserError(() => parse('[array]\nids = "1-3"\nentries = ["a"]\ncommand = ["x"]\n'), "ids '1-3'", /3 tasks but entries has 1/);
  expectUserError(() => parse('[array]\ncommand = ["x"]\n'), '[array]', /ids or entries/);
  expectUserError(() => parse('[array]\nids = "1-x"\ncommand = ["x"]\n'), "'1-x'");
  expectUserError(() => parse('[array]\nids = "1"\ncommand = ["x"]\ndeps = [1]\n'), "'deps'", /\[array\]/);
  expectUserError(
    () => parse('[array]\nids = "2"\ncommand = ["x"]\n[[task]]\nid = 1\ncommand = ["y"]\n'),
    'not both',
  );
});

test('with stream set, outputs that are not given go to the stream', () => {
  const spec = parse('stream = "out/%{JOB_ID}"\n[[task]]\ncommand = ["x"]\nstderr = "err.txt"\n[[task]]\ncommand = ["y"]\nstdout = "none"\n');
  assert.equal(spec.stream, 'out/%{JOB_ID}');
  const [a, b] = spec.tasks;
  assert.deepEqual(a!.output, { stdout: { kind: 'stream' }, stderr: { kind: 'file', path: 'err.txt', onClose: 'none' } });
  assert.equal(a!.program.stdout, '');
  assert.equal(a!.program.stderr, 'err.txt');
  assert.deepEqual(b!.output, { stdout: { kind: 'none' }, stderr: { kind: 'stream' } });
  expectUserError(() => parse('stream = "out/%{TASK_ID}"\n[[task]]\ncommand = ["x"]\n'), '%{TASK_ID}');
});

test('data dependencies are refused with a clear reason', () => {
  const spec = parse('data_layer = true\n[[task]]\ncommand = ["x"]\n');
  assert.equal(spec.dataLayer, true);
  expectUserError(() => parse('[[task]]\ncommand = ["x"]\ndata_deps = [{ task_id = 1, output_id = 0 }]\n'), 'data_deps', /data_layer = true/);
  expectUserError(
    () => parse('data_layer = true\n[[task]]\nid = 2\ncommand = ["x"]\ndata_deps = [{ task_id = 1, output_id = 7 }]\n[[task]]\nid = 1\ncommand = ["y"]\n'),
    'data_deps',
    /not supported: this hq has no data layer/,
  );
});

test('a TOML syntax error names the line', () => {
  expectUserError(() => parse('name = "x"\n[[task]]\ncommand = ["a",\nid = 1\n'), 'line 4', /job\.toml.*not valid TOML/);
  expectUserError(() => parse('name = "x"\nname = "y"\n[[task]]\ncommand = ["a"]\n'), 'line 2');
});

test('unknown keys are refused naming the key and its table', () => {
  expectUserError(() => parse('nmae = "x"\n[[task]]\ncommand = ["a"]\n'), "'nmae'", /top level/);
  expectUserError(() => parse('[[task]]\ncommand = ["a"]\nsome_unknown_field_xxx = "123"\n'), "'some_unknown_field_xxx'", /\[\[task\]\] #1/);
  expectUserError(
    () => parse('[[task]]\nid = 7\ncommand = ["a"]\n[[task.request]]\ncpus = 2\n'),
    "'cpus'",
    /\[\[task\]\] #1 \(id 7\) \[\[task\.request\]\] #1/,
  );
  expectUserError(() => parse('[[task]]\ncommand = ["a"]\nstdout = { path = "x", mode = "rm-if-finished" }\n'), "'mode'", /stdout/);
  expectUserError(() => parse('stream_log = "x"\n[[task]]\ncommand = ["a"]\n'), "'stream_log'", /'stream'/);
});

test('duplicate task ids are refused', () => {
  expectUserError(
    () => parse('[[task]]\nid = 3\ncommand = ["a"]\n[[task]]\nid = 3\ncommand = ["b"]\n'),
    'task id 3',
    /\[\[task\]\] #2.*already used by \[\[task\]\] #1/,
  );
});

test('dependencies on unknown ids, on itself and in cycles are refused', () => {
  expectUserError(() => parse('[[task]]\nid = 1\ncommand = ["a"]\ndeps = [8]\n'), 'task 8', /not defined/);
  expectUserError(() => parse('[[task]]\nid = 1\ncommand = ["a"]\ndeps = [1]\n'), 'task 1', /itself/);
  expectUserError(
    () =>
      parse(`
[[task]]
id = 0
command = ["a"]
[[task]]
id = 1
command = ["a"]
deps = [3, 0]
[[task]]
id = 2
command = ["a"]
deps = [1]
[[task]]
id = 3
command = ["a"]
deps = [2]
[[task]]
id = 4
command = ["a"]
deps = [3]
`),
    'dependency cycle',
    /task [123] is part of a dependency cycle \(([123]) -> [123] -> [123] -> \1\)/,
  );
});

test('bad values are refused naming the key and the value', () => {
  const task = (body: string) => () => parse(`[[task]]\ncommand = ["a"]\n${body}\n`);
  expectUserError(task('time_limit = "10 parsecs"'), "'10 parsecs'", /time_limit/);
  expectUserError(task('time_limit = 10'), 'time_limit', /duration string/);
  expectUserError(task('[[task.request]]\ntime_request = "soon"'), "'soon'", /time_request/);
  expectUserError(task('[[task.request]]\nresources = { cpus = "4 compat" }'), "'4 compat'", /resources\.cpus/);
  expectUserError(task('[[task.request]]\nresources = { gpus = 0 }'), 'resources.gpus 0', /out of range/);
  expectUserError(task('[[task.request]]\nresources = { mem = -0.5 }'), 'resources.mem -0.5');
  expectUserError(task('[[task.request]]\nresources = { mem = "0" }'), "'0'", /zero/);
  expectUserError(task('[[task.request]]\nresources = { "1gpu" = 1 }'), "'1gpu'");
  expectUserError(task('[[task.request]]\nresources = { gpus = true }'), 'resources.gpus', /true/);
  expectUserError(task('[[task.request]]\nn_nodes = 2\nresources = { gpus = 1 }'), 'n_nodes = 2', /gpus/);
  expectUserError(task('pin = "yes"'), "pin 'yes'");
  expectUserError(task('crash_limit = "often"'), "crash_limit 'often'");
  expectUserError(task('priority = 1.5'), 'priority', /1\.5/);
  expectUserError(task('priority = 9999999999'), 'priority 9999999999', /out of range/);
  expectUserError(task('id = -1'), 'id -1');
  expectUserError(task('env = { A = 1 }'), 'env value of A', /1/);
  expectUserError(task('task_dir = "yes"'), 'task_dir', /'yes'/);
  expectUserError(task('stdout = "%{NOPE}"'), '%{NOPE}');
  expectUserError(task('stderr = { on_close = "rm-if-finished" }'), 'path is required');
  expectUserError(task('stderr = { path = "x", on_close = "later" }'), "on_close 'later'");
  expectUserError(() => parse('max_fails = -2\n[[task]]\ncommand = ["a"]\n'), 'max_fails -2');
  expectUserError(() => parse('[[task]]\nid = 1\n'), 'command is required');
  expectUserError(() => parse('[[task]]\ncommand = []\n'), 'command must not be empty');
  expectUserError(() => parse('[[task]]\ncommand = "sleep 1"\n'), "'sleep 1'");
  expectUserError(() => parse('name = "x"\n'), 'no tasks defined');
  expectUserError(() => parse('[task]\ncommand = ["a"]\n'), '[[task]] tables');
});

test('readJobFile reads a file and names it in errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-jobfile-'));
  try {
    const file = path.join(dir, 'job.toml');
    fs.writeFileSync(file, '[[task]]\ncommand = ["true"]\n');
    assert.deepEqual(readJobFile(file).tasks[0]!.program.args, ['true']);
    fs.writeFileSync(file, '[[task]]\ncommand = ["true"]\npin = 1\n');
    expectUserError(() => readJobFile(file), file, /pin/);
    expectUserError(() => readJobFile(path.join(dir, 'missing.toml')), 'missing.toml', /ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
