import { quantileSorted } from 'simple-statistics';

/** Percentile (0-100) of an ascending-sorted array, by simple-statistics' quantile. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return quantileSorted(Array.from(sorted), p / 100);
}

export function sortedCopy(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export function fmtMs(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '-';
}

/** Prints rows as an aligned plain-text table (benchmarks print figures, not pass/fail). */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const [k, r] of cells.entries()) {
    console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
