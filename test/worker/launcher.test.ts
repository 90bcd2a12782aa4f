// The task launchers (native hq-launcher and the Node fallback) through
// their common interface: templates, classes, lanes, environment layers,
// output modes, queueing, dropping, and how task ends are reported.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  OUTPUT_FILE,
  OUTPUT_NULL,
  OUTPUT_PIPE,
  OUTPUT_SAME,
  nativeLauncherPath,
  type LaunchTemplate,
  type Launcher,
  type LauncherEvents,
  type TaskEnd,
} from '../../src/worker/launcher.js';
import { NativeLauncher } from '../../src/worker/native-launcher.js';
import { NodeLauncher } from '../../src/worker/node-launcher.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-launcher-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Ended {
  end: TaskEnd;
  micros: number;
}

/** Records what a launcher reports and lets a test wait for task ends. */
class Recorder implements LauncherEvents {
  readonly pids = new Map<number, number>();
  readonly ends = new Map<number, Ended>();
  readonly chunks = new Map<number, Buffer[]>();
  /** Task ids in the order their ends were reported. */
  readonly endOrder: number[] = [];
  /** Kinds of events in arrival order, per task ("started", "output", "ended"). */
  readonly timeline = new Map<number, string[]>();
  readonly closedLanes: number[] = [];
  settledCount = 0;
  lostReason: string | null = null;
  private waiters: Array<() => void> = [];

  started(task: number, pid: number): void {
    this.pids.set(task, pid);
    this.note(task, 'started');
  }

  ended(task: number, end: TaskEnd, micros: number): void {
    this.ends.set(task, { end, micros });
    this.endOrder.push(task);
    this.note(task, 'ended');
  }

  output(task: number, channel: 0 | 1, data: Uint8Array): void {
    const list = this.chunks.get(task) ?? [];
    list.push(Buffer.from(data));
    this.chunks.set(task, list);
    this.note(task, `output${channel}`);
  }

  laneClosed(lane: number): void {
    this.closedLanes.push(lane);
  }

  settled(): void {
    this.settledCount++;
    for (const w of this.waiters.splice(0)) w();
  }

  lost(reason: string): void {
    this.lostReason = reason;
  }

  text(task: number): string {
    return Buffer.concat(this.chunks.get(task) ?? []).toString();
  }

  /** Resolves once `done()` holds after some batch of events. */
  async until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async ended_(tasks: number[]): Promise<void> {
    await this.until(`tasks ${tasks.join(',')} to end`, () => tasks.every((t) => this.ends.has(t)));
  }

  private note(task: number, kind: string): void {
    const list = this.timeline.get(task) ?? [];
    list.push(kind);
    this.timeline.set(task, list);
  }
}

function template(args: string[], extra: Partial<LaunchTemplate> = {}): LaunchTemplate {
  return { args, env: [], taskKeys: ['HQ_TASK_ID'], cwd: tmp, stdin: null, stdout: OUTPUT_NULL, stderr: OUTPUT_NULL, ...extra };
}

function start(l: Launcher, task: number, tpl: number, cls: number, extra: { cwd?: string; stdout?: string; stderr?: string; env?: string[] } = {}): void {
  l.start({ task, template: tpl, cls, cwd: extra.cwd ?? null, stdout: extra.stdout ?? null, stderr: extra.stderr ?? null, env: extra.env ?? [`HQ_TASK_ID=${task}`] });
}

const kinds: Array<[string, ((events: LauncherEvents) => Launcher) | null]> = [
  ['native', nativeLauncherPath() ? (events) => new NativeLauncher(nativeLauncherPath()!, events) : null],
  ['node', (events) => new NodeLauncher(events)],
];

