/**
 * A set of rows kept as sorted, disjoint, non-adjacent ranges [start, end):
 * the free rows of the task table. Adding a range merges it with its
 * neighbours, so a forgotten million-task job is one entry.
 */
export class RowRanges {
  // Pairs (start, end) in bounds[0 .. 2 * count), sorted by start.
  private bounds = new Uint32Array(16);
  private count = 0;
  private total = 0;

  /** Rows in the set. */
  get rows(): number {
    return this.total;
  }

  /** Number of separate ranges. */
  get ranges(): number {
    return this.count;
  }

  /** Start and end of the i-th range in row order. */
  startAt(i: number): number {
    return this.bounds[2 * i];
  }
  endAt(i: number): number {
    return this.bounds[2 * i + 1];
  }

  /** Adds rows [start, end), which must not be in the set yet. */
  add(start: number, end: number): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      throw new RangeError(`invalid row range [${start}, ${end})`);
    }
    if (end === start) return;
    const b = this.bounds;
    // First range starting after `start`.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[2 * mid] <= start) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo - 1;
    if ((prev >= 0 && b[2 * prev + 1] > start) || (lo < this.count && b[2 * lo] < end)) {
      throw new RangeError(`rows [${start}, ${end}) are already free`);
    }
    const joinsPrev = prev >= 0 && b[2 * prev + 1] === start;
    const joinsNext = lo < this.count && b[2 * lo] === end;
    this.total += end - start;
    if (joinsPrev && joinsNext) {
      b[2 * prev + 1] = b[2 * lo + 1];
      this.removeAt(lo);
    } else if (joinsPrev) {
      b[2 * prev + 1] = end;
    } else if (joinsNext) {
      b[2 * lo] = start;
    } else {
      this.insertAt(lo, start, end);
    }
  }

  /**
   * Takes `count` rows, lowest first, as whole or partial ranges; appends
   * (start, count) pairs to `out` and returns the rows taken (fewer when the
   * set holds fewer).
   */
  take(count: number, out: number[]): number {
    let taken = 0;
    let used = 0;
    const b = this.bounds;
    while (taken < count && used < this.count) {
      const start = b[2 * used];
      const size = b[2 * used + 1] - start;
      const n = Math.min(size, count - taken);
      out.push(start, n);
      taken += n;
      if (n === size) used++;
      else b[2 * used] = start + n;
    }
    if (used > 0) {
      b.copyWithin(0, 2 * used, 2 * this.count);
      this.count -= used;
    }
    this.total -= taken;
    return taken;
  }

  /** Takes `count` consecutive rows from the first range that has them; -1 when none has. */
  takeContiguous(count: number): number {
    const b = this.bounds;
    for (let i = 0; i < this.count; i++) {
      const start = b[2 * i];
      const size = b[2 * i + 1] - start;
      if (size < count) continue;
      if (size === count) this.removeAt(i);
      else b[2 * i] = start + count;
      this.total -= count;
      return start;
    }
    return -1;
  }

  /**
   * Removes the range that ends exactly at `end` (the free rows at the end of
   * the table) and returns its start; returns `end` when no range ends there.
   */
  takeTail(end: number): number {
    if (this.count === 0 || this.bounds[2 * this.count - 1] !== end) return end;
    const start = this.bounds[2 * this.count - 2];
    this.count--;
    this.total -= end - start;
    return start;
  }

  clear(): void {
    this.count = 0;
    this.total = 0;
  }

  private insertAt(i: number, start: number, end: number): void {
    if (2 * (this.count + 1) > this.bounds.length) {
      const grown = new Uint32Array(this.bounds.length * 2);
      grown.set(this.bounds.subarray(0, 2 * this.count));
      this.bounds = grown;
    }
    const b = this.bounds;
    b.copyWithin(2 * i + 2, 2 * i, 2 * this.count);
    b[2 * i] = start;
    b[2 * i + 1] = end;
    this.count++;
  }

  private removeAt(i: number): void {
    this.bounds.copyWithin(2 * i, 2 * i + 2, 2 * this.count);
    this.count--;
  }
}
