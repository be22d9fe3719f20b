/**
 * The origin's stop-sequence scanner: however the answer is split into chunks, it releases
 * exactly the text before the first stop to complete and names that stop, and holds back only
 * what could still be the start of one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopScanner } from '../../origin/dialects/stop-sequences.ts';

/** The reference: the whole text at once, the stop that completes first (then the earliest). */
function expected(text: string, stops: string[]): { text: string; stop?: string } {
  let best: { at: number; end: number; stop: string } | undefined;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at < 0) continue;
    const end = at + stop.length;
    if (!best || end < best.end || (end === best.end && at < best.at)) best = { at, end, stop };
  }
  return best ? { text: text.slice(0, best.at), stop: best.stop } : { text };
}

function scan(chunks: string[], stops: string[]): { text: string; stop?: string } {
  const s = new StopScanner(stops);
  let out = '';
  for (const c of chunks) {
    const r = s.push(c);
    out += r.text;
    if (r.stop !== undefined) return { text: out, stop: r.stop };
  }
  return { text: out + s.flush() };
}

describe('StopScanner', () => {
  it('cuts before the stop, names it, and holds back only a possible start', () => {
    const s = new StopScanner(['</end>', 'STOP']);
    expect(s.push('hello </e')).toEqual({ text: 'hello ' });
    expect(s.push('nd> world')).toEqual({ text: '', stop: '</end>' });
    const t = new StopScanner(['STOP']);
    expect(t.push('a ST')).toEqual({ text: 'a ' });
    expect(t.push('AR')).toEqual({ text: 'STAR' });
    expect(t.flush()).toBe('');
  });

  it('any chunking of any text gives what matching the whole text gives', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', ' ', 'é', '\n');
    const word = fc.string({ unit: alphabet, minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 60 }), fc.array(word, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(60), { maxLength: 8 }), (text, stops, cuts) => {
        const at = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const c of at) {
          chunks.push(text.slice(from, c));
          from = c;
        }
        chunks.push(text.slice(from));
        expect(scan(chunks, stops)).toEqual(expected(text, stops));
      }),
      { numRuns: 500 },
    );
  });
});
