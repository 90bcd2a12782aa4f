// Boxed text tables in the layout HyperQueue's CLI prints:
//
//   +----+------+        horizontal: header row, a rule under it, rows with
//   | ID | Name |        no rules between them, a closing rule;
//   +----+------+        vertical ("key | value" info tables): no header,
//   | 1  | ls   |        just the rows between the top and bottom rules.
//   +----+------+
//
// Every cell is padded by one space on each side; multi-line cells make the
// whole row as tall as its tallest cell. Widths are measured in terminal
// columns, so wide characters and embedded colour codes line up.

import { paint, type TextStyle } from './ansi.js';
import { displayWidth } from './display-width.js';

export interface TableCell extends TextStyle {
  text: string;
  /** Pad on the left instead of the right. */
  alignRight?: boolean;
}

/** A cell from a string or number; `style` adds colour/bold and right alignment. */
export function cell(value: string | number, style?: TextStyle & { alignRight?: boolean }): TableCell {
  return { text: String(value), ...style };
}

/** A bold cell: the header cells and the keys of vertical tables. */
export function boldCell(value: string): TableCell {
  return { text: value, bold: true };
}

/**
 * Splits cell text the way a line iterator does: a trailing newline does not
 * start another line, '\r' before '\n' is dropped, and '' has no lines at all.
 */
export function cellLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  return lines;
}

interface LaidOutCell {
  lines: string[];
  widths: number[];
  source: TableCell;
}

function layOut(c: TableCell | undefined): LaidOutCell {
  const source = c ?? { text: '' };
  const lines = cellLines(source.text);
  return { lines, widths: lines.map(displayWidth), source };
}

function rule(widths: readonly number[]): string {
  let line = '+';
  for (const w of widths) line += '-'.repeat(w + 2) + '+';
  return line + '\n';
}

function renderRow(row: readonly LaidOutCell[], widths: readonly number[], colors: boolean): string {
  let height = 0;
  for (const c of row) height = Math.max(height, c.lines.length);
  let out = '';
  for (let lineIndex = 0; lineIndex < height; lineIndex++) {
    out += '|';
    for (let col = 0; col < widths.length; col++) {
      const c = row[col]!;
      const width = widths[col]!;
      const text = c.lines[lineIndex];
      if (text === undefined) {
        out += ' '.repeat(width + 2) + '|';
        continue;
      }
      const gap = ' '.repeat(width - c.widths[lineIndex]!);
      const padded = c.source.alignRight ? gap + text : text + gap;
      out += ' ' + paint(padded, c.source, colors) + ' |';
    }
    out += '\n';
  }
  return out;
}

export interface TableOptions {
  /** Column titles; present for horizontal tables, absent for vertical ones. */
  header?: readonly TableCell[];
  colors: boolean;
}

/** Renders rows (and an optional header) as a boxed table; each line ends with '\n'. */
export function renderTable(rows: readonly (readonly TableCell[])[], options: TableOptions): string {
  let columns = options.header?.length ?? 0;
  for (const row of rows) columns = Math.max(columns, row.length);

  const laidOut = (row: readonly TableCell[]): LaidOutCell[] => {
    const cells: LaidOutCell[] = new Array(columns);
    for (let i = 0; i < columns; i++) cells[i] = layOut(row[i]);
    return cells;
  };
  const header = options.header ? laidOut(options.header) : undefined;
  const body = rows.map(laidOut);

  const widths = new Array<number>(columns).fill(0);
  const measure = (row: readonly LaidOutCell[]): void => {
    for (let i = 0; i < columns; i++) {
      for (const w of row[i]!.widths) if (w > widths[i]!) widths[i] = w;
    }
  };
  if (header) measure(header);
  for (const row of body) measure(row);

  const border = rule(widths);
  const parts: string[] = [border];
  if (header) {
    parts.push(renderRow(header, widths, options.colors));
    parts.push(border);
  }
  for (const row of body) parts.push(renderRow(row, widths, options.colors));
  if (body.length > 0) parts.push(border);
  return parts.join('');
}

/** A horizontal table: header row plus data rows. */
export function renderHorizontalTable(
  header: readonly TableCell[],
  rows: readonly (readonly TableCell[])[],
  colors: boolean,
): string {
  return renderTable(rows, { header, colors });
}

/** A vertical "key | value" table; the keys are printed bold. */
export function renderVerticalTable(
  rows: ReadonlyArray<readonly [string, TableCell | string | number]>,
  colors: boolean,
): string {
  return renderTable(
    rows.map(([key, value]) => [boldCell(key), typeof value === 'object' ? value : cell(value)]),
    { colors },
  );
}