for (const [kind, make] of kinds) {
  describe(`${kind} launcher`, { skip: make === null ? 'hq-launcher was not built' : false }, () => {
    const open = (): [Launcher, Recorder] => {
      const rec = new Recorder();
      return [make!(rec), rec];
    };

    test('environment layers: worker < template < lane < task; removed and task keys are not inherited', async (t) => {
      process.env.HQ_LAUNCHER_TEST_KEEP = 'kept';
      process.env.HQ_LAUNCHER_TEST_GONE = 'inherited';
      process.env.HQ_TASK_ID = 'outer';
      t.after(() => {
        delete process.env.HQ_LAUNCHER_TEST_KEEP;
        delete process.env.HQ_LAUNCHER_TEST_GONE;
        delete process.env.HQ_TASK_ID;
      });
      const [l, rec] = open();
      t.after(() => l.close());
      const out = path.join(tmp, `${kind}-env`);
      const show = 'echo "$HQ_LAUNCHER_TEST_KEEP|${HQ_LAUNCHER_TEST_GONE-unset}|$LAYER|$FROM_LANE|${HQ_TASK_ID-unset}"';
      l.defineTemplate(1, template(['sh', '-c', show], { env: ['LAYER=template', 'FROM_LANE=template', 'HQ_LAUNCHER_TEST_GONE'], stdout: OUTPUT_FILE }));
      l.defineClass(1, 0, false);
      l.openLane(1, { cls: 1, env: ['FROM_LANE=lane'], argsPrefix: [], once: false });
      start(l, 1, 1, 1, { stdout: `${out}-1` });
      start(l, 2, 1, 1, { stdout: `${out}-2`, env: [] });
      await rec.ended_([1, 2]);
      assert.deepEqual(rec.ends.get(1)!.end, { how: 'exited', code: 0 });
      assert.equal(fs.readFileSync(`${out}-1`, 'utf8'), 'kept|unset|template|lane|1\n');
      // A task that does not set one of its keys does not see the worker's value either.
      assert.equal(fs.readFileSync(`${out}-2`, 'utf8'), 'kept|unset|template|lane|unset\n');
    });

    test('exit codes, signals and programs that cannot start are told apart', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      l.defineTemplate(1, template(['sh', '-c', 'exit 3']));
      l.defineTemplate(2, template(['sh', '-c', 'kill -TERM $$']));
      l.defineTemplate(3, template([path.join(tmp, 'no-such-program')]));
      l.defineTemplate(4, template(['true']));
      l.defineClass(1, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: [], once: false });
      for (let i = 1; i <= 4; i++) start(l, i, i, 1);
      start(l, 5, 4, 1, { cwd: path.join(tmp, 'no-such-dir') });
      await rec.ended_([1, 2, 3, 4, 5]);
      assert.deepEqual(rec.ends.get(1)!.end, { how: 'exited', code: 3 });
      assert.deepEqual(rec.ends.get(2)!.end, { how: 'signaled', signal: 'SIGTERM' });
      assert.deepEqual(rec.ends.get(3)!.end, { how: 'error', error: 'No such file or directory' });
      assert.deepEqual(rec.ends.get(4)!.end, { how: 'exited', code: 0 });
      assert.deepEqual(rec.ends.get(5)!.end, { how: 'error', error: 'No such file or directory' });
      assert.equal(rec.pids.has(3), false, 'a program that did not start has no pid');
      assert.ok(rec.ends.get(4)!.micros > 0, 'run time is measured');
    });

    test('output to files per task, one shared file, nowhere, and through pipes', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      const both = ['sh', '-c', 'echo "out $HQ_TASK_ID"; echo "err $HQ_TASK_ID" >&2'];
      l.defineTemplate(1, template(both, { stdout: OUTPUT_FILE, stderr: OUTPUT_FILE }));
      l.defineTemplate(2, template(both, { stdout: OUTPUT_FILE, stderr: OUTPUT_SAME }));
      l.defineTemplate(3, template(both, { stdout: OUTPUT_PIPE, stderr: OUTPUT_PIPE }));
      l.defineTemplate(4, template(both, { stdout: OUTPUT_PIPE, stderr: OUTPUT_NULL }));
      l.defineClass(1, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: [], once: false });
      l.openLane(2, { cls: 1, env: [], argsPrefix: [], once: false });
      const file = (name: string) => path.join(tmp, `${kind}-${name}`);
      start(l, 1, 1, 1, { stdout: file('1.out'), stderr: file('1.err') });
      start(l, 2, 2, 1, { stdout: file('2.both') });
      start(l, 3, 3, 1);
      start(l, 4, 4, 1);
      await rec.ended_([1, 2, 3, 4]);
      assert.equal(fs.readFileSync(file('1.out'), 'utf8'), 'out 1\n');
      assert.equal(fs.readFileSync(file('1.err'), 'utf8'), 'err 1\n');
      assert.equal(fs.readFileSync(file('2.both'), 'utf8'), 'out 2\nerr 2\n');
      const channels = (task: number) => rec.timeline.get(task)!.filter((k) => k.startsWith('output')).sort();
      assert.deepEqual(channels(3), ['output0', 'output1']);
      assert.deepEqual(channels(4), ['output0']);
      assert.equal(rec.text(4), 'out 4\n');
      // All output comes before the end.
      for (const task of [3, 4]) assert.equal(rec.timeline.get(task)!.at(-1), 'ended');
    });

    test('piped output far larger than a pipe buffer arrives whole and in order', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      l.defineTemplate(1, template(['sh', '-c', 'seq 1 200000'], { stdout: OUTPUT_PIPE, stderr: OUTPUT_PIPE }));
      l.defineClass(1, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: [], once: false });
      start(l, 1, 1, 1);
      await rec.ended_([1]);
      const expected = Array.from({ length: 200_000 }, (_, i) => `${i + 1}\n`).join('');
      assert.equal(rec.text(1), expected);
    });

    test('a lane runs one task at a time with its own environment; a class queue feeds all its lanes', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      const dir = fs.mkdtempSync(path.join(tmp, `${kind}-lanes-`));
      // Fails when another task holds the same lane's marker: lanes must never overlap.
      const script = 'mkdir "busy-$LANE" || exit 7; echo "$HQ_TASK_ID" >> "ran-$LANE"; sleep 0.02; rmdir "busy-$LANE"';
      l.defineTemplate(1, template(['sh', '-c', script], { cwd: dir }));
      l.defineClass(1, 0, false);
      l.openLane(1, { cls: 1, env: ['LANE=a'], argsPrefix: [], once: false });
      l.openLane(2, { cls: 1, env: ['LANE=b'], argsPrefix: [], once: false });
      const tasks = Array.from({ length: 20 }, (_, i) => i + 1);
      for (const task of tasks) start(l, task, 1, 1);
      await rec.ended_(tasks);
      for (const task of tasks) assert.deepEqual(rec.ends.get(task)!.end, { how: 'exited', code: 0 }, `task ${task}`);
      const ran = ['a', 'b'].map((lane) => fs.readFileSync(path.join(dir, `ran-${lane}`), 'utf8').trim().split('\n').map(Number));
      assert.ok(ran[0]!.length > 0 && ran[1]!.length > 0, 'both lanes ran tasks');
      assert.deepEqual([...ran[0]!, ...ran[1]!].sort((a, b) => a - b), tasks);
      // Each lane took its tasks in the order they were queued.
      for (const list of ran) assert.deepEqual(list, [...list].sort((a, b) => a - b));
    });

    test('an argv prefix from the lane goes before the command', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      const out = path.join(tmp, `${kind}-prefix`);
      l.defineTemplate(1, template(['echo', 'from', 'task'], { stdout: OUTPUT_FILE }));
      l.defineClass(1, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: ['env', 'PREFIXED=1'], once: false });
      start(l, 1, 1, 1, { stdout: out });
      await rec.ended_([1]);
      assert.equal(fs.readFileSync(out, 'utf8'), 'from task\n');
      l.defineTemplate(2, template(['sh', '-c', 'echo $PREFIXED'], { stdout: OUTPUT_FILE }));
      start(l, 2, 2, 1, { stdout: `${out}-2` });
      await rec.ended_([2]);
      assert.equal(fs.readFileSync(`${out}-2`, 'utf8'), '1\n');
    });

    test('a queued task can be dropped, a running one not; tasks wait for a lane of their class', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      const gate = path.join(tmp, `${kind}-gate`);
      l.defineTemplate(1, template(['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.02; done`]));
      l.defineClass(1, 0, false);
      l.defineClass(2, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: [], once: false });
      start(l, 1, 1, 1); // runs
      start(l, 2, 1, 1); // waits for lane 1
      start(l, 3, 1, 2); // waits: class 2 has no lane yet
      await rec.until('task 1 to start', () => rec.pids.has(1));
      l.drop(2);
      l.drop(1);
      await rec.until('task 2 to be dropped', () => rec.ends.has(2));
      assert.deepEqual(rec.ends.get(2)!.end, { how: 'dropped' });
      assert.equal(rec.pids.has(2), false);
      assert.equal(rec.ends.has(1), false, 'a running task is not dropped');
      l.openLane(2, { cls: 2, env: [], argsPrefix: [], once: false });
      await rec.until('task 3 to start on the new lane', () => rec.pids.has(3));
      fs.writeFileSync(gate, '');
      await rec.ended_([1, 3]);
      assert.deepEqual(rec.ends.get(1)!.end, { how: 'exited', code: 0 });
    });

    test('a forgotten template: a task of it still queued ends with an error, the lane goes on with the next template', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      const gate = path.join(tmp, `${kind}-forget-gate`);
      const out = path.join(tmp, `${kind}-forget`);
      l.defineTemplate(1, template(['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.02; done; echo one`], { stdout: OUTPUT_FILE }));
      l.defineClass(1, 0, false);
      l.defineClass(2, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: [], once: false });
      l.openLane(2, { cls: 2, env: [], argsPrefix: [], once: false });
      start(l, 1, 1, 1, { stdout: `${out}-1` }); // runs
      start(l, 2, 1, 1, { stdout: `${out}-2` }); // waits for the lane
      await rec.until('task 1 to start', () => rec.pids.has(1));
      l.forgetTemplate(1);
      l.defineTemplate(2, template(['sh', '-c', 'echo two'], { stdout: OUTPUT_FILE }));
      start(l, 3, 2, 1, { stdout: `${out}-3` }); // waits behind task 2
      // Requests are handled in order: once task 4 started, the template is gone.
      start(l, 4, 2, 2, { stdout: `${out}-4` });
      await rec.until('task 4 to start', () => rec.pids.has(4));
      fs.writeFileSync(gate, '');
      await rec.ended_([1, 2, 3, 4]);
      // The running task was not touched; the waiting one did not run as anything.
      assert.deepEqual(rec.ends.get(1)!.end, { how: 'exited', code: 0 });
      assert.equal(fs.readFileSync(`${out}-1`, 'utf8'), 'one\n');
      assert.deepEqual(rec.ends.get(2)!.end, { how: 'error', error: 'No such file or directory' });
      assert.equal(rec.pids.has(2), false);
      assert.equal(fs.existsSync(`${out}-2`), false);
      assert.deepEqual(rec.ends.get(3)!.end, { how: 'exited', code: 0 });
      assert.equal(fs.readFileSync(`${out}-3`, 'utf8'), 'two\n');
      assert.equal(rec.lostReason, null);
    });

    test('idle lanes close on request; a one-task lane closes after its task', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      l.defineTemplate(1, template(['true']));
      l.defineClass(1, 0, false);
      l.defineClass(2, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: [], once: false });
      l.openLane(2, { cls: 1, env: [], argsPrefix: [], once: false });
      l.openLane(3, { cls: 2, env: [], argsPrefix: [], once: true });
      start(l, 1, 1, 2);
      await rec.ended_([1]);
      await rec.until('the one-task lane to close', () => rec.closedLanes.includes(3));
      l.closeIdleLanes(1, 5);
      await rec.until('idle lanes to close', () => rec.closedLanes.length === 3);
      assert.deepEqual([...rec.closedLanes].sort(), [1, 2, 3]);
    });

    test('ends are reported in batches, not one message per task', async (t) => {
      const [l, rec] = open();
      t.after(() => l.close());
      l.defineTemplate(1, template(['true']));
      l.defineClass(1, 0, false);
      l.openLane(1, { cls: 1, env: [], argsPrefix: [], once: false });
      const tasks = Array.from({ length: 300 }, (_, i) => i + 1);
      const before = rec.settledCount;
      for (const task of tasks) start(l, task, 1, 1);
      await rec.ended_(tasks);
      assert.deepEqual(rec.endOrder, tasks, 'one lane runs its class queue in order');
      if (kind === 'native') assert.ok(rec.settledCount - before < tasks.length / 3, `${rec.settledCount - before} batches for ${tasks.length} tasks`);
    });
  });
}
