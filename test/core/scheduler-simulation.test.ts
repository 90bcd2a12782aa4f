import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceVariant } from '../../src/core/resources.js';
import { FailReason, TaskEvent } from '../../src/core/scheduler.js';
import { TaskState, isTerminal } from '../../src/core/task-state.js';
import { Prng } from './prng.js';
import { SchedulerHarness, variant } from './scheduler-harness.js';
import { SimWorker, type Report } from './sim-worker.js';

// Requests as variant lists; the multi-node one takes two workers, the last fits no worker.
const REQUESTS: ResourceVariant[][] = [
  [variant({ cpus: 0.5 })],
  [variant({ cpus: 1 })],
  [variant({ cpus: 2 }, 'compact!')],
  [variant({ cpus: 3 }, 'scatter')],
  [variant({ cpus: 2 }, 'tight')],
  [variant({ cpus: 1, gpus: 1 })],
  [variant({ cpus: 2, gpus: 0.5 })],
  [variant({ cpus: 1, gpus: 1 }), variant({ cpus: 4 })],
  [{ nodes: 2, entries: [] }],
  [variant({ cpus: 64 })],
];
const MULTI_NODE = REQUESTS.length - 2;
const IMPOSSIBLE = REQUESTS.length - 1;
// [cpus, cpu groups]
const WORKER_CPUS: Array<[number, number]> = [[1, 1], [2, 1], [4, 2], [8, 2]];
const WORKER_GPUS = [0, 0, 1, 2];
const PREFETCH = [0, 1, 2, 4];
const MIN_CPUS = 0.5;

interface Totals {
  staleReports: number;
  crashLimitFailures: number;
  returned: number;
  canceled: number;
  dependencyCanceled: number;
  steals: number;
  /** Rows a steal actually moved (returned by the victim). */
  stolen: number;
  multiNode: number;
  tasks: number;
}

const zeroTotals = (): Totals => ({ staleReports: 0, crashLimitFailures: 0, returned: 0, canceled: 0, dependencyCanceled: 0, steals: 0, stolen: 0, multiNode: 0, tasks: 0 });

/**
 * Workers, scheduler and message channels (FIFO per direction per worker)
 * driven by random steps. Reports of removed workers arrive late, like
 * messages still in flight when a connection drops.
 */
class Simulation {
  readonly h = new SchedulerHarness();
  readonly prng: Prng;
  readonly workers = new Map<number, SimWorker>();
  private readonly prefetchOf = new Map<number, number>();
  private readonly cpusOf = new Map<number, number>();
  private readonly groupOf = new Map<number, string>();
  private readonly endOf = new Map<number, number>();
  /** Reports of removed workers still in flight, with the worker they came from. */
  readonly late: Array<[Report, number]> = [];
  readonly jobs: number[] = [];
  readonly impossibleRows = new Set<number>();
  readonly timeRequestOfJob = new Map<number, number>();
  readonly depsOf = new Map<number, number[]>();
  /** Worker -> multi-node row it is reserved for, as the scheduler decided. */
  readonly reservedBy = new Map<number, number>();
  readonly requestIds: number[];
  readonly totals = zeroTotals();
  private nextWorker = 1;
  private nextJob = 1;
  /** Off: no new jobs, so queues drain and idle workers steal. */
  submitting = true;
  now = 1;

