import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { flatten } from '../../shared/flat-string.ts';

/**
 * Heap a thousand long-lived strings built with `+` hold after a full collection, as they are and
 * after flatten() (in place, the same strings): measured in one child with --expose-gc, so the
 * figures are live memory only. The baseline is read once the heap has settled (two collections
 * in a row agree): garbage the loader lets go of late would otherwise be counted against it.
 */
function heldKib(): { tree: number; flat: number } {
  const script = `
    import { flatten } from './shared/flat-string.ts';
    const settled = async () => {
      let last = -1;
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setImmediate(r));
        globalThis.gc();
        const now = process.memoryUsage().heapUsed;
        if (Math.abs(now - last) < 1024) return now;
        last = now;
      }
      return last;
    };
    const before = await settled();
    const kept = [];
    for (let i = 0; i < 1000; i++) {
      let s = 'HTTP/1.1 200 OK\\r\\n';
      for (let k = 0; k < 12; k++) s += 'x-header-' + k + ': ' + i + '-' + k + '\\r\\n';
      kept.push(s);
    }
    const tree = (await settled()) - before;
    for (let i = 0; i < kept.length; i++) kept[i] = flatten(kept[i]);
    const flat = (await settled()) - before;
    process.stdout.write(JSON.stringify({ tree: tree / 1024, flat: flat / 1024, kept: kept.length }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('flatten', () => {
  it('returns the same string (and passes null and undefined through)', () => {
    const s = 'a'.repeat(20) + String(Math.random()) + 'b';
    expect(flatten(s)).toBe(s);
    expect(flatten(null)).toBeNull();
    expect(flatten(undefined)).toBeUndefined();
  });

  it('lets the tree of pieces a long-lived `+` string is made of go', () => {
    const { tree, flat } = heldKib();
    // ~60 pieces of 32-byte cons nodes and small strings each, against ~250 bytes flat (and the
    // one cons node the string itself still is).
    expect(tree).toBeGreaterThan(1000);
    expect(flat).toBeLessThan(tree / 2);
  });
});
