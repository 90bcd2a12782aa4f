// Scheduling cost per task, in process: the scheduler drives simulated
// workers that run every task for one round. Only the scheduler's own calls
// (schedule() and the task reports) are timed, not the simulated workers.
//
//   node dist/bench/scheduler-bench.js [--quick]
import { pathToFileURL } from 'node:url';
import { ResourceAllocator, type WorkerResourceDescriptor } from '../src/core/allocator.js';
import { RequestTable, ResourceRegistry, RESOURCE_UNIT, type RequestVariant, type ResourceVariant } from '../src/core/resources.js';
import { Scheduler, type SchedulerSink } from '../src/core/scheduler.js';
import { TaskTable } from '../src/core/task-table.js';

export interface SchedulerBenchResult {
  name: string;
  value: string;
}

interface Scenario {
  name: string;
  workers: number;
  /** Per worker, given its index. */
  resources: (index: number) => WorkerResourceDescriptor[];
  prefetch: number;
  jobs: number;
  tasks: number;
  /** Request of job j (variants), tried in order. */
  request: (job: number) => ResourceVariant[];
}

interface Measured {
  tasks: number;
  rounds: number;
  scheduleMs: number;
  reportMs: number;
  firstRoundMs: number;
  steals: number;
}

/** A worker without processes: FIFO start order on its own allocator, each task runs for one round. */
class BenchWorker {
  readonly allocator: ResourceAllocator;
  readonly fifoRows: number[] = [];
  readonly fifoVariants: number[] = [];
  private head = 0;
  // Rows running this round and their allocation records, packed (all end at the next step).
  private readonly running: number[] = [];
  private records = new Float64Array(4096);
  private recordsTop = 0;
  readonly stealRequests: number[][] = [];

  constructor(resources: WorkerResourceDescriptor[], registry: ResourceRegistry) {
    this.allocator = new ResourceAllocator(resources, { registry });
  }

  /** Ends everything running, then starts queue heads that fit. */
  step(variantsOf: (row: number) => readonly RequestVariant[], finished: number[], started: number[]): void {
    for (let at = 0; at < this.recordsTop; at += ResourceAllocator.recordLength(this.records, at)) this.allocator.releaseRecord(this.records, at);
    for (const row of this.running) finished.push(row);
    this.running.length = 0;
    this.recordsTop = 0;
    while (this.head < this.fifoRows.length) {
      const row = this.fifoRows[this.head];
      if (row < 0) {
        this.head++;
        continue;
      }
      const length = this.allocator.allocatePlan(variantsOf(row)[this.fifoVariants[this.head]].plan);
      if (length < 0) break;
      if (this.recordsTop + length > this.records.length) {
        const grown = new Float64Array(this.records.length * 2 + length);
        grown.set(this.records);
        this.records = grown;
      }
      const record = this.allocator.lastRecord;
      for (let i = 0; i < length; i++) this.records[this.recordsTop + i] = record[i];
      this.recordsTop += length;
      this.running.push(row);
      started.push(row);
      this.head++;
    }
    if (this.head === this.fifoRows.length) {
      this.fifoRows.length = 0;
      this.fifoVariants.length = 0;
      this.head = 0;
    }
  }

  /** Answers a steal: rows still queued leave the queue. */
  answerSteal(rows: number[], returned: number[], started: number[]): void {
    for (const row of rows) {
      const at = this.fifoRows.indexOf(row, this.head);
      if (at >= 0) {
        this.fifoRows[at] = -1;
        returned.push(row);
      } else {
        started.push(row);
      }
    }
  }
}

function runScenario(s: Scenario): Measured {
  const table = TaskTable.create();
  const registry = new ResourceRegistry();
  const requests = new RequestTable(registry);
  const workers = new Map<number, BenchWorker>();
  let steals = 0;
  const sink: SchedulerSink = {
    assign(workerId, rows, count) {
      const worker = workers.get(workerId)!;
      for (let i = 0; i < count; i++) {
        worker.fifoRows.push(rows[i]);
        worker.fifoVariants.push(table.variant(rows[i]));
      }
    },
    assignMultiNode() {},
    cancel() {},
    steal(workerId, rows, count) {
      steals += count;
      workers.get(workerId)!.stealRequests.push(Array.from(rows.subarray(0, count)));
    },
    event() {},
  };
  const scheduler = new Scheduler(table, registry, requests, sink);
  for (let w = 1; w <= s.workers; w++) {
    const resources = s.resources(w - 1);
    workers.set(w, new BenchWorker(resources, registry));
    scheduler.addWorker(w, resources, s.prefetch, { group: 'bench', endTimeMs: 0 });
  }
  const perJob = Math.ceil(s.tasks / s.jobs);
  for (let j = 0, left = s.tasks; j < s.jobs && left > 0; j++) {
    const count = Math.min(perJob, left);
    left -= count;
    const request = requests.add(s.request(j));
    const priority = j % 3;
    scheduler.addJob(j + 1, { priority, request, crashLimit: 0 });
    const { start } = table.allocate(count);
    table.fillJob(start, count, j + 1, null, priority, request);
    scheduler.submit(j + 1, start, count);
  }
  const variantsOf = (row: number) => requests.variants(table.request(row));
  const finished: number[] = [];
  const started: number[] = [];
  const returned: number[] = [];
  const stealStarted: number[] = [];
  let done = 0;
  let scheduleMs = 0;
  let reportMs = 0;
  let firstRoundMs = 0;
  let rounds = 0;
  for (let now = 1; done < s.tasks; now++) {
    const t0 = performance.now();
    scheduler.schedule(now);
    const t1 = performance.now();
    scheduleMs += t1 - t0;
    if (rounds === 0) firstRoundMs = t1 - t0;
    rounds++;
    for (const [id, worker] of workers) {
      for (const rows of worker.stealRequests) {
        worker.answerSteal(rows, returned, stealStarted);
        const t2 = performance.now();
        scheduler.stealResult(id, Uint32Array.from(returned), Uint32Array.from(stealStarted));
        reportMs += performance.now() - t2;
        returned.length = 0;
        stealStarted.length = 0;
      }
      worker.stealRequests.length = 0;
      worker.step(variantsOf, finished, started);
      const t3 = performance.now();
      for (const row of finished) scheduler.taskFinished(row, table.instance(row), now);
      for (const row of started) scheduler.taskStarted(row, table.instance(row), now);
      reportMs += performance.now() - t3;
      done += finished.length;
      finished.length = 0;
      started.length = 0;
    }
    if (rounds > 50 * s.tasks) throw new Error(`${s.name}: the scenario does not drain`);
  }
  return { tasks: s.tasks, rounds, scheduleMs, reportMs, firstRoundMs, steals };
}