  constructor(seed: number) {
    this.prng = new Prng(seed);
    this.requestIds = REQUESTS.map((variants) => this.h.requests.add(variants));
    const { sink, table } = this.h;
    sink.onAssign = (workerId, rows) => {
      const worker = this.workers.get(workerId)!;
      assert.ok(!this.reservedBy.has(workerId), `worker ${workerId} got tasks while reserved for a multi-node task`);
      for (const row of rows) {
        assert.ok(!this.impossibleRows.has(row), `row ${row} fits no worker but was assigned`);
        const timeRequest = this.timeRequestOfJob.get(table.job(row))!;
        const end = this.endOf.get(workerId)!;
        assert.ok(end === 0 || timeRequest === 0 || end - this.now >= timeRequest, `row ${row} needs ${timeRequest} ms, worker ${workerId} has ${end - this.now}`);
      }
      worker.inbox.push({ type: 'assign', rows, instances: rows.map((row) => table.instance(row)), variants: rows.map((row) => table.variant(row)) });
    };
    sink.onMultiNode = (row, workerIds) => {
      this.totals.multiNode++;
      const group = this.groupOf.get(workerIds[0]);
      workerIds.forEach((id, i) => {
        assert.equal(this.groupOf.get(id), group, 'multi-node workers of different groups');
        assert.ok(!this.reservedBy.has(id));
        assert.deepEqual(this.h.scheduler.workerLoad(id), i === 0 ? { assigned: 1, running: 0 } : { assigned: 0, running: 0 });
        this.reservedBy.set(id, row);
      });
      this.workers.get(workerIds[0])!.inbox.push({ type: 'assignMultiNode', row, instance: table.instance(row), nodes: workerIds.length });
    };
    sink.onEvent = (event) => {
      if (event.kind !== TaskEvent.Assigned && event.kind !== TaskEvent.Started) {
        for (const [worker, row] of this.reservedBy) if (row === event.row) this.reservedBy.delete(worker);
      }
      if (event.kind === TaskEvent.Started) {
        for (const dep of this.depsOf.get(event.row) ?? []) assert.equal(table.state(dep), TaskState.Finished, `row ${event.row} started before row ${dep} finished`);
      }
    };
    sink.onCancel = (workerId, rows) => this.workers.get(workerId)?.inbox.push({ type: 'cancel', rows });
    sink.onSteal = (workerId, rows) => {
      this.totals.steals += rows.length;
      this.workers.get(workerId)!.inbox.push({ type: 'steal', rows });
    };
  }

  variantsOf = (row: number) => this.h.requests.variants(this.h.table.request(row));

  addWorker(
    [cpus, cpuGroups] = this.prng.pick(WORKER_CPUS),
    gpus = this.prng.pick(WORKER_GPUS),
    prefetch = this.prng.pick(PREFETCH),
    group = this.prng.pick(['a', 'b']),
    endTimeMs = this.prng.chance(0.3) ? this.now + 200 + this.prng.int(3000) : 0,
  ): void {
    const id = this.nextWorker++;
    this.h.workerWith(id, { cpus, cpuGroups, gpus, prefetch, group, endTimeMs });
    this.workers.set(id, new SimWorker(id, SchedulerHarness.resources(cpus, gpus, cpuGroups), this.h.registry, this.variantsOf, this.h.table));
    this.prefetchOf.set(id, prefetch);
    this.cpusOf.set(id, cpus);
    this.groupOf.set(id, group);
    this.endOf.set(id, endTimeMs);
  }

  removeWorker(): void {
    const worker = this.prng.pick([...this.workers.values()]);
    this.workers.delete(worker.id);
    for (const report of worker.outbox) this.late.push([report, worker.id]);
    this.h.scheduler.removeWorker(worker.id, this.prng.chance(0.6), this.now);
    this.reservedBy.delete(worker.id);
  }

  submitJob(): void {
    const p = this.prng;
    const id = this.nextJob++;
    const which = p.chance(0.04) ? IMPOSSIBLE : p.chance(0.04) ? MULTI_NODE : p.int(MULTI_NODE);
    const count = which === MULTI_NODE ? 1 + p.int(3) : 1 + p.int(40);
    const priority = p.int(5) - 2;
    const timeRequestMs = p.chance(0.2) ? 100 + p.int(1000) : 0;
    const request = timeRequestMs > 0 ? this.h.requests.add(REQUESTS[which], timeRequestMs) : this.requestIds[which];
    this.h.scheduler.addJob(id, { priority, request, crashLimit: p.int(3) });
    this.timeRequestOfJob.set(id, timeRequestMs);
    const table = this.h.table;
    const { start } = table.allocate(count);
    table.fillJob(start, count, id, null, priority, request);
    let deps: { offsets: Uint32Array; rows: Uint32Array } | undefined;
    if (p.chance(0.3)) {
      // Each task waits for up to two earlier tasks (any job) or lower tasks of this submit.
      const offsets = new Uint32Array(count + 1);
      const rows: number[] = [];
      for (let i = 0; i < count; i++) {
        const mine: number[] = [];
        for (let k = p.int(3); k > 0; k--) {
          const dep = p.chance(0.5) && i > 0 ? start + p.int(i) : p.int(start + i);
          if (dep !== start + i) mine.push(dep);
        }
        if (mine.length > 0) this.depsOf.set(start + i, mine);
        rows.push(...mine);
        offsets[i + 1] = rows.length;
      }
      deps = { offsets, rows: Uint32Array.from(rows) };
    }
    this.h.scheduler.submit(id, start, count, deps);
    if (which === IMPOSSIBLE) for (let row = start; row < start + count; row++) this.impossibleRows.add(row);
    this.jobs.push(id);
    this.totals.tasks += count;
  }

