// How the worker hands its queue to a launcher (TaskRunner), seen through a
// scripted launcher: lanes and their allocations, queue order, giving idle
// lanes back before another request allocates, the depth of the launcher's
// queue for short tasks, prompt start reports, cancels.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ResourceAllocator } from '../../src/core/allocator.js';
import { JobCatalog } from '../../src/worker/job-catalog.js';
import { TaskQueue } from '../../src/worker/task-queue.js';
import { TaskRunner, type TaskRun } from '../../src/worker/task-runner.js';
import type { LaneSpec, LaunchTemplate, Launcher, LauncherEvents, TaskStart } from '../../src/worker/launcher.js';
import type { TaskOutcome } from '../../src/worker/task-process.js';
import { JobDefinitionT, TaskTemplateT } from '../../src/transport/generated/protocol.js';
import { programToT, rangesToT, variantsToT } from '../../src/transport/common-codec.js';
import type { ResourceVariantSpec, WorkerResource } from '../../src/client/types.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-runner-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Records requests; the test plays the launcher's side through `events`. */
class ScriptedLauncher implements Launcher {
  readonly kind = 'node' as const;
  readonly templates = new Map<number, LaunchTemplate>();
  readonly classes = new Map<number, { lowWater: number; prompt: boolean }>();
  readonly lanes = new Map<number, LaneSpec>();
  readonly starts: TaskStart[] = [];
  readonly drops: number[] = [];
  readonly closeRequests: Array<[cls: number, count: number]> = [];
  constructor(readonly events: LauncherEvents) {}
  defineTemplate(id: number, t: LaunchTemplate): void {
    this.templates.set(id, t);
  }
  defineClass(id: number, lowWater: number, prompt: boolean): void {
    this.classes.set(id, { lowWater, prompt });
  }
  openLane(id: number, lane: LaneSpec): void {
    this.lanes.set(id, lane);
  }
  closeIdleLanes(cls: number, count: number): void {
    this.closeRequests.push([cls, count]);
  }
  start(t: TaskStart): void {
    this.starts.push(t);
  }
  drop(task: number): void {
    this.drops.push(task);
  }
  forgetTemplate(id: number): void {
    this.templates.delete(id);
  }
  close(): void {}

  /** HQ_TASK_ID of each start, in order. */
  taskIds(): number[] {
    return this.starts.map((s) => Number(s.env.find((e) => e.startsWith('HQ_TASK_ID='))!.split('=')[1]));
  }
}

interface Harness {
  runner: TaskRunner;
  launcher: ScriptedLauncher;
  queue: TaskQueue;
  allocator: ResourceAllocator;
  started: Array<[row: number, prompt: boolean]>;
  ended: Array<[TaskRun, TaskOutcome]>;
  /** Queues tasks (task id = row) of `job` with `variant`. */
  assign(job: number, rows: number[]): void;
}

function cpus(ids: string[][]): WorkerResource[] {
  return [{ name: 'cpus', kind: 'groups', groups: ids, sum: 0 }];
}

function harness(resources: WorkerResource[], jobs: Array<{ id: number; cpus: number; policy?: string }>): Harness {
  const allocator = new ResourceAllocator(resources);
  const catalog = new JobCatalog();
  for (const job of jobs) {
    const variant: ResourceVariantSpec = { nodes: 0, resources: [{ name: 'cpus', amount: job.cpus, policy: job.policy ?? 'compact' }] };
    const program = programToT({ args: ['true'], env: {}, cwd: tmp, stdout: '', stderr: '' });
    catalog.add(new JobDefinitionT(job.id, tmp, '', [new TaskTemplateT(rangesToT([{ start: 0, end: 1000, step: 1 }]), [], program, variantsToT([variant]), 0, false, '', 0)]));
  }
  const queue = new TaskQueue();
  const started: Array<[number, boolean]> = [];
  const ended: Array<[TaskRun, TaskOutcome]> = [];
  let launcher!: ScriptedLauncher;
  const runner = new TaskRunner(
    { allocator, catalog, queue, workDir: tmp, hostname: 'test', workerId: () => 1, serverUid: () => 'uid' },
    {
      started: (run, prompt) => started.push([run.row, prompt]),
      ended: (run, outcome) => ended.push([run, outcome]),
      rejected: () => assert.fail('no task should be rejected'),
      settled: () => {},
    },
    (events) => (launcher = new ScriptedLauncher(events)),
  );
  const assign = (job: number, rows: number[]) => {
    queue.push(Uint32Array.from(rows.flatMap((row) => [row, 0, job, row, 0])), () => 0);
    runner.startQueued();
  };
  return { runner, launcher, queue, allocator, started, ended, assign };
}

/** The launcher's side: task `id` started and ended after `micros`, then a batch ends. */
function runToEnd(h: Harness, ids: number[], micros: number): void {
  for (const id of ids) h.launcher.events.started(id, 1000 + id);
  for (const id of ids) h.launcher.events.ended(id, { how: 'exited', code: 0 }, micros);
  h.launcher.events.settled();
}

const laneCpus = (h: Harness, lane: number) => h.launcher.lanes.get(lane)!.env.find((e) => e.startsWith('HQ_CPUS='))!.slice('HQ_CPUS='.length);

