/**
 * A FIFO of row ranges [start, end): a million submitted tasks are one entry,
 * taken from the front one row at a time.
 */
export class RowSegments {
  // Pairs (start, end) in [first, count).
  private bounds = new Uint32Array(8);
  private first = 0;
  private count = 0;

  get isEmpty(): boolean {
    return this.first === this.count;
  }

  /** Rows still queued. */
  get rows(): number {
    let rows = 0;
    for (let i = this.first; i < this.count; i++) rows += this.bounds[2 * i + 1] - this.bounds[2 * i];
    return rows;
  }

  push(start: number, end: number): void {
    if (end <= start) return;
    // A range continuing the last one extends it.
    if (this.count > this.first && this.bounds[2 * this.count - 1] === start) {
      this.bounds[2 * this.count - 1] = end;
      return;
    }
    if (2 * (this.count + 1) > this.bounds.length) this.makeRoom();
    this.bounds[2 * this.count] = start;
    this.bounds[2 * this.count + 1] = end;
    this.count++;
  }

  /** Takes the front row; -1 when empty. */
  shift(): number {
    if (this.first === this.count) return -1;
    const at = 2 * this.first;
    const row = this.bounds[at];
    if (row + 1 === this.bounds[at + 1]) {
      this.first++;
      if (this.first === this.count) this.first = this.count = 0;
    } else {
      this.bounds[at] = row + 1;
    }
    return row;
  }

  clear(): void {
    this.first = this.count = 0;
  }

  private makeRoom(): void {
    const live = this.count - this.first;
    // Reuse the consumed front when it is at least half the array, otherwise double.
    const next = 2 * this.first >= this.count ? this.bounds : new Uint32Array(this.bounds.length * 2);
    if (next === this.bounds) {
      next.copyWithin(0, 2 * this.first, 2 * this.count);
    } else {
      next.set(this.bounds.subarray(2 * this.first, 2 * this.count));
    }
    this.bounds = next;
    this.first = 0;
    this.count = live;
  }
}
