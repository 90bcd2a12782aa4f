// Tasks assigned to this worker but not started yet, in arrival order, held
// as (row, instance, job, task, variant) words; started or canceled entries
// become holes that the head skips.
const WORDS = 5;
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

  push(assignments: Uint32Array): void {
    const need = this.tail + assignments.length;
    if (need > this.words.length) {
      // Drop the consumed prefix first; grow only if still short.
      const used = this.tail - this.head;
      const capacity = Math.max(this.words.length, (used + assignments.length) * 2);
      const next = capacity > this.words.length ? new Uint32Array(capacity) : this.words;
      next.set(this.words.subarray(this.head, this.tail), 0);
      this.words = next;
      this.tail = used;
      this.head = 0;
    }
    this.words.set(assignments, this.tail);
    this.tail += assignments.length;
    this.live += assignments.length / WORDS;
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

  private skipHoles(): void {
    while (this.head < this.tail && this.words[this.head] === HOLE) this.head += WORDS;
    if (this.head === this.tail) this.head = this.tail = 0;
  }
}