test('a lane per free allocation; tasks go to the launcher in queue order while lanes are free', () => {
  const h = harness(cpus([['0', '1', '2']]), [{ id: 1, cpus: 1 }]);
  h.assign(1, [10, 11, 12, 13, 14]);
  // Nothing is known about how long they run: one task per lane, the rest waits in the worker.
  assert.equal(h.launcher.lanes.size, 3);
  assert.deepEqual(h.launcher.taskIds(), [10, 11, 12]);
  assert.deepEqual([...h.launcher.lanes.keys()].map((l) => laneCpus(h, l)).sort(), ['0', '1', '2']);
  assert.equal(h.queue.size, 2);
  // Their start is reported at once: they may run long.
  assert.deepEqual(h.started, [
    [10, true],
    [11, true],
    [12, true],
  ]);
  runToEnd(h, [h.launcher.starts[0]!.task], 5_000_000);
  assert.deepEqual(h.launcher.taskIds(), [10, 11, 12, 13], 'a freed lane takes the next task');
  assert.equal(h.ended.length, 1);
  assert.deepEqual(h.ended[0]![1], { ok: true });
});

test('short tasks fill the launcher queue to a depth and refill it at its low water mark', () => {
  const h = harness(cpus([['0', '1']]), [{ id: 1, cpus: 1 }]);
  h.assign(
    1,
    Array.from({ length: 400 }, (_, i) => i + 1),
  );
  assert.equal(h.launcher.starts.length, 2);
  // The first two end after 1 ms each: room for 16 ms of work per lane queued.
  runToEnd(h, h.launcher.starts.map((s) => s.task), 1000);
  const depth = 2 * 16;
  assert.equal(h.launcher.starts.length, 2 + 2 + depth, 'two running, the queue full');
  const cls = h.launcher.classes.get(h.launcher.starts[0]!.cls)!;
  assert.deepEqual(cls, { lowWater: depth / 2, prompt: false });
  // Starts of short tasks wait for the next batch of reports.
  assert.equal(h.started.filter(([, prompt]) => prompt).length, 2);
  // A few end: not refilled before the queue is down to the low water mark.
  const next = h.launcher.starts.slice(2, 8).map((s) => s.task);
  runToEnd(h, next, 1000);
  assert.equal(h.launcher.starts.length, 2 + 2 + depth);
  runToEnd(h, h.launcher.starts.slice(8, 8 + depth / 2 - 4).map((s) => s.task), 1000);
  assert.equal(h.launcher.starts.length, 2 + 2 + depth + depth / 2 + 2, 'refilled to the full depth');
  assert.deepEqual(h.launcher.taskIds(), Array.from({ length: h.launcher.starts.length }, (_, i) => i + 1), 'in queue order');
});

test('a request of another class gets resources as if ended tasks held none: idle lanes are closed first', () => {
  const groups = [
    ['0', '1'],
    ['2', '3'],
  ];
  const h = harness(cpus(groups), [
    { id: 1, cpus: 2, policy: 'compact!' },
    { id: 2, cpus: 2, policy: 'scatter' },
  ]);
  h.assign(1, [1]);
  assert.equal(h.launcher.lanes.size, 1);
  const compactLane = [...h.launcher.lanes.keys()][0]!;
  runToEnd(h, [h.launcher.starts[0]!.task], 1_000_000);
  h.assign(2, [2]);
  // The idle compact! lane must go before scatter allocates.
  assert.equal(h.launcher.starts.length, 1, 'waits for the lane to close');
  assert.deepEqual(h.launcher.closeRequests, [[h.launcher.starts[0]!.cls, 1]]);
  h.launcher.events.laneClosed(compactLane);
  h.launcher.events.settled();
  assert.equal(h.launcher.starts.length, 2);
  const scatterLane = [...h.launcher.lanes.entries()].find(([, spec]) => spec.cls === h.launcher.starts[1]!.cls)![0];
  const spread = laneCpus(h, scatterLane).split(',');
  assert.deepEqual(spread.map((c) => groups.findIndex((g) => g.includes(c))).sort(), [0, 1], `scatter got ${spread}`);
});

test('the head waits for room; tasks behind it of another class do not overtake it', () => {
  const h = harness(cpus([['0', '1']]), [
    { id: 1, cpus: 2 },
    { id: 2, cpus: 1 },
  ]);
  h.assign(2, [1, 2]);
  h.assign(1, [3]);
  h.assign(2, [4]);
  // Both cpus run job 2; job 1's task needs both and heads the queue (older job) with task 4 behind it.
  assert.deepEqual(h.launcher.taskIds(), [1, 2]);
  runToEnd(h, [h.launcher.starts[0]!.task], 5_000_000);
  assert.deepEqual(h.launcher.taskIds(), [1, 2], 'task 4 does not take the freed cpu');
  assert.equal(h.launcher.closeRequests.length, 1, 'the idle lane is given back');
  const [firstLane] = [...h.launcher.lanes.keys()];
  h.launcher.events.laneClosed(firstLane!);
  h.launcher.events.settled();
  runToEnd(h, [h.launcher.starts[1]!.task], 5_000_000);
  assert.equal(h.launcher.closeRequests.length, 2);
  h.launcher.events.laneClosed([...h.launcher.lanes.keys()].find((l) => l !== firstLane)!);
  h.launcher.events.settled();
  assert.deepEqual(h.launcher.taskIds(), [1, 2, 3]);
});

test('a canceled task that has not started is dropped; one that starts meanwhile is not reported', () => {
  const h = harness(cpus([['0']]), [{ id: 1, cpus: 1 }]);
  h.assign(1, [1]);
  const [first] = h.launcher.starts;
  assert.equal(h.runner.cancel(1, 0), true);
  assert.deepEqual(h.launcher.drops, [first!.task]);
  assert.equal(h.runner.cancel(1, 0), false, 'only once');
  h.launcher.events.ended(first!.task, { how: 'dropped' }, 0);
  h.launcher.events.settled();
  assert.equal(h.ended.length, 0);
  assert.equal(h.runner.active, 0);
  // The lane is free again for the next task.
  h.assign(1, [2]);
  assert.equal(h.launcher.starts.length, 2);
});
