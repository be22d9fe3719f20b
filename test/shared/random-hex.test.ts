/** Random ids (shared/random-hex.ts): hex digits of the length asked, drawn afresh for every id. */
import { describe, expect, it } from 'vitest';
import { randomHex } from '../../shared/random-hex.ts';
import { requestIdFrom } from '../../shared/headers.ts';

describe('random hex', () => {
  it('gives the digits asked for, up to 32', () => {
    for (const n of [1, 7, 8, 24, 32]) expect(randomHex(n)).toMatch(new RegExp(`^[0-9a-f]{${n}}$`));
    expect(randomHex()).toMatch(/^[0-9a-f]{32}$/);
    expect(randomHex(40)).toMatch(/^[0-9a-f]{32}$/);
    expect(requestIdFrom(undefined)).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('never repeats across batches of drawn bytes, and uses every digit', () => {
    const ids = Array.from({ length: 5000 }, () => randomHex());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.join(''))).toEqual(new Set('0123456789abcdef'));
  });
});
