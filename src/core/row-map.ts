const EMPTY = 0xffff_ffff;

/**
 * Values of a few rows out of many: an open-addressing hash from row to a
 * signed 32-bit value on typed arrays (linear probing, deletion by backward
 * shift), so per-row scheduler state costs memory only for the rows that have
 * it (tasks on workers), not for every row of the table.
 */
export class RowMap {
  private keys: Uint32Array;
  private values: Int32Array;
  private mask: number;
  private size = 0;

  /** `missing` is what get() returns for rows without a value. */
  constructor(
    readonly missing: number,
    initialCapacity = 64,
  ) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.keys = new Uint32Array(capacity).fill(EMPTY);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Rows with a value. */
  get length(): number {
    return this.size;
  }

  get(row: number): number {
    const keys = this.keys;
    for (let i = hash(row) & this.mask; ; i = (i + 1) & this.mask) {
      const key = keys[i];
      if (key === row) return this.values[i];
      if (key === EMPTY) return this.missing;
    }
  }

  has(row: number): boolean {
    return this.slotOf(row) >= 0;
  }

  set(row: number, value: number): void {
    if (row === EMPTY) throw new RangeError(`row ${row} cannot be a key`);
    const keys = this.keys;
    let i = hash(row) & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const key = keys[i];
      if (key === row) {
        this.values[i] = value;
        return;
      }
      if (key === EMPTY) break;
    }
    keys[i] = row;
    this.values[i] = value;
    if (++this.size * 2 > keys.length) this.grow();
  }

  /** Removes a row's value; false when it had none. */
  delete(row: number): boolean {
    let i = this.slotOf(row);
    if (i < 0) return false;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    // Backward shift: move later entries of the probe run into the hole so lookups never stop early.
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hash(keys[j]) & mask;
      // Entry j may move to i when its home is not in the cyclic interval (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        keys[i] = keys[j];
        values[i] = values[j];
        i = j;
      }
    }
    keys[i] = EMPTY;
    this.size--;
    return true;
  }

  clear(): void {
    if (this.size === 0) return;
    this.keys.fill(EMPTY);
    this.size = 0;
  }

  private slotOf(row: number): number {
    const keys = this.keys;
    for (let i = hash(row) & this.mask; ; i = (i + 1) & this.mask) {
      const key = keys[i];
      if (key === row) return i;
      if (key === EMPTY) return -1;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Uint32Array(oldKeys.length * 2).fill(EMPTY);
    this.values = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i];
      if (key === EMPTY) continue;
      let j = hash(key) & this.mask;
      while (this.keys[j] !== EMPTY) j = (j + 1) & this.mask;
      this.keys[j] = key;
      this.values[j] = oldValues[i];
    }
  }
}

/** Spreads consecutive rows (the usual keys) over the table. */
function hash(row: number): number {
  return Math.imul(row, 0x9e37_79b1) >>> 0;
}
