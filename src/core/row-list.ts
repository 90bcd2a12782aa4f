/** A growable list of task rows on a Uint32Array, with O(1) unordered removal. */
export class RowList {
  private items: Uint32Array;
  private size = 0;

  constructor(initialCapacity = 16) {
    this.items = new Uint32Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  /** The backing array; rows [0, length) are valid until the next change. */
  get rows(): Uint32Array {
    return this.items;
  }

  at(i: number): number {
    return this.items[i];
  }

  /** Appends and returns the row's index. */
  push(row: number): number {
    if (this.size === this.items.length) {
      const grown = new Uint32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.size] = row;
    return this.size++;
  }

  /** Removes index i by moving the last row into it; returns the moved row, or -1 when i was last. */
  swapRemove(i: number): number {
    if (i < 0 || i >= this.size) throw new RangeError(`list index ${i} out of range`);
    this.size--;
    if (i === this.size) return -1;
    const moved = this.items[this.size];
    this.items[i] = moved;
    return moved;
  }

  clear(): void {
    this.size = 0;
  }
}
