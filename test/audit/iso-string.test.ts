import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoString } from '../../origin/audit/audit-record.ts';

/** The audit record's timestamps (origin/audit/audit-record.ts) are Date's toISOString, formatted once a second. */
describe('audit timestamps', () => {
  it('equal new Date(ms).toISOString() for any time Date can show, in any order', () => {
    const now = Date.now();
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: now - 5_000, max: now + 5_000 }), fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true })), (ms) => {
        expect(isoString(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2_000 },
    );
    for (const ms of [0, -0.5, -1, -999, -1000, -1001, 1.5, 999.9, 8.64e15, -8.64e15]) expect(isoString(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoString(NaN)).toThrow(RangeError);
  });
});
