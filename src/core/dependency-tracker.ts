/**
 * Which tasks wait for which: per row the number of unfinished dependencies,
 * and per row the list of rows depending on it (linked edges in typed arrays;
 * edges of a row are recycled once it ended).
 */
export class DependencyTracker {
  private pending = new Int32Array(0);
  private firstEdge = new Int32Array(0);
  private edgeNext = new Int32Array(64);
  private edgeTarget = new Uint32Array(64);
  private edgeCount = 0;
  private freeEdge = -1;

  ensureRows(rows: number): void {
    if (rows <= this.pending.length) return;
    const size = Math.max(rows, this.pending.length * 2, 1024);
    const pending = new Int32Array(size);
    pending.set(this.pending);
    this.pending = pending;
    const first = new Int32Array(size).fill(-1);
    first.set(this.firstEdge);
    this.firstEdge = first;
  }

  /** Unfinished dependencies of a row (0 for rows never given any). */
  pendingOf(row: number): number {
    return row < this.pending.length ? this.pending[row] : 0;
  }

  setPending(row: number, count: number): void {
    this.pending[row] = count;
  }

  /** `dependant` waits for `dependency`. */
  addEdge(dependency: number, dependant: number): void {
    let edge = this.freeEdge;
    if (edge >= 0) {
      this.freeEdge = this.edgeNext[edge];
    } else {
      if (this.edgeCount === this.edgeNext.length) {
        const next = new Int32Array(this.edgeCount * 2);
        next.set(this.edgeNext);
        this.edgeNext = next;
        const target = new Uint32Array(this.edgeCount * 2);
        target.set(this.edgeTarget);
        this.edgeTarget = target;
      }
      edge = this.edgeCount++;
    }
    this.edgeTarget[edge] = dependant;
    this.edgeNext[edge] = this.firstEdge[dependency];
    this.firstEdge[dependency] = edge;
  }

  /**
   * `row` finished: each dependant has one dependency less; those with none
   * left are appended to `ready` (in the order their edges were added).
   */
  finished(row: number, ready: number[]): void {
    const from = ready.length;
    for (let edge = this.takeEdges(row); edge >= 0; edge = this.recycle(edge)) {
      const target = this.edgeTarget[edge];
      if (--this.pending[target] === 0) ready.push(target);
    }
    // Edges are stored newest first; report in the order they were added.
    reverse(ready, from);
  }

  /** `row` failed or was canceled: appends its dependants to `out` and forgets the edges. */
  ended(row: number, out: number[]): void {
    const from = out.length;
    for (let edge = this.takeEdges(row); edge >= 0; edge = this.recycle(edge)) out.push(this.edgeTarget[edge]);
    reverse(out, from);
  }

  private takeEdges(row: number): number {
    if (row >= this.firstEdge.length) return -1;
    const edge = this.firstEdge[row];
    this.firstEdge[row] = -1;
    return edge;
  }

  /** Puts an edge on the free list and returns the one after it. */
  private recycle(edge: number): number {
    const next = this.edgeNext[edge];
    this.edgeNext[edge] = this.freeEdge;
    this.freeEdge = edge;
    return next;
  }
}

function reverse(items: number[], from: number): void {
  for (let i = from, j = items.length - 1; i < j; i++, j--) {
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}