  deliver(report: Report, from: number): void {
    const s = this.h.scheduler;
    if (report.type === 'stealResult') {
      this.totals.stolen += report.returned.length;
      s.stealResult(from, Uint32Array.from(report.returned), Uint32Array.from(report.started));
      return;
    }
    const applied =
      report.type === 'started'
        ? s.taskStarted(report.row, report.instance, this.now)
        : report.type === 'finished'
          ? s.taskFinished(report.row, report.instance, this.now)
          : s.taskFailed(report.row, report.instance, this.now);
    if (!applied) this.totals.staleReports++;
  }

  randomStep(): void {
    const p = this.prng;
    const workers = [...this.workers.values()];
    const roll = p.next();
    this.now++;
    if (roll < 0.2) {
      const busy = workers.filter((w) => w.inbox.length > 0);
      if (busy.length > 0) p.pick(busy).receive();
    } else if (roll < 0.45) {
      const talking = workers.filter((w) => w.outbox.length > 0);
      if (this.late.length > 0 && p.chance(0.2)) this.deliver(...this.late.splice(p.int(this.late.length), 1)[0]);
      else if (talking.length > 0) {
        const worker = p.pick(talking);
        this.deliver(worker.outbox.shift()!, worker.id);
      }
    } else if (roll < 0.65) {
      if (workers.length > 0) p.pick(workers).endOne(p, 0.15);
    } else if (roll < 0.8) {
      this.h.scheduler.schedule(this.now);
    } else if (roll < 0.86) {
      if (this.submitting) this.submitJob();
      else this.h.scheduler.schedule(this.now);
    } else if (roll < 0.89) {
      if (this.workers.size < 8) this.addWorker();
    } else if (roll < 0.92) {
      if (this.workers.size > 1) this.removeWorker();
    } else if (roll < 0.94) {
      if (this.jobs.length > 0) this.h.scheduler.cancelJob(p.pick(this.jobs), this.now);
    } else if (roll < 0.96) {
      const length = this.h.table.length;
      if (length > 0) this.h.scheduler.cancelTasks(Uint32Array.from({ length: 1 + p.int(3) }, () => p.int(length)), this.now);
    } else {
      this.h.scheduler.schedule(this.now);
    }
    this.checkBounds();
  }

  /**
   * A worker never holds more than it can run at once plus its prefetch,
   * besides queued tasks asked back (when higher-priority tasks went ahead).
   */
  checkBounds(): void {
    for (const worker of this.workers.values()) {
      const load = this.h.scheduler.workerLoad(worker.id);
      const returning = this.h.scheduler.workerReturning(worker.id);
      const parallel = Math.floor(this.cpusOf.get(worker.id)! / MIN_CPUS);
      assert.ok(load.assigned + load.running - returning <= parallel + this.prefetchOf.get(worker.id)!, `worker ${worker.id} holds too much`);
    }
  }

  /** Lets everything run out: no more churn, two workers without time limit that fit every possible request. */
  finish(): void {
    for (const row of this.impossibleRows) {
      if (this.h.table.state(row) === TaskState.Waiting) this.h.scheduler.cancelTasks(Uint32Array.of(row), this.now);
    }
    this.addWorker([8, 2], 2, 1, 'a', 0);
    this.addWorker([8, 2], 2, 1, 'a', 0);
    for (let round = 0; round < 100_000; round++) {
      this.now++;
      for (const [report, from] of this.late.splice(0)) this.deliver(report, from);
      for (const worker of this.workers.values()) {
        while (worker.inbox.length > 0) worker.receive();
        for (const report of worker.outbox.splice(0)) this.deliver(report, worker.id);
        worker.endOne(this.prng, 0.15);
      }
      this.h.scheduler.schedule(this.now);
      const s = this.h.scheduler;
      if ([...this.workers.values()].every((w) => w.isIdle && w.outbox.length === 0) && s.waitingCount() === 0 && s.blockedCount() === 0) return;
    }
    assert.fail('the simulation did not drain');
  }

