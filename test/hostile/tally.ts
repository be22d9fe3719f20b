/**
 * Tried/held counts of the hostile suite, one row per attack family and target, printed as a
 * table when the process ends (vitest's per-file fork), so a run shows what was attempted and
 * what held, not only that it passed.
 */
export interface Count {
  tried: number;
  held: number;
}

const rows = new Map<string, Count>();
let hooked = false;

export function tally(row: string): Count {
  let c = rows.get(row);
  if (!c) rows.set(row, (c = { tried: 0, held: 0 }));
  if (!hooked) {
    hooked = true;
    process.once('beforeExit', printTally);
  }
  return c;
}

export function printTally(): void {
  if (rows.size === 0) return;
  const width = Math.max(...[...rows.keys()].map((k) => k.length));
  const lines = [`${'attack'.padEnd(width)}  ${'tried'.padStart(6)}  ${'held'.padStart(6)}`];
  for (const [k, c] of rows) lines.push(`${k.padEnd(width)}  ${String(c.tried).padStart(6)}  ${String(c.held).padStart(6)}`);
  process.stdout.write(`\n[hostile tally]\n${lines.join('\n')}\n`);
  rows.clear();
}