const cpuGroups = (groups: number, size: number): WorkerResourceDescriptor => ({
  name: 'cpus',
  kind: groups > 1 ? 'groups' : 'range',
  groups: Array.from({ length: groups }, (_, g) => Array.from({ length: size }, (_, i) => String(g * size + i))),
  sum: 0,
});

const ask = (entries: Array<[string, number, ResourceVariant['entries'][number]['policy']]>): ResourceVariant => ({
  nodes: 0,
  entries: entries.map(([resource, amount, policy]) => ({ resource, amount: amount * RESOURCE_UNIT, policy })),
});

/** 100 workers of 2x64 cpus, a quarter with 4 gpus; cpus 1 / 4 / 16 (compact!) and gpu tasks. */
function mixedScenario(tasks: number): Scenario {
  const kinds: ResourceVariant[][] = [
    [ask([['cpus', 1, 'compact']])],
    [ask([['cpus', 4, 'compact']])],
    [ask([['cpus', 1, 'compact']])],
    [ask([['cpus', 16, 'compact!']])],
    [ask([['cpus', 4, 'compact'], ['gpus', 1, 'compact']]), ask([['cpus', 16, 'compact']])],
    [ask([['cpus', 1, 'compact']])],
    [ask([['cpus', 4, 'tight']])],
    [ask([['cpus', 2, 'compact'], ['gpus', 1, 'compact']])],
  ];
  return {
    name: `mixed requests, 100 workers x 128 cpus`,
    workers: 100,
    resources: (i) => {
      const resources = [cpuGroups(2, 64)];
      if (i % 4 === 0) resources.push({ name: 'gpus', kind: 'list', groups: [['0', '1', '2', '3']], sum: 0 });
      return resources;
    },
    prefetch: 16,
    jobs: 40,
    tasks,
    request: (j) => kinds[j % kinds.length],
  };
}

/** The common case: cpus=1 tasks of one job on a few workers. */
function fastPathScenario(tasks: number): Scenario {
  return {
    name: 'cpus=1, 4 workers x 64 cpus',
    workers: 4,
    resources: () => [cpuGroups(1, 64)],
    prefetch: 32,
    jobs: 1,
    tasks,
    request: () => [ask([['cpus', 1, 'compact']])],
  };
}

/** Many small jobs against one: the per-job cost of scheduling, on one small worker as in the many-jobs benchmark. */
function jobsScenario(tasks: number, jobs: number): Scenario {
  return {
    name: `cpus=1, 1 worker x 2 cpus, ${jobs} job${jobs === 1 ? '' : 's'}`,
    workers: 1,
    resources: () => [cpuGroups(1, 2)],
    prefetch: 256,
    jobs,
    tasks,
    request: () => [ask([['cpus', 1, 'compact']])],
  };
}

const ns = (ms: number, tasks: number): string => `${Math.round((ms * 1e6) / tasks)} ns`;

export async function runSchedulerBench(quick: boolean): Promise<SchedulerBenchResult[]> {
  const tasks = quick ? 100_000 : 1_000_000;
  const results: SchedulerBenchResult[] = [];
  const scenarios = [fastPathScenario(tasks), mixedScenario(tasks), jobsScenario(tasks, 1), jobsScenario(tasks, quick ? 100 : 1000)];
  for (const scenario of scenarios) {
    const m = runScenario(scenario);
    const label = `scheduler, ${scenario.name}, ${m.tasks} tasks waiting`;
    results.push(
      { name: `${label}: schedule() per task`, value: ns(m.scheduleMs, m.tasks) },
      { name: `${label}: start+finish reports per task`, value: ns(m.reportMs, m.tasks) },
      { name: `${label}: first schedule() call`, value: `${m.firstRoundMs.toFixed(1)} ms` },
      { name: `${label}: rounds, stolen tasks`, value: `${m.rounds}, ${m.steals}` },
    );
  }
  return results;
}

function markdown(results: SchedulerBenchResult[]): string {
  const lines = ['| Measurement | Value |', '| --- | --- |'];
  for (const r of results) lines.push(`| ${r.name} | ${r.value} |`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await runSchedulerBench(process.argv.includes('--quick'));
  console.log(markdown(results));
}
