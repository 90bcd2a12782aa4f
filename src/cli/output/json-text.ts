// Pretty JSON in the shape HyperQueue's JSON mode prints: two-space indent,
// object keys in sorted order, and durations as floats that always carry a
// decimal point ("8.0", not "8").

/** Marks a number that must be printed as a float. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonFloat
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/** Seconds as a JSON float. */
export function jsonSeconds(seconds: number): JsonFloat {
  return new JsonFloat(seconds);
}

function formatFloat(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value).replace('e+', 'e');
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function write(value: JsonValue, indent: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
  }
  if (value instanceof JsonFloat) return formatFloat(value.value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    const items = value as readonly JsonValue[];
    if (items.length === 0) return '[]';
    let out = '[\n' + inner + write(items[0]!, inner);
    for (let i = 1; i < items.length; i++) out += ',\n' + inner + write(items[i]!, inner);
    return out + '\n' + indent + ']';
  }
  const record = value as { readonly [key: string]: JsonValue | undefined };
  const keys = Object.keys(record).sort(compareKeys);
  let out = '';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += (out === '' ? '{\n' : ',\n') + inner + JSON.stringify(key) + ': ' + write(item, inner);
  }
  return out === '' ? '{}' : out + '\n' + indent + '}';
}

/** Serializes `value` as pretty JSON (no trailing newline); keys whose value is undefined are left out. */
export function toPrettyJson(value: JsonValue): string {
  return write(value, '');
}
