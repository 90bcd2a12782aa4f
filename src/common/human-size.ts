// Sizes printed the way HyperQueue prints them.

/** Rust's `{:.2}`: the exact binary value rounded to two places, ties to even. */
export function toFixed2(value: number): string {
  const scaled = value * 100;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5 && floor % 2 === 0) return (floor / 100).toFixed(2);
  return value.toFixed(2);
}

/** A memory amount given in MiB (the unit of the `mem` resource): `300.00 MiB`, `4.12 GiB`. */
export function humanMemAmount(mib: number): string {
  // HyperQueue computes this in single precision.
  const value = Math.fround(mib);
  return value < 512 ? `${toFixed2(value)} MiB` : `${toFixed2(Math.fround(value / 1024))} GiB`;
}

/** A byte count: `1230 B`, `292.97 KiB`, `47.68 MiB`, `465.89 GiB`. */
export function humanSize(bytes: number): string {
  if (bytes < 2048) return `${bytes} B`;
  if (bytes < 2 * 1024 * 1024) return `${toFixed2(bytes / 1024)} KiB`;
  if (bytes < 2 * 1024 * 1024 * 1024) return `${toFixed2(bytes / (1024 * 1024))} MiB`;
  return `${toFixed2(bytes / (1024 * 1024 * 1024))} GiB`;
}
