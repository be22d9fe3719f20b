const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into complete lines, synchronously, one read at a time. Lines are only
 * decoded once whole, so a multi-byte UTF-8 character or a JSON object split across reads always
 * comes out intact. Whole lines in a read are decoded in place; only a line cut by the end of a
 * read is copied (the transport may reuse the read's buffer).
 */
export class NdjsonSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private pending: Uint8Array | null = null;

  /**
   * @param maxLineBytes a longer line is an error (`onOversize`), not a reason to buffer without end
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly onOversize: (bytes: number) => Error,
  ) {}

  /**
   * Calls `onLine` for each line the read completes (blank lines skipped); stops early, and
   * returns true, when `onLine` returns true.
   */
  push(chunk: Uint8Array, onLine: (line: string) => boolean): boolean {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      let line = chunk.subarray(start, nl);
      if (this.pending) {
        line = concat(this.pending, line);
        this.pending = null;
      }
      start = nl + 1;
      if (line.length > 0 && !(line.length === 1 && line[0] === CR) && onLine(this.decoder.decode(line))) return true;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending = this.pending ? concat(this.pending, rest) : rest.slice();
      if (this.pending.length > this.maxLineBytes) throw this.onOversize(this.pending.length);
    }
    return false;
  }

  /** The last line when the stream ended without a newline after it; null when there is none. */
  rest(): string | null {
    const p = this.pending;
    this.pending = null;
    return p && p.length > 0 ? this.decoder.decode(p) : null;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
