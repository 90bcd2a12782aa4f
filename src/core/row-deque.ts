/** A double-ended queue of task rows on a growable Uint32Array ring; no allocation per row. */
export class RowDeque {
  private rows: Uint32Array;
  private mask: number;
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 16) {
    let capacity = 4;
    while (capacity < initialCapacity) capacity *= 2;
    this.rows = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get length(): number {
    return this.size;
  }

  /** The i-th row from the front. */
  at(i: number): number {
    return this.rows[(this.head + i) & this.mask];
  }

  pushBack(row: number): void {
    if (this.size === this.rows.length) this.grow();
    this.rows[(this.head + this.size) & this.mask] = row;
    this.size++;
  }

  pushFront(row: number): void {
    if (this.size === this.rows.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.rows[this.head] = row;
    this.size++;
  }

  /** Removes and returns the front row; -1 when empty. */
  popFront(): number {
    if (this.size === 0) return -1;
    const row = this.rows[this.head];
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return row;
  }

  /** Removes and returns the back row; -1 when empty. */
  popBack(): number {
    if (this.size === 0) return -1;
    this.size--;
    return this.rows[(this.head + this.size) & this.mask];
  }

  /** Position of `row` from the front, or -1. Linear: for short queues. */
  indexOf(row: number): number {
    for (let i = 0; i < this.size; i++) {
      if (this.rows[(this.head + i) & this.mask] === row) return i;
    }
    return -1;
  }

  /** Puts `row` at position i from the front (0 ..= length), moving the shorter side. */
  insertAt(i: number, row: number): void {
    if (i < 0 || i > this.size) throw new RangeError(`deque index ${i} out of range`);
    if (i === this.size) {
      this.pushBack(row);
      return;
    }
    if (this.size === this.rows.length) this.grow();
    const rows = this.rows;
    const mask = this.mask;
    if (i < this.size / 2) {
      this.head = (this.head - 1) & mask;
      for (let j = 0; j < i; j++) rows[(this.head + j) & mask] = rows[(this.head + j + 1) & mask];
    } else {
      for (let j = this.size; j > i; j--) rows[(this.head + j) & mask] = rows[(this.head + j - 1) & mask];
    }
    rows[(this.head + i) & mask] = row;
    this.size++;
  }

  /** Removes the i-th row from the front, keeping the order of the others. */
  removeAt(i: number): void {
    if (i < 0 || i >= this.size) throw new RangeError(`deque index ${i} out of range`);
    const rows = this.rows;
    const mask = this.mask;
    if (i < this.size / 2) {
      for (let j = i; j > 0; j--) rows[(this.head + j) & mask] = rows[(this.head + j - 1) & mask];
      this.head = (this.head + 1) & mask;
    } else {
      for (let j = i; j < this.size - 1; j++) rows[(this.head + j) & mask] = rows[(this.head + j + 1) & mask];
    }
    this.size--;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const next = new Uint32Array(this.rows.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.rows[(this.head + i) & this.mask];
    this.rows = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
