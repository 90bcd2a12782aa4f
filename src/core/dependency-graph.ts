/**
 * Finds a cycle among the dependencies of a batch of new tasks: task
 * startRow + i depends on rows[offsets[i] .. offsets[i+1]). Rows outside the
 * batch are earlier tasks, which cannot depend on new ones. Returns a row on a
 * cycle (a task depending on itself counts), or -1.
 */
export function findCycle(offsets: Uint32Array, rows: Uint32Array, startRow: number): number {
  const count = offsets.length - 1;
  if (count <= 0) return -1;
  // 0 = unvisited, 1 = on the current path, 2 = done.
  const color = new Uint8Array(count);
  // Explicit DFS stack of (task, next edge) so deep chains do not overflow the call stack.
  const stackTask = new Uint32Array(count);
  const stackEdge = new Uint32Array(count);
  for (let root = 0; root < count; root++) {
    if (color[root] !== 0) continue;
    let depth = 0;
    stackTask[0] = root;
    stackEdge[0] = offsets[root];
    color[root] = 1;
    while (depth >= 0) {
      const task = stackTask[depth];
      const edge = stackEdge[depth];
      if (edge >= offsets[task + 1]) {
        color[task] = 2;
        depth--;
        continue;
      }
      stackEdge[depth] = edge + 1;
      const dep = rows[edge] - startRow;
      if (dep < 0 || dep >= count) continue; // an earlier task
      if (color[dep] === 1) return dep + startRow;
      if (color[dep] === 0) {
        color[dep] = 1;
        depth++;
        stackTask[depth] = dep;
        stackEdge[depth] = offsets[dep];
      }
    }
  }
  return -1;
}
