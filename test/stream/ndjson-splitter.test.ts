import { describe, expect, it } from 'vitest';
import { NdjsonSplitter } from '../../origin/stream/ndjson-splitter.ts';

const enc = new TextEncoder();

function split(reads: Uint8Array[], max = 1024): string[] {
  const s = new NdjsonSplitter(max, (n) => new Error(`oversize ${n}`));
  const out: string[] = [];
  for (const r of reads) s.push(r, (b, from, to) => (out.push(b.toString('utf8', from, to)), false));
  const rest = s.rest();
  if (rest !== null) out.push(rest.toString());
  return out;
}

describe('NdjsonSplitter', () => {
  it('gives whole lines, joining a line cut across reads and skipping blank and CR-only lines', () => {
    expect(split([enc.encode('{"a":1}\n{"b"'), enc.encode(':2}\r\n\n\r\n{"c":3}\n')])).toEqual(['{"a":1}', '{"b":2}\r', '{"c":3}']);
  });

  it('keeps a multi-byte UTF-8 character cut between reads intact', () => {
    const bytes = enc.encode('{"t":"año 🦙"}\n');
    // Cut inside "ñ" (2 bytes) and inside the emoji (4 bytes).
    const cuts = [8, 13, 15];
    const reads = [bytes.subarray(0, cuts[0]), bytes.subarray(cuts[0], cuts[1]), bytes.subarray(cuts[1], cuts[2]), bytes.subarray(cuts[2])];
    expect(split(reads)).toEqual(['{"t":"año 🦙"}']);
  });

  it('gives the last line when the stream ends without a newline', () => {
    expect(split([enc.encode('{"a":1}\n{"done":'), enc.encode('true}')])).toEqual(['{"a":1}', '{"done":true}']);
  });

  it('copies the cut line: a transport reusing its read buffer cannot change it', () => {
    const s = new NdjsonSplitter(1024, () => new Error('oversize'));
    const buf = enc.encode('{"a":');
    s.push(buf, () => false);
    buf.fill(0x78);
    const out: string[] = [];
    s.push(enc.encode('1}\n'), (b, from, to) => (out.push(b.toString('utf8', from, to)), false));
    expect(out).toEqual(['{"a":1}']);
  });

  it('fails a line longer than the limit instead of buffering it without end', () => {
    const s = new NdjsonSplitter(16, (n) => new Error(`line of ${n} bytes`));
    s.push(enc.encode('{"a":"0123'), () => false);
    expect(() => s.push(enc.encode('456789abcdef'), () => false)).toThrow(/line of 22 bytes/);
  });

  it('stops at the line the callback says ends the answer', () => {
    const s = new NdjsonSplitter(1024, () => new Error('oversize'));
    const out: string[] = [];
    expect(s.push(enc.encode('a\ndone\nafter\n'), (b, from, to) => (out.push(b.toString('utf8', from, to)), b.toString('utf8', from, to) === 'done'))).toBe(true);
    expect(out).toEqual(['a', 'done']);
  });
});
