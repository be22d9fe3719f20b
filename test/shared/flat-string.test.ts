import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { flatten } from '../../shared/flat-string.ts';

/**
 * Heap a thousand long-lived strings built with `+` take after a full collection, as they are and
 * after flatten(): measured in a child with --expose-gc, so the figure is live memory only.
 */
function heldKib(flat: boolean): number {
  const script = `
    import { flatten } from './shared/flat-string.ts';
    const kept = [];
    const base = () => { globalThis.gc(); return process.memoryUsage().heapUsed; };
    const before = base();
    for (let i = 0; i < 1000; i++) {
      let s = 'HTTP/1.1 200 OK\\r\\n';
      for (let k = 0; k < 12; k++) s += 'x-header-' + k + ': ' + i + '-' + k + '\\r\\n';
      kept.push(${flat} ? flatten(s) : s);
    }
    process.stdout.write(String((base() - before) / 1024));
  `;
  return Number(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('flatten', () => {
  it('returns the same string (and passes null and undefined through)', () => {
    const s = 'a'.repeat(20) + String(Math.random()) + 'b';
    expect(flatten(s)).toBe(s);
    expect(flatten(null)).toBeNull();
    expect(flatten(undefined)).toBeUndefined();
  });

  it('lets the tree of pieces a long-lived `+` string is made of go', () => {
    const tree = heldKib(false);
    const flat = heldKib(true);
    // ~60 pieces of 32-byte cons nodes and small strings each, against ~250 bytes flat.
    expect(flat).toBeLessThan(tree / 2);
  });
});