  checkEnd(): void {
    const { table, sink, scheduler } = this.h;
    assert.equal(scheduler.waitingCount(), 0);
    assert.equal(scheduler.blockedCount(), 0);
    for (let row = 0; row < table.length; row++) {
      const state = table.state(row);
      assert.ok(isTerminal(state), `row ${row} ended in state ${state}`);
      assert.equal(sink.terminalEvents.get(row), 1, `row ${row} ended ${sink.terminalEvents.get(row)} times`);
      assert.equal(sink.lastState.get(row), state);
      if (state === TaskState.Finished) for (const dep of this.depsOf.get(row) ?? []) assert.equal(table.state(dep), TaskState.Finished);
    }
    for (const worker of this.workers.values()) {
      assert.deepEqual(scheduler.workerLoad(worker.id), { assigned: 0, running: 0 });
      assert.equal(worker.allocator.isIdle(), true);
    }
    assert.equal(this.reservedBy.size, 0);
    for (const event of sink.events) {
      if (event.kind === TaskEvent.Returned) this.totals.returned++;
      if (event.kind === TaskEvent.Canceled) this.totals.canceled++;
      if (event.kind === TaskEvent.Canceled && event.reason === FailReason.DependencyFailed) {
        this.totals.dependencyCanceled++;
        const deps = this.depsOf.get(event.row) ?? [];
        assert.ok(deps.some((dep) => table.state(dep) === TaskState.Failed || table.state(dep) === TaskState.Canceled), `row ${event.row} canceled for no failed dependency`);
      }
      if (event.kind === TaskEvent.Failed && event.reason === FailReason.CrashLimit) {
        this.totals.crashLimitFailures++;
        assert.ok(table.crashCount(event.row) > 0);
      }
    }
  }
}

test('random clusters never over-commit and end every task exactly once', () => {
  const totals = zeroTotals();
  for (let seed = 1; seed <= 12; seed++) {
    const sim = new Simulation(seed);
    for (let i = 0; i < 3; i++) sim.addWorker();
    for (let i = 0; i < 3; i++) sim.submitJob();
    for (let step = 0; step < 6000; step++) sim.randomStep();
    // No more jobs and two fresh workers: they steal what is queued elsewhere.
    sim.submitting = false;
    sim.addWorker([8, 2], 2, 0);
    sim.addWorker([4, 2], 1, 1);
    for (let step = 0; step < 1500; step++) sim.randomStep();
    sim.finish();
    sim.checkEnd();
    for (const key of Object.keys(totals) as Array<keyof Totals>) totals[key] += sim.totals[key];
  }
  if (process.env.SIM_TOTALS) console.log(totals);
  // The runs exercised the interesting paths.
  assert.ok(totals.tasks > 1000, `only ${totals.tasks} tasks`);
  for (const key of ['staleReports', 'crashLimitFailures', 'returned', 'canceled', 'dependencyCanceled', 'steals', 'stolen', 'multiNode'] as const) {
    assert.ok(totals[key] > 0, `no ${key}`);
  }
});

test('random clusters draining a fixed set of jobs: idle and new workers steal queued tasks', () => {
  const totals = zeroTotals();
  for (let seed = 101; seed <= 124; seed++) {
    const sim = new Simulation(seed);
    sim.submitting = false;
    for (let i = 0; i < 2; i++) sim.addWorker([2, 1], 0, 4, 'a', 0);
    for (let i = 0; i < 4; i++) sim.submitJob();
    for (let step = 0; step < 3000; step++) sim.randomStep();
    sim.finish();
    sim.checkEnd();
    for (const key of Object.keys(totals) as Array<keyof Totals>) totals[key] += sim.totals[key];
  }
  if (process.env.SIM_TOTALS) console.log(totals);
  assert.ok(totals.stolen > 10, `only ${totals.stolen} tasks stolen`);
  assert.ok(totals.multiNode > 0 && totals.returned > 0);
});
