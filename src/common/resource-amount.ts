// Resource amounts: a 32-bit number of units with up to four decimal places
// (`2`, `0.5`, `100.0001`), the precision HyperQueue schedules with.

import type { TextCursor } from './text-cursor.js';

export const FRACTIONS_PER_UNIT = 10_000;
export const MAX_FRACTION_DIGITS = 4;

export type AmountReadResult =
  | { ok: true; amount: number; fractional: boolean }
  | { ok: false; reason: string };

/** Reads `units[.fraction]` at the cursor; `undefined` when no digit is there. */
export function readResourceAmount(cursor: TextCursor): AmountReadResult | undefined {
  const units = cursor.readU32();
  if (units === undefined) return undefined;
  if (units === 'overflow') return { ok: false, reason: 'the amount does not fit into 32 bits' };
  const dot = cursor.pos;
  if (!cursor.eat('.')) return { ok: true, amount: units, fractional: false };
  const fraction = cursor.readDigits();
  if (fraction === undefined) {
    // `3.` is not an amount followed by a dot; leave the dot for the caller to reject.
    cursor.pos = dot;
    return { ok: true, amount: units, fractional: false };
  }
  if (fraction.length > MAX_FRACTION_DIGITS) {
    return { ok: false, reason: `at most ${MAX_FRACTION_DIGITS} decimal places are supported` };
  }
  const fractions = Number(fraction.padEnd(MAX_FRACTION_DIGITS, '0'));
  return {
    ok: true,
    amount: (units * FRACTIONS_PER_UNIT + fractions) / FRACTIONS_PER_UNIT,
    fractional: fractions !== 0,
  };
}

/** Prints an amount as HyperQueue does: `500`, `1.5`, `0.0001`. */
export function formatResourceAmount(amount: number): string {
  const total = Math.round(amount * FRACTIONS_PER_UNIT);
  const units = Math.floor(total / FRACTIONS_PER_UNIT);
  const fractions = total % FRACTIONS_PER_UNIT;
  if (fractions === 0) return String(units);
  return `${units}.${String(fractions).padStart(MAX_FRACTION_DIGITS, '0').replace(/0+$/, '')}`;
}
