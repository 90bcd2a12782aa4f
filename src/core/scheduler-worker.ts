import { RowDeque } from './row-deque.js';
import { RowList } from './row-list.js';

/**
 * The scheduler's model of one worker.
 *
 * The worker keeps the tasks it receives in a FIFO and starts the task at its
 * head whenever the head's request fits its free resources, never out of
 * order. The scheduler mirrors that rule: a task assigned while the worker's
 * queue is empty and its request fits `free` holds its resources from that
 * moment (the worker starts it on arrival); any other task is `queued` and
 * takes its resources when it reaches the head and fits ("promotion").
 */
export class SchedulerWorker {
  readonly id: number;
  /** Total resources per resource id. */
  readonly capacity: Float64Array;
  /** capacity minus the requests of the tasks in `held`. */
  readonly free: Float64Array;
  /** How many tasks may wait in `queued` beyond what runs. */
  readonly prefetch: number;
  /** Assigned tasks without resources yet, in the order they were sent. */
  readonly queued = new RowDeque();
  /** Tasks holding resources: running, or about to start. Unordered. */
  readonly held = new RowList();
  /** Tasks assigned and not yet started (held or queued). */
  assigned = 0;
  running = 0;
  /** Rows assigned / to cancel during the current call, flushed to the sink at its end. */
  readonly assignBatch = new RowList();
  readonly cancelBatch = new RowList();

  constructor(id: number, capacity: Float64Array, prefetch: number) {
    this.id = id;
    this.capacity = capacity;
    this.free = capacity.slice();
    this.prefetch = prefetch;
  }

  /** Whether some task could still be given to this worker now. */
  get canAccept(): boolean {
    if (this.queued.length < this.prefetch) return true;
    if (this.queued.length > 0) return false;
    for (let i = 0; i < this.free.length; i++) if (this.free[i] > 0) return true;
    return false;
  }
}
