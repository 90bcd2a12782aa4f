import assert from 'node:assert/strict';
import { ResourceAllocator, type Allocation, type WorkerResourceDescriptor } from '../../src/core/allocator.js';
import type { RequestVariant, ResourceRegistry } from '../../src/core/resources.js';
import type { TaskTable } from '../../src/core/task-table.js';
import type { Prng } from './prng.js';

export type ToWorker =
  | { type: 'assign'; rows: number[]; instances: number[]; variants: number[] }
  | { type: 'assignMultiNode'; row: number; instance: number; nodes: number }
  | { type: 'cancel'; rows: number[] }
  | { type: 'steal'; rows: number[] };

export type Report =
  | { type: 'started' | 'finished' | 'failed'; row: number; instance: number }
  | { type: 'stealResult'; returned: number[]; started: number[] };

interface Queued {
  row: number;
  instance: number;
  request: RequestVariant;
  priority: number;
  job: number;
}

/**
 * A worker without processes: it queues the tasks it receives by priority
 * (higher first), job id (lower first), then arrival, starts the head
 * whenever its own ResourceAllocator can allocate the variant the scheduler
 * chose, answers steals, and reports through an outbox. Every allocation is
 * checked against the worker's capacity.
 */
export class SimWorker {
  readonly id: number;
  readonly allocator: ResourceAllocator;
  readonly inbox: ToWorker[] = [];
  readonly outbox: Report[] = [];
  /** Received, not started. */
  readonly fifo: Queued[] = [];
  /** Running row -> instance and allocation. */
  readonly running = new Map<number, { instance: number; allocation: Allocation }>();
  private readonly variantsOf: (row: number) => readonly RequestVariant[];
  private readonly table: TaskTable;

  constructor(
    id: number,
    resources: WorkerResourceDescriptor[],
    registry: ResourceRegistry,
    variantsOf: (row: number) => readonly RequestVariant[],
    table: TaskTable,
  ) {
    this.id = id;
    this.allocator = new ResourceAllocator(resources, { registry });
    this.variantsOf = variantsOf;
    this.table = table;
  }

  /** Handles the oldest message from the scheduler. */
  receive(): void {
    const message = this.inbox.shift();
    if (message === undefined) return;
    if (message.type === 'assign') {
      message.rows.forEach((row, i) => {
        const request = this.variantsOf(row)[message.variants[i]];
        assert.ok(this.allocator.canEverAllocate(request), `worker ${this.id} got row ${row} that can never run here`);
        this.enqueue(row, message.instances[i], request);
      });
    } else if (message.type === 'assignMultiNode') {
      this.enqueue(message.row, message.instance, this.variantsOf(message.row)[0]);
    } else if (message.type === 'cancel') {
      for (const row of message.rows) {
        const at = this.fifo.findIndex((q) => q.row === row);
        if (at >= 0) this.fifo.splice(at, 1);
        const running = this.running.get(row);
        if (running !== undefined) {
          this.running.delete(row);
          this.allocator.release(running.allocation);
        }
      }
    } else {
      const returned: number[] = [];
      const started: number[] = [];
      for (const row of message.rows) {
        const at = this.fifo.findIndex((q) => q.row === row);
        if (at >= 0) {
          this.fifo.splice(at, 1);
          returned.push(row);
        } else {
          started.push(row);
        }
      }
      this.outbox.push({ type: 'stealResult', returned, started });
    }
    this.startHeads();
  }

  /** Ends one running task (finished or failed) and starts what now fits. */
  endOne(prng: Prng, failRate: number): boolean {
    if (this.running.size === 0) return false;
    const row = prng.pick([...this.running.keys()]);
    const { instance, allocation } = this.running.get(row)!;
    this.running.delete(row);
    this.allocator.release(allocation);
    this.outbox.push({ type: prng.chance(failRate) ? 'failed' : 'finished', row, instance });
    this.startHeads();
    return true;
  }

  get isIdle(): boolean {
    return this.fifo.length === 0 && this.running.size === 0 && this.inbox.length === 0;
  }

  /** Behind every queued task of higher or equal priority and job order. */
  private enqueue(row: number, instance: number, request: RequestVariant): void {
    const priority = this.table.priority(row);
    const job = this.table.job(row);
    let at = this.fifo.length;
    while (at > 0 && (this.fifo[at - 1].priority < priority || (this.fifo[at - 1].priority === priority && this.fifo[at - 1].job > job))) at--;
    this.fifo.splice(at, 0, { row, instance, request, priority, job });
  }

  private startHeads(): void {
    while (this.fifo.length > 0) {
      const head = this.fifo[0];
      const allocation = this.allocator.allocate(head.request);
      if (allocation === null) break;
      this.fifo.shift();
      this.running.set(head.row, { instance: head.instance, allocation });
      this.outbox.push({ type: 'started', row: head.row, instance: head.instance });
    }
    this.checkCapacity();
  }

  /** Running tasks never share an index beyond its capacity, nor exceed a sum. */
  checkCapacity(): void {
    const used = new Map<string, number>();
    for (const { allocation } of this.running.values()) {
      for (const r of allocation.resources) {
        if (r.indices.length === 0) {
          used.set(r.name, (used.get(r.name) ?? 0) + r.amount);
          assert.ok(used.get(r.name)! <= this.allocator.total(r.name), `worker ${this.id} over-committed ${r.name}`);
        }
        r.indices.forEach((index, i) => {
          const key = `${r.name}[${index}]`;
          used.set(key, (used.get(key) ?? 0) + r.shares[i]);
          assert.ok(used.get(key)! <= 10_000, `worker ${this.id} over-committed ${key}`);
        });
      }
    }
  }
}
