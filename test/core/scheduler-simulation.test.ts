import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailReason, TaskEvent } from '../../src/core/scheduler.js';
import { TaskState, isTerminal } from '../../src/core/task-state.js';
import { Prng } from './prng.js';
import { SchedulerHarness } from './scheduler-harness.js';
import { SimWorker, type Report } from './sim-worker.js';

// [cpus, gpus] per request; the last one fits no worker.
const REQUESTS: Array<[number, number]> = [[0.5, 0], [1, 0], [2, 0], [3, 0], [1, 1], [2, 0.5], [64, 0]];
const IMPOSSIBLE = REQUESTS.length - 1;
const WORKER_CPUS = [1, 2, 4, 8];
const WORKER_GPUS = [0, 0, 1, 2];
const PREFETCH = [0, 1, 2, 4];
const MIN_CPUS = 0.5;

interface Totals {
  staleReports: number;
  crashLimitFailures: number;
  returned: number;
  canceled: number;
  tasks: number;
}

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
  readonly late: Report[] = [];
  readonly jobs: number[] = [];
  readonly impossibleRows = new Set<number>();
  readonly requestIds: number[];
  readonly totals: Totals = { staleReports: 0, crashLimitFailures: 0, returned: 0, canceled: 0, tasks: 0 };
  private nextWorker = 1;
  private nextJob = 1;
  now = 1;

  constructor(seed: number) {
    this.prng = new Prng(seed);
    this.requestIds = REQUESTS.map(([cpus, gpus]) => this.h.request(cpus, gpus));
    this.h.sink.onAssign = (workerId, rows) => {
      const worker = this.workers.get(workerId)!;
      for (const row of rows) assert.ok(!this.impossibleRows.has(row), `row ${row} fits no worker but was assigned`);
      worker.inbox.push({ type: 'assign', rows, instances: rows.map((row) => this.h.table.instance(row)) });
    };
    this.h.sink.onCancel = (workerId, rows) => this.workers.get(workerId)!.inbox.push({ type: 'cancel', rows });
  }

  needOf = (row: number): Float64Array => this.h.requests.get(this.h.table.request(row));

  addWorker(cpus = this.prng.pick(WORKER_CPUS), gpus = this.prng.pick(WORKER_GPUS), prefetch = this.prng.pick(PREFETCH)): void {
    const id = this.nextWorker++;
    this.h.worker(id, cpus, prefetch, gpus);
    const capacity = this.h.registry.vector(SchedulerHarness.amounts(cpus, gpus), 'test');
    this.workers.set(id, new SimWorker(id, capacity, this.needOf));
    this.prefetchOf.set(id, prefetch);
  }

  removeWorker(): void {
    const worker = this.prng.pick([...this.workers.values()]);
    this.workers.delete(worker.id);
    this.late.push(...worker.outbox);
    this.h.scheduler.removeWorker(worker.id, this.prng.chance(0.6), this.now);
  }

  submitJob(): void {
    const id = this.nextJob++;
    const which = this.prng.chance(0.05) ? IMPOSSIBLE : this.prng.int(IMPOSSIBLE);
    const count = 1 + this.prng.int(40);
    const priority = this.prng.int(5) - 2;
    const request = this.requestIds[which];
    this.h.scheduler.addJob(id, { priority, request, crashLimit: this.prng.int(3) });
    const start = this.h.more(id, count, request, priority);
    if (which === IMPOSSIBLE) for (let row = start; row < start + count; row++) this.impossibleRows.add(row);
    this.jobs.push(id);
    this.totals.tasks += count;
  }

  deliver(report: Report): void {
    const s = this.h.scheduler;
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
      if (this.late.length > 0 && p.chance(0.2)) this.deliver(this.late.splice(p.int(this.late.length), 1)[0]);
      else if (talking.length > 0) this.deliver(p.pick(talking).outbox.shift()!);
    } else if (roll < 0.65) {
      if (workers.length > 0) p.pick(workers).endOne(p, 0.15);
    } else if (roll < 0.8) {
      this.h.scheduler.schedule(this.now);
    } else if (roll < 0.86) {
      this.submitJob();
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

  /** A worker never holds more than it can run at once plus its prefetch. */
  checkBounds(): void {
    for (const worker of this.workers.values()) {
      const load = this.h.scheduler.workerLoad(worker.id);
      const parallel = Math.floor(worker.capacity[0] / (MIN_CPUS * 10_000));
      assert.ok(load.assigned + load.running <= parallel + this.prefetchOf.get(worker.id)!, `worker ${worker.id} holds too much`);
    }
  }

  /** Lets everything run out: no more churn, one worker that fits every possible request. */
  finish(): void {
    for (const row of this.impossibleRows) {
      if (this.h.table.state(row) === TaskState.Waiting) this.h.scheduler.cancelTasks(Uint32Array.of(row), this.now);
    }
    this.addWorker(8, 2, 1);
    for (let round = 0; round < 100_000; round++) {
      this.now++;
      for (const report of this.late.splice(0)) this.deliver(report);
      for (const worker of this.workers.values()) {
        while (worker.inbox.length > 0) worker.receive();
        for (const report of worker.outbox.splice(0)) this.deliver(report);
        worker.endOne(this.prng, 0.15);
      }
      this.h.scheduler.schedule(this.now);
      if ([...this.workers.values()].every((w) => w.isIdle && w.outbox.length === 0) && this.h.scheduler.waitingCount() === 0) return;
    }
    assert.fail('the simulation did not drain');
  }

  checkEnd(): void {
    const { table, sink, scheduler } = this.h;
    assert.equal(scheduler.waitingCount(), 0);
    for (let row = 0; row < table.length; row++) {
      const state = table.state(row);
      assert.ok(isTerminal(state), `row ${row} ended in state ${state}`);
      assert.equal(sink.terminalEvents.get(row), 1, `row ${row} ended ${sink.terminalEvents.get(row)} times`);
      assert.equal(sink.lastState.get(row), state);
    }
    for (const worker of this.workers.values()) {
      assert.deepEqual(scheduler.workerLoad(worker.id), { assigned: 0, running: 0 });
      assert.deepEqual([...worker.free], [...worker.capacity]);
    }
    for (const event of sink.events) {
      if (event.kind === TaskEvent.Returned) this.totals.returned++;
      if (event.kind === TaskEvent.Canceled) this.totals.canceled++;
      if (event.kind === TaskEvent.Failed && event.reason === FailReason.CrashLimit) {
        this.totals.crashLimitFailures++;
        assert.ok(table.crashCount(event.row) > 0);
      }
    }
  }
}

test('random clusters never over-commit and end every task exactly once', () => {
  const totals: Totals = { staleReports: 0, crashLimitFailures: 0, returned: 0, canceled: 0, tasks: 0 };
  for (let seed = 1; seed <= 12; seed++) {
    const sim = new Simulation(seed);
    for (let i = 0; i < 3; i++) sim.addWorker();
    for (let i = 0; i < 3; i++) sim.submitJob();
    for (let step = 0; step < 6000; step++) sim.randomStep();
    sim.finish();
    sim.checkEnd();
    for (const key of Object.keys(totals) as Array<keyof Totals>) totals[key] += sim.totals[key];
  }
  // The runs exercised the interesting paths.
  assert.ok(totals.tasks > 1000, `only ${totals.tasks} tasks`);
  assert.ok(totals.staleReports > 0, 'no stale report');
  assert.ok(totals.crashLimitFailures > 0, 'no crash-limit failure');
  assert.ok(totals.returned > 0, 'no task returned');
  assert.ok(totals.canceled > 0, 'no task canceled');
});
