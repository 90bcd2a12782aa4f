// The scheduler thread: owns every assignment decision. It drains task
// progress from the I/O threads' rings, runs the scheduling core, and sends
// assignment batches back to the I/O thread of each worker; every task state
// change goes to the control plane as an event record.
import { workerData, type MessagePort } from 'node:worker_threads';
import { TaskTable } from '../core/task-table.js';
import { RingBuffer } from '../core/ring-buffer.js';
import { Doorbell } from '../core/doorbell.js';
import { RequestTable, ResourceRegistry } from '../core/resources.js';
import { Scheduler, TaskEvent, type SchedulerSink } from '../core/scheduler.js';
import { exposePolled } from '../common/comlink-node.js';
import { collectGarbage } from '../common/collect-garbage.js';
import { ASSIGN_WORDS, EVENT_WORDS, IoToScheduler, SchedulerToIo, SchedulerToMain } from './ring-kinds.js';
import type { SchedulerApi, SchedulerInit } from './thread-api.js';

const init = workerData as SchedulerInit;
const table = TaskTable.attach(init.table);
const fromIo = init.fromIo.map((b) => RingBuffer.attach(b));
const toIo = init.toIo.map((b) => RingBuffer.attach(b));
const ioBells = init.ioBells.map((b) => Doorbell.attach(b));
const toMain = RingBuffer.attach(init.toMain);
const mainBell = Doorbell.attach(init.mainBell);
const ownBell = Doorbell.attach(init.ownBell);

const workerIo = new Map<number, number>();

/**
 * Records waiting for room in a full ring, one queue per ring (index 0 = the
 * control plane, i + 1 = I/O thread i), so that a slow consumer holds back
 * only its own records.
 */
const pending: Array<Array<[number, Uint32Array]>> = Array.from({ length: toIo.length + 1 }, () => []);
let pendingCount = 0;
const touchedIo = new Set<number>();
/** Something went to the control plane's ring since it was last rung. */
let mainPushed = false;
const MAX_RECORD_TASKS = 8192;

function ringOf(target: number): RingBuffer {
  return target < 0 ? toMain : toIo[target]!;
}

function pushed(target: number): void {
  if (target >= 0) touchedIo.add(target);
  else mainPushed = true;
}

/** `words` may be scratch space: it is copied only when it has to wait. */
function pushRecord(target: number, kind: number, words: Uint32Array): void {
  const queue = pending[target + 1]!;
  if (queue.length === 0 && ringOf(target).tryPush(kind, words)) {
    pushed(target);
    return;
  }
  queue.push([kind, words.slice()]);
  pendingCount++;
}

// Records are built here and copied straight into the rings: no garbage per task.
let scratch = new Uint32Array(1 + MAX_RECORD_TASKS * ASSIGN_WORDS);

function flushPending(): void {
  if (pendingCount === 0) return;
  pending.forEach((queue, i) => {
    const target = i - 1;
    while (queue.length > 0) {
      const [kind, words] = queue[0]!;
      if (!ringOf(target).tryPush(kind, words)) break;
      pushed(target);
      queue.shift();
      pendingCount--;
    }
  });
}

// Task events are gathered for a whole scheduling round and sent as one record.
let events = new Uint32Array(EVENT_WORDS * 4096);
let eventCount = 0;

function flushEvents(): void {
  let sent = 0;
  while (sent < eventCount) {
    const n = Math.min(eventCount - sent, MAX_RECORD_TASKS);
    pushRecord(-1, SchedulerToMain.Events, events.subarray(sent * EVENT_WORDS, (sent + n) * EVENT_WORDS));
    sent += n;
  }
  eventCount = 0;
}

function taskRefs(workerId: number, rows: Uint32Array, count: number): Uint32Array {
  if (scratch.length < 1 + count * 2) scratch = new Uint32Array(1 + count * 2);
  const words = scratch.subarray(0, 1 + count * 2);
  words[0] = workerId;
  for (let i = 0; i < count; i++) {
    words[1 + i * 2] = rows[i]!;
    words[2 + i * 2] = table.instance(rows[i]!);
  }
  return words;
}

const sink: SchedulerSink = {
  assign(workerId, rows, count) {
    const io = workerIo.get(workerId);
    if (io === undefined) return;
    for (let start = 0; start < count; start += MAX_RECORD_TASKS) {
      const n = Math.min(count - start, MAX_RECORD_TASKS);
      const words = scratch.subarray(0, 1 + n * ASSIGN_WORDS);
      words[0] = workerId;
      for (let i = 0; i < n; i++) {
        const row = rows[start + i]!;
        const at = 1 + i * ASSIGN_WORDS;
        words[at] = row;
        words[at + 1] = table.instance(row);
        words[at + 2] = table.job(row);
        words[at + 3] = table.taskId(row);
        words[at + 4] = table.variant(row);
      }
      pushRecord(io, SchedulerToIo.Assign, words);
    }
  },
  assignMultiNode(row, workerIds) {
    const io = workerIo.get(workerIds[0]!);
    if (io === undefined) return;
    const words = new Uint32Array(6 + workerIds.length);
    words.set([workerIds[0]!, row, table.instance(row), table.job(row), table.taskId(row), table.variant(row)]);
    words.set(workerIds, 6);
    pushRecord(io, SchedulerToIo.AssignMultiNode, words);
    // The task table holds one worker per task: the control plane learns all of them here.
    const members = new Uint32Array(2 + workerIds.length);
    members.set([row, table.instance(row)]);
    members.set(workerIds, 2);
    pushRecord(-1, SchedulerToMain.MultiNode, members);
  },
  cancel(workerId, rows, count) {
    const io = workerIo.get(workerId);
    if (io === undefined || count === 0) return;
    pushRecord(io, SchedulerToIo.Cancel, taskRefs(workerId, rows, count));
  },
  steal(workerId, rows, count) {
    const io = workerIo.get(workerId);
    if (io === undefined || count === 0) return;
    pushRecord(io, SchedulerToIo.Steal, taskRefs(workerId, rows, count));
  },
  event(kind, row, workerId, reason) {
    // The control plane counts starts and ends; an assignment or a return
    // shows in the shared table, and is a third of all events of a run.
    if (kind === TaskEvent.Assigned || kind === TaskEvent.Returned) return;
    if ((eventCount + 1) * EVENT_WORDS > events.length) {
      const grown = new Uint32Array(events.length * 2);
      grown.set(events);
      events = grown;
    }
    const at = eventCount * EVENT_WORDS;
    events[at] = kind;
    events[at + 1] = row;
    events[at + 2] = workerId;
    events[at + 3] = reason;
    eventCount++;
  },
};

