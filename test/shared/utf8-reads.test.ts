/**
 * shared/utf8-reads.ts gives each read the same text as a stream's own streaming TextDecoder
 * would: byte-order marks, characters cut between reads, invalid bytes, empty reads.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mayEndInsideCharacter, Utf8Reads } from '../../shared/utf8-reads.ts';

const BOM = [0xef, 0xbb, 0xbf];
/** Bytes that make the edge cases likely: text of every width, marks, lone lead and continuation bytes, invalid leads. */
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => [...new TextEncoder().encode(s)]),
  fc.constant(BOM),
  fc.constantFrom([0xe2], [0xe2, 0x82], [0xf0, 0x9f], [0xf0, 0x9f, 0x98], [0x80], [0xbf, 0xbf], [0xc3], [0xff], [0xf8, 0x80], [0xe0, 0x80], [0xed, 0xa0, 0x80]),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 5 }),
);

/** Bytes split into reads at the given cut points (empty reads included). */
function split(bytes: number[], cuts: number[]): Uint8Array[] {
  const at = [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b);
  const reads: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    reads.push(Uint8Array.from(bytes.slice(from, c)));
    from = c;
  }
  return reads;
}

describe('Utf8Reads', () => {
  it('decodes each read as a per-stream streaming TextDecoder does', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (pieces, cuts, begun) => {
        const reads = split(pieces.flat(), cuts);
        const reference = new TextDecoder('utf-8', { ignoreBOM: begun });
        const ours = new Utf8Reads(begun);
        for (const read of reads) expect(ours.decode(read)).toBe(reference.decode(read, { stream: true }));
      }),
      { numRuns: 3000 },
    );
  });

  it('says no only where a streaming decoder holds nothing back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }), (bytes) => {
        const read = Uint8Array.from(bytes);
        if (mayEndInsideCharacter(read)) return;
        // Nothing held back: a flush after the read adds nothing.
        const d = new TextDecoder('utf-8', { ignoreBOM: true });
        const streamed = d.decode(read, { stream: true });
        expect(streamed + d.decode()).toBe(streamed);
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps the reads of an ordinary stream on the shared decoders', () => {
    const ours = new Utf8Reads();
    const enc = new TextEncoder();
    expect(ours.decode(Uint8Array.from([...BOM, ...enc.encode('data: {"a":"é"}\n\n')]))).toBe('data: {"a":"é"}\n\n');
    expect(ours.decode(Uint8Array.from([...BOM, ...enc.encode('x')]))).toBe('\ufeffx');
    expect((ours as unknown as { own?: TextDecoder }).own).toBeUndefined();
  });
});
