// Tasks assigned to this worker but not started yet, in start order: priority
// (higher first), then job id (lower first), then arrival. The scheduler
// models the same order (see SchedulerWorker), so a task of higher priority
// never waits behind queued tasks of lower priority. Held as (row, instance,
// job, task, variant, rank) words, rank being the priority shifted to
// unsigned; started or canceled entries become holes that the head skips.
import { ASSIGNMENT_WORDS } from '../transport/worker-codec.js';

const WORDS = ASSIGNMENT_WORDS + 1;
const RANK = ASSIGNMENT_WORDS;
const HOLE = 0xffffffff;

export type StartDecision = 'taken' | 'stop' | 'skip';

export class TaskQueue {
  private words = new Uint32Array(WORDS * 1024);
  private head = 0;
  private tail = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /**
   * Queues assignments of (row, instance, job, task, variant) words, each
   * behind every queued task of higher or equal priority and job order;
   * `priorityOf` tells a task's priority.
   */
  push(assignments: Uint32Array, priorityOf: (job: number, task: number) => number): void {
    const count = assignments.length / ASSIGNMENT_WORDS;
    this.reserve(count * WORDS);
    const w = this.words;
    for (let i = 0; i < count; i++) {
      const from = i * ASSIGNMENT_WORDS;
      const job = assignments[from + 2]!;
      const rank = (priorityOf(job, assignments[from + 3]!) + 0x8000_0000) >>> 0;
      const at = this.slotFor(rank, job);
      if (at < this.tail) w.copyWithin(at + WORDS, at, this.tail);
      for (let k = 0; k < ASSIGNMENT_WORDS; k++) w[at + k] = assignments[from + k]!;
      w[at + RANK] = rank;
      this.tail += WORDS;
      this.live++;
    }
  }

  /**
   * Offers queued tasks in order; the callback takes one ('taken'), leaves
   * it queued ('skip'), or ends the pass ('stop', e.g. no room for it).
   */
  forEachStartable(fn: (row: number, instance: number, job: number, task: number, variant: number) => StartDecision): void {
    const w = this.words;
    for (let at = this.head; at < this.tail; at += WORDS) {
      if (w[at] === HOLE) continue;
      const decision = fn(w[at]!, w[at + 1]!, w[at + 2]!, w[at + 3]!, w[at + 4]!);
      if (decision === 'stop') break;
      if (decision === 'taken') {
        w[at] = HOLE;
        this.live--;
      }
    }
    this.skipHoles();
  }

  remove(row: number, instance: number): boolean {
    const w = this.words;
    for (let at = this.head; at < this.tail; at += WORDS) {
      if (w[at] === row && w[at + 1] === instance) {
        w[at] = HOLE;
        this.live--;
        this.skipHoles();
        return true;
      }
    }
    return false;
  }

  clear(): void {
    this.head = this.tail = this.live = 0;
  }

  /** Where a task of `rank` and `job` goes: after the last live entry that starts before or with it. */
  private slotFor(rank: number, job: number): number {
    const w = this.words;
    let at = this.tail;
    while (at > this.head) {
      const prev = at - WORDS;
      if (w[prev] !== HOLE && (w[prev + RANK]! > rank || (w[prev + RANK] === rank && w[prev + 2]! <= job))) break;
      at = prev;
    }
    return at;
  }

  /** Room for `extra` more words after the tail: drops the consumed prefix first, grows only if still short. */
  private reserve(extra: number): void {
    if (this.tail + extra <= this.words.length) return;
    const used = this.tail - this.head;
    const capacity = Math.max(this.words.length, (used + extra) * 2);
    const next = capacity > this.words.length ? new Uint32Array(capacity) : this.words;
    next.set(this.words.subarray(this.head, this.tail), 0); // set() copies correctly within one buffer too
    this.words = next;
    this.tail = used;
    this.head = 0;
  }

  private skipHoles(): void {
    while (this.head < this.tail && this.words[this.head] === HOLE) this.head += WORDS;
    if (this.head === this.tail) this.head = this.tail = 0;
  }
}