const registry = new ResourceRegistry();
const requests = new RequestTable(registry);
const scheduler = new Scheduler(table, registry, requests, sink);

function drainIo(): void {
  const now = Date.now();
  for (const ring of fromIo) {
    ring.drain((kind, data, offset, words) => {
      const end = offset + words;
      if (kind === IoToScheduler.Started) {
        for (let i = offset; i < end; i += 2) scheduler.taskStarted(data[i]! >>> 0, data[i + 1]! >>> 0, now);
      } else if (kind === IoToScheduler.Finished) {
        scheduler.tasksFinished(data, offset, end, now);
      } else if (kind === IoToScheduler.Failed) {
        for (let i = offset; i < end; i += 2) scheduler.taskFailed(data[i]! >>> 0, data[i + 1]! >>> 0, now);
      } else if (kind === IoToScheduler.StealResult) {
        const workerId = data[offset]! >>> 0;
        const returned = data[offset + 1]! >>> 0;
        const rows = new Uint32Array(data.buffer, data.byteOffset + (offset + 2) * 4, words - 2);
        if (scheduler.hasWorker(workerId)) scheduler.stealResult(workerId, rows.slice(0, returned), rows.slice(returned));
      }
    });
  }
}

function round(): void {
  drainIo();
  scheduler.schedule(Date.now());
  flushEvents();
  flushPending();
  for (const io of touchedIo) ioBells[io]!.ring();
  touchedIo.clear();
  // Rung whenever anything reached the control plane, also records that
  // waited for room in an earlier round.
  if (mainPushed) mainBell.ring();
  mainPushed = false;
}

let running = true;

// The thread sleeps in a synchronous wait: its only inputs are the rings and
// the control port, whose sender rings the same bell after each message.
// Control calls run in the pump, right before a round, so they need not ring.
async function loop(): Promise<void> {
  while (running) {
    const seen = ownBell.value;
    // Control calls run first; their replies leave when microtasks run.
    if (pumpControl()) await new Promise((r) => setImmediate(r));
    round();
    if (!running) break;
    // With records waiting for room, poll; otherwise sleep until rung.
    ownBell.wait(seen, pendingCount > 0 ? 1 : undefined);
  }
}

const api: SchedulerApi = {
  addRequest(variants, timeRequestMs) {
    return requests.add(variants, timeRequestMs);
  },
  addJob(jobId, opts) {
    scheduler.addJob(jobId, opts);
  },
  setTemplateCrashLimits(jobId, limits) {
    scheduler.setTemplateCrashLimits(jobId, limits);
  },
  submit(jobId, startRow, count, newChunks, deps) {
    if (newChunks.length) table.addChunks(newChunks);
    scheduler.submit(jobId, startRow, count, deps ?? undefined);
  },
  submitTasks(jobId, job, crashLimits, runs, newChunks, deps) {
    if (newChunks.length) table.addChunks(newChunks);
    if (job) scheduler.addJob(jobId, job);
    scheduler.setTemplateCrashLimits(jobId, crashLimits);
    for (let i = 0; i < runs.length; i += 2) scheduler.submit(jobId, runs[i]!, runs[i + 1]!, i === 0 ? (deps ?? undefined) : undefined);
  },
  forgetJob(jobId) {
    scheduler.forgetJob(jobId);
  },
  dropRowChunks(keep, end) {
    table.dropRowChunks(keep);
    scheduler.rowsTrimmed(end);
    collectGarbage();
  },
  cancelJob(jobId) {
    drainIo();
    scheduler.cancelJob(jobId);
  },
  addWorker(workerId, io, resources, prefetch, opts) {
    // Known here only once the scheduler accepted it (it may refuse its resources).
    scheduler.addWorker(workerId, resources, prefetch, opts);
    workerIo.set(workerId, io);
  },
  removeWorker(workerId, crashed) {
    if (!workerIo.has(workerId)) return; // ended before it was activated
    drainIo();
    scheduler.removeWorker(workerId, crashed);
    workerIo.delete(workerId);
  },
  workerLoads() {
    const out: Array<[number, number, number]> = [];
    for (const id of workerIo.keys()) {
      const load = scheduler.workerLoad(id);
      out.push([id, load.assigned, load.running]);
    }
    return out;
  },
  explain(row, workerIds) {
    drainIo();
    const now = Date.now();
    return workerIds.filter((id) => scheduler.hasWorker(id)).map((id) => scheduler.explain(row, id, now));
  },
  stop() {
    running = false;
  },
};

const pumpControl = exposePolled(api, init.apiPort as MessagePort);
void loop();
