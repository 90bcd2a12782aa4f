// Lists that objects kept by the thousand start at their exact size.

/**
 * Appends `items` to `list` and returns the list to keep: a new array of
 * exactly the items when `list` is empty, else `list` itself. V8 gives an
 * empty array 17 slots at its first push; a workflow of one-task jobs keeps
 * thousands of records whose lists never grow past one or two entries.
 */
export function appended<T>(list: T[], ...items: T[]): T[] {
  if (list.length === 0) return items;
  list.push(...items);
  return list;
}
