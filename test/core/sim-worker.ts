import assert from 'node:assert/strict';
import { add, fits, subtract } from '../../src/core/resources.js';
import type { Prng } from './prng.js';

export type ToWorker = { type: 'assign'; rows: number[]; instances: number[] } | { type: 'cancel'; rows: number[] };
export interface Report {
  type: 'started' | 'finished' | 'failed';
  row: number;
  instance: number;
}

/**
 * A worker without processes: it queues the tasks it receives in arrival
 * order, starts the head whenever it fits its free resources, and reports
 * through an outbox. It checks it never runs more than its capacity.
 */
export class SimWorker {
  readonly id: number;
  readonly capacity: Float64Array;
  readonly free: Float64Array;
  readonly inbox: ToWorker[] = [];
  readonly outbox: Report[] = [];
  /** Received, not started: [row, instance]. */
  readonly fifo: Array<[number, number]> = [];
  /** Running row -> instance. */
  readonly running = new Map<number, number>();
  private readonly needOf: (row: number) => Float64Array;

  constructor(id: number, capacity: Float64Array, needOf: (row: number) => Float64Array) {
    this.id = id;
    this.capacity = capacity;
    this.free = capacity.slice();
    this.needOf = needOf;
  }

  /** Handles the oldest message from the scheduler. */
  receive(): void {
    const message = this.inbox.shift();
    if (message === undefined) return;
    if (message.type === 'assign') {
      message.rows.forEach((row, i) => {
        assert.ok(fits(this.capacity, this.needOf(row)), `worker ${this.id} got row ${row} larger than its capacity`);
        this.fifo.push([row, message.instances[i]]);
      });
    } else {
      for (const row of message.rows) {
        const at = this.fifo.findIndex(([queued]) => queued === row);
        if (at >= 0) this.fifo.splice(at, 1);
        if (this.running.delete(row)) add(this.free, this.needOf(row));
      }
    }
    this.startHeads();
  }

  /** Ends one running task (finished or failed) and starts what now fits. */
  endOne(prng: Prng, failRate: number): boolean {
    if (this.running.size === 0) return false;
    const rows = [...this.running.keys()];
    const row = prng.pick(rows);
    const instance = this.running.get(row)!;
    this.running.delete(row);
    add(this.free, this.needOf(row));
    this.outbox.push({ type: prng.chance(failRate) ? 'failed' : 'finished', row, instance });
    this.startHeads();
    return true;
  }

  get isIdle(): boolean {
    return this.fifo.length === 0 && this.running.size === 0 && this.inbox.length === 0;
  }

  private startHeads(): void {
    while (this.fifo.length > 0) {
      const [row, instance] = this.fifo[0];
      const need = this.needOf(row);
      if (!fits(this.free, need)) break;
      this.fifo.shift();
      subtract(this.free, need);
      this.running.set(row, instance);
      this.outbox.push({ type: 'started', row, instance });
    }
    this.checkCapacity();
  }

  /** The resources of running tasks never exceed the capacity. */
  checkCapacity(): void {
    const used = new Float64Array(this.capacity.length);
    for (const row of this.running.keys()) add(used, this.needOf(row));
    for (let i = 0; i < used.length; i++) {
      assert.ok(used[i] <= this.capacity[i], `worker ${this.id} over-committed resource ${i}: ${used[i]} > ${this.capacity[i]}`);
      assert.equal(this.free[i], this.capacity[i] - used[i]);
    }
  }
}
