const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into complete lines, synchronously, one read at a time. A line is given
 * as bytes once whole, so a multi-byte UTF-8 character or a JSON object split across reads always
 * comes out intact, and the reader decodes only what it needs of it. A whole line in a read is
 * given in place, as a range of the read (no view, no copy); only a line cut by the end of a
 * read is copied (the transport may reuse the read's buffer). A line is valid only during its
 * callback.
 */
export class NdjsonSplitter {
  private pending: Buffer | null = null;

  /**
   * @param maxLineBytes a longer line is an error (`onOversize`), not a reason to buffer without end
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly onOversize: (bytes: number) => Error,
  ) {}

  /**
   * Calls `onLine` for each line the read completes, as `bytes[start, end)` (without its
   * newline; blank and CR-only lines skipped); stops early, and returns true, when `onLine`
   * returns true.
   */
  push(read: Uint8Array, onLine: (bytes: Buffer, start: number, end: number) => boolean): boolean {
    const chunk = asBuffer(read);
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      const lineStart = start;
      start = nl + 1;
      if (this.pending) {
        const line = joined(this.pending, chunk.subarray(lineStart, nl));
        this.pending = null;
        if (wanted(line, 0, line.length) && onLine(line, 0, line.length)) return true;
      } else if (wanted(chunk, lineStart, nl) && onLine(chunk, lineStart, nl)) return true;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending = joined(this.pending, rest);
      if (this.pending.length > this.maxLineBytes) throw this.onOversize(this.pending.length);
    }
    return false;
  }

  /** The last line when the stream ended without a newline after it; null when there is none. */
  rest(): Buffer | null {
    const p = this.pending;
    this.pending = null;
    return p && p.length > 0 ? p : null;
  }
}

/**
 * A copy of `a` and `b` in a buffer of its own: a cut line can wait for the rest of it as long as
 * the engine takes, and a slice of Buffer's shared pool would keep the whole pool block alive.
 */
function joined(a: Buffer | null, b: Buffer): Buffer {
  const n = a === null ? 0 : a.length;
  const out = Buffer.allocUnsafeSlow(n + b.length);
  if (a !== null) out.set(a, 0);
  out.set(b, n);
  return out;
}

/** Not a blank or CR-only line. */
function wanted(bytes: Buffer, start: number, end: number): boolean {
  return end > start && !(end === start + 1 && bytes[start] === CR);
}

/** The read as a Buffer view (undici's reads already are): Buffer's own indexOf, subarray and decoding. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
