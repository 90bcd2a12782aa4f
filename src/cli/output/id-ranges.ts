// Compact id lists: "1-10,20,30-40:2".

export interface IdRange {
  start: number;
  /** Inclusive. */
  end: number;
  step: number;
}

/** Formats ranges as given, one entry each: "5", "1-10" or "1-9:2". */
export function formatIdRanges(ranges: readonly IdRange[]): string {
  const parts: string[] = new Array(ranges.length);
  for (let i = 0; i < ranges.length; i++) {
    const { start, end, step } = ranges[i]!;
    if (start === end) parts[i] = String(start);
    else if (step === 1) parts[i] = `${start}-${end}`;
    else parts[i] = `${start}-${end}:${step}`;
  }
  return parts.join(',');
}

/** Compacts ascending ids (duplicates allowed) into consecutive runs: [1,2,3,7] -> "1-3,7". */
export function compactIds(sortedIds: ArrayLike<number>): string {
  const parts: string[] = [];
  const n = sortedIds.length;
  let i = 0;
  while (i < n) {
    const start = sortedIds[i]!;
    let end = start;
    i++;
    while (i < n && (sortedIds[i] === end + 1 || sortedIds[i] === end)) end = sortedIds[i++]!;
    parts.push(start === end ? String(start) : `${start}-${end}`);
  }
  return parts.join(',');
}

/**
 * Ranges in ascending order with adjacent unit-step ones joined, as ids of
 * several submissions are shown: [0], [1], [2-5] -> [0-5]. Ranges are not
 * expanded, so a huge array costs no more than a small one.
 */
export function mergeIdRanges(ranges: readonly IdRange[]): IdRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: IdRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    const unit = (x: IdRange) => x.step === 1 || x.start === x.end;
    if (last && unit(last) && unit(r) && r.start <= last.end + 1) {
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end), step: 1 };
    } else {
      out.push(r);
    }
  }
  return out;
}
